"""One batch job: files in, output folder out. The only place that does I/O around the pure stages."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.classifier import CommentClassifier
from pipeline.classify import resolve_classifier
from pipeline.cluster import cluster_table
from pipeline.columns import OUTPUT_COLUMNS
from pipeline.config import Config
from pipeline.errors import UserError
from pipeline.export.atomic import check_out_dir
from pipeline.export.manifest import build_manifest, write_manifest
from pipeline.export.research import write_research
from pipeline.export.tables import write_csv
from pipeline.edits import read_edits
from pipeline.export.xlsx import write_workbook
from pipeline.hashing import file_sha256
from pipeline.ingest import ingest
from pipeline.models import read_card
from pipeline.pii_columns import detect_pii_columns
from pipeline.process import process
from pipeline.readers import RawTable
from pipeline.resources import DEFAULT_MODEL, resource_path
from pipeline.triage import TriageRules, load_rules

WORKBOOK, MANIFEST = "triage.xlsx", "run.json"
OUTPUTS = ("comments.csv", "clusters.csv", "research.csv", "research.parquet", WORKBOOK, MANIFEST)


@dataclass
class JobResult:
    comments: pd.DataFrame
    manifest: dict[str, Any]
    out_dir: Path

    @property
    def workbook(self) -> Path:
        return self.out_dir / WORKBOOK


def ordered(df: pd.DataFrame) -> pd.DataFrame:
    """Output columns in contract order, then pass-through input columns in input order."""
    known = [c for c in OUTPUT_COLUMNS if c in df.columns]
    return df[known + [c for c in df.columns if c not in OUTPUT_COLUMNS]]


def pii_columns(df: pd.DataFrame, tables: Sequence[RawTable], cfg: Config) -> list[str]:
    """Pass-through input columns holding personal data, found by header or named with `--pii-col` as in the input
    file. A text column may be named too: text never reaches research.* anyway."""
    inputs = {str(c) for t in tables for c in t.frame.columns}
    unknown = [c for c in cfg.ingest.pii_cols if c not in inputs]
    if unknown:
        raise UserError(f"nie ma takiej kolumny (podanej w --pii-col) w {', '.join(t.path.name for t in tables)}",
                        column=unknown[0])
    passthrough = [c for c in df.columns if c not in OUTPUT_COLUMNS]
    renamed = {c[3:]: c for c in passthrough if c.startswith("in_")}
    explicit = [c if c in passthrough else renamed.get(c, c) for c in cfg.ingest.pii_cols]
    return detect_pii_columns(passthrough, [c for c in explicit if c in passthrough])


def model_summary(cfg: Config) -> dict[str, Any]:
    """What run.json records about the classifier: which model (by its card's hash) and its cross-validated quality."""
    model_dir = cfg.classify.model
    if model_dir is None and cfg.classify.taxonomy is not None:
        return {"kind": "zero-shot", "taxonomy": str(cfg.classify.taxonomy)}
    if isinstance(model_dir, CommentClassifier):  # fitted in this process: no folder, no card
        return {"kind": "trained", "path": cfg.to_dict()["classify"]["model"], "sha256": None, "trained": None,
                "taxonomy": model_dir.taxonomy.name, "cv_accuracy": None, "cv_macro_f1": None}
    model_dir = model_dir or resource_path(*DEFAULT_MODEL)
    card = read_card(model_dir)
    cv = card.get("cross_validation", {})
    return {"kind": "trained", "path": str(model_dir), "sha256": card["model_sha256"], "trained": card.get("date"),
            "taxonomy": card.get("taxonomy", {}).get("name"), "cv_accuracy": cv.get("accuracy"),
            "cv_macro_f1": cv.get("macro_f1")}


def run_job(inputs: Sequence[str | Path], cfg: Config) -> JobResult:
    out = check_out_dir(Path(cfg.export.out_dir))
    check_rules_labels(cfg)
    start = time.perf_counter()
    df, tables = ingest(inputs, cfg.ingest)
    personal = pii_columns(df, tables, cfg)
    timings = {"ingest": round(time.perf_counter() - start, 3)}
    df, stage_timings = process(df, cfg)
    timings.update(stage_timings)
    df = ordered(df)

    start = time.perf_counter()
    taxonomy = resolve_classifier(cfg).taxonomy
    clusters = cluster_table(df, cfg)
    write_csv(df, out / "comments.csv")
    write_csv(clusters, out / "clusters.csv")
    write_research(df, out)
    manifest = build_manifest(tables, df, timings, cfg, outputs=list(OUTPUTS), pii_columns=personal,
                              model=model_summary(cfg), clusters=len(clusters), encoder=df.attrs.get("encoder"))
    kept = keep_edited_workbook(out)
    manifest["kept_workbook"] = kept.name if kept else None
    write_workbook(df, out / WORKBOOK, manifest, taxonomy=taxonomy, clusters=clusters, cfg=cfg)
    manifest["workbook_sha256"] = file_sha256(out / WORKBOOK)
    timings["export"] = round(time.perf_counter() - start, 3)
    write_manifest(manifest, out / MANIFEST)
    return JobResult(df, manifest, out)


def _has_staff_entries(workbook: Path) -> bool:
    """Whether any staff column is filled; a file that cannot be read as a uwagi workbook counts as filled."""
    try:
        return bool(read_edits(workbook).rows)
    except UserError:
        return True


def check_rules_labels(cfg: Config) -> None:
    """A --rules file names goals by id; a mistyped one would silently switch its rule off."""
    if cfg.triage.rules is None:
        return
    ids = resolve_classifier(cfg).taxonomy.ids
    unknown = [label for label in load_rules(cfg.triage.rules).off_topic_labels if label not in ids]
    if unknown:
        raise UserError(f"off_topic.labels: nieznany cel {unknown[0]!r} (cele taksonomii: {', '.join(ids)})",
                        path=None if isinstance(cfg.triage.rules, TriageRules) else cfg.triage.rules)


def keep_edited_workbook(out: Path) -> Path | None:
    """Staff work in triage.xlsx; one they changed since uwagi wrote it (its SHA-256 is no longer the one run.json
    recorded) and that holds entries in the staff columns is renamed, never overwritten, so a nightly rerun cannot
    wipe a day's corrections."""
    workbook = out / WORKBOOK
    if not workbook.exists():
        return None
    try:
        recorded = json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("workbook_sha256")
    except (OSError, ValueError, AttributeError):
        recorded = None
    if recorded == file_sha256(workbook) or not _has_staff_entries(workbook):
        return None
    stamp = datetime.fromtimestamp(workbook.stat().st_mtime).strftime("%Y%m%d-%H%M%S")
    kept, n = out / f"triage.edytowany-{stamp}.xlsx", 1
    while kept.exists():
        n += 1
        kept = out / f"triage.edytowany-{stamp}-{n}.xlsx"
    workbook.rename(kept)
    return kept
