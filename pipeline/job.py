"""One batch job: files in, output folder out. The only place that does I/O around the pure stages."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.columns import OUTPUT_COLUMNS
from pipeline.config import Config
from pipeline.export.manifest import build_manifest, write_manifest
from pipeline.export.tables import write_csv
from pipeline.export.xlsx import write_workbook
from pipeline.ingest import ingest
from pipeline.process import process


@dataclass
class JobResult:
    comments: pd.DataFrame
    manifest: dict[str, Any]
    out_dir: Path

    @property
    def workbook(self) -> Path:
        return self.out_dir / "triage.xlsx"


def ordered(df: pd.DataFrame) -> pd.DataFrame:
    """Output columns in contract order, then pass-through input columns in input order."""
    known = [c for c in OUTPUT_COLUMNS if c in df.columns]
    return df[known + [c for c in df.columns if c not in OUTPUT_COLUMNS]]


def run_job(inputs: Sequence[str | Path], cfg: Config) -> JobResult:
    start = time.perf_counter()
    df, tables = ingest(inputs, cfg.ingest)
    timings = {"ingest": round(time.perf_counter() - start, 3)}
    df, stage_timings = process(df, cfg)
    timings.update(stage_timings)
    df = ordered(df)

    out = Path(cfg.export.out_dir)
    start = time.perf_counter()
    write_csv(df, out / "comments.csv")
    manifest = build_manifest(tables, df, timings, cfg, outputs=["comments.csv", "triage.xlsx", "run.json"])
    write_workbook(df, out / "triage.xlsx", manifest)
    timings["export"] = round(time.perf_counter() - start, 3)
    write_manifest(manifest, out / "run.json")
    return JobResult(df, manifest, out)
