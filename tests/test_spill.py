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
from pipeline.engines.spill import spill, spills
from pipeline.stage import stage
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


# Toy stages for what this process keeps between maps: a working column the map after the batch-wide stage assigns
# again stays in the part files; another working column is kept for the batch-wide stage.
SEEN: list[list[str]] = []


@stage("toy_first", requires=("text",), assigns=("work", "other"))
def _first(df: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    return df.assign(work=df["text"].str.upper(), other=df["text"].str.len())


@stage("toy_batch", requires=("text",), assigns=("theme",), row_wise=False)
def _batch(df: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    SEEN.append(list(df.columns))
    return df.assign(theme="t")


@stage("toy_again", requires=("text", "work"), assigns=("work",))
def _again(df: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    return df.assign(work=df["work"] + "!")


def test_a_working_column_the_next_map_assigns_again_stays_in_the_part_files(tmp_path):
    rows = pd.DataFrame({"text": [f"uwaga {i}" for i in range(50)]})
    cfg = Config(engine=EngineConfig(jobs=1, spill_rows=10))
    SEEN.clear()
    spilled, _ = spill([rows], cfg, [_first, _batch, _again], tmp_path)
    assert "work" not in SEEN[0] and "other" in SEEN[0]  # the batch-wide stage's table, for every row
    whole = pd.concat(spilled.parts())
    assert whole["work"].tolist() == [f"UWAGA {i}!" for i in range(50)]  # the next map read it from the parts
    assert whole["theme"].eq("t").all()
