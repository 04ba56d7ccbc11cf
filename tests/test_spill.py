"""Spilling (`EngineConfig.spill_rows`): a batch run in parts, its rows kept in part files from the row-wise stages
to the export, writes the very files the same batch gives in one part, with one process or with workers."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from pipeline import Config, IngestConfig, run_job
from pipeline.config import ClassifyConfig, EngineConfig, ExportConfig
from pipeline.engines.spill import spills
from pipeline.export.staging import STAGING_NAME

pytestmark = pytest.mark.timeout(900)

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "samples" / "konsultacje_2023_demo.csv"
ID, SUBMITTER = "Nr zgłoszenia", "Typ zgłaszającego"
TEXTS = ("comments.csv", "clusters.csv", "themes.csv", "research.csv")
# Cells that tell when the run was and how long its stages took.
RUN_CELLS = ("Przetworzono:", "Data przetwarzania", "Czas etapu", "Czas łącznie", "SHA-256")


def config(out: Path, spill_rows: int, jobs: int = 1) -> Config:
    # Fewer comments on "Uwagi" than the demo has: the workbook is a big one, listing the highest priorities.
    return Config(ingest=IngestConfig(id_col=ID, submitter_col=SUBMITTER), classify=ClassifyConfig(encoder="off"),
                  export=ExportConfig(out_dir=out, workbook_max_comments=30),
                  engine=EngineConfig(jobs=jobs, spill_rows=spill_rows, chunk_rows=10, pool_min_rows=0))


def cells(workbook: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(workbook)
    return {sheet.title: [row for row in sheet.iter_rows(values_only=True)
                          if not any(isinstance(v, str) and v.startswith(RUN_CELLS) for v in row)
                          and not any(isinstance(v, str) and "Przetworzono:" in v for v in row)]
            for sheet in book.worksheets}


@pytest.fixture(scope="module")
def one_part(tmp_path_factory):
    out = tmp_path_factory.mktemp("one") / "wyniki"
    return run_job([DEMO], config(out, spill_rows=10_000)), out


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_run_in_small_parts_writes_the_files_of_one_part(one_part, tmp_path, jobs):
    whole, expected = one_part
    out = tmp_path / "wyniki"
    cfg = config(out, spill_rows=23, jobs=jobs)
    assert spills(cfg, len(whole.comments)) and not spills(config(out, 10_000), len(whole.comments))
    parts = run_job([DEMO], cfg)
    for name in TEXTS:
        assert (out / name).read_bytes() == (expected / name).read_bytes(), name
    for name in ("research.parquet", "comments.parquet"):  # the full table beside the big workbook
        assert_frame_equal(pd.read_parquet(out / name), pd.read_parquet(expected / name))
    assert cells(out / "triage.xlsx") == cells(expected / "triage.xlsx")
    assert parts.manifest["counts"] == whole.manifest["counts"]
    assert parts.manifest["encoder"] == whole.manifest["encoder"]
    assert parts.manifest["outputs"] == whole.manifest["outputs"]
    assert not (out / STAGING_NAME).exists()  # nor the part files in it
    # The table the run never held whole comes from comments.parquet: the same rows and values.
    assert_frame_equal(parts.comments, whole.comments, check_dtype=False, check_index_type=False)
