"""Spilling (`EngineConfig.spill_rows`): a batch run in parts, its rows kept in part files from the row-wise stages
to the export, writes the very files the same batch gives in one part, with one process or with workers."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from pipeline import Config, IngestConfig, ingest, run_job, stage
from pipeline.config import ClassifyConfig, EngineConfig, ExportConfig
from pipeline.csv_parts import csv_parts
from pipeline.errors import UserError
from pipeline.engines.spill import spill, spills
from pipeline.ingest_parts import part_reading
from pipeline.export.staging import STAGING_NAME
from pipeline.row_source import column_rows

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


def part_zero_mapped(out: Path) -> bool:
    """Whether the first map has written the first part back (it then holds `text_clean`)."""
    for part in out.parent.rglob("part-00000.pkl"):
        try:
            return "text_clean" in pd.read_pickle(part).columns
        except Exception:  # being written by the worker
            return False
    return False


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_first_map_works_on_a_part_while_ingest_still_reads(one_part, tmp_path, monkeypatch, jobs):
    # The reading waits before its last part until the first part has been through the first map: without the
    # overlap that never happens, and the run would not give its outputs.
    whole, expected = one_part
    out = tmp_path / "wyniki"
    seen: list[bool] = []

    def slow_parts(path, rows, text_cols=()):
        tables = list(csv_parts(path, rows, text_cols))
        for k, table in enumerate(tables):
            if k == len(tables) - 1:
                deadline = time.monotonic() + 300
                while not part_zero_mapped(out) and time.monotonic() < deadline:
                    time.sleep(0.2)
                seen.append(part_zero_mapped(out))
            yield table

    monkeypatch.setattr("pipeline.ingest_parts.csv_parts", slow_parts)
    run_job([DEMO], config(out, spill_rows=23, jobs=jobs))
    assert seen == [True]
    for name in TEXTS:
        assert (out / name).read_bytes() == (expected / name).read_bytes(), name


@stage("copies_ids", requires=("comment_id",), assigns=("seen_id",))
def copies_ids(df, cfg):
    return df.assign(seen_id=df["comment_id"])


@stage("copies_nothing", requires=("text",), assigns=())
def copies_nothing(df, cfg):
    return df


@pytest.mark.parametrize("first_map", [(copies_ids,), (copies_nothing,)], ids=["requires ids", "reads no id"])
def test_ids_settled_after_the_last_part_reach_every_row_and_a_stage_that_requires_them(tmp_path, first_map):
    # Repeated and empty --id-col values are settled over the whole batch, after the parts the first map may
    # already work on: a stage that requires the ids waits for them, the others' rows get them after.
    path = tmp_path / "eksport.csv"
    rows = "".join(f"{i // 3 if i % 5 else ''};Uwaga {i % 4}: proszę o zmianę zapisu\n" for i in range(60))
    path.write_text("Nr;Treść uwagi\n" + rows, encoding="utf-8")
    cfg = Config(ingest=IngestConfig(id_col="Nr"), engine=EngineConfig(jobs=1, spill_rows=8))
    expected = ingest([path], cfg.ingest)[0]["comment_id"]
    reading = part_reading([path], cfg.ingest, 8, tmp_path / "parts")
    assert reading is not None
    spilled, _ = spill(reading, cfg, first_map, tmp_path / "parts")
    got = pd.concat(list(spilled.parts()))
    assert len(spilled.paths) == 8 and got["comment_id"].tolist() == expected.tolist()
    assert expected.nunique() == len(expected) and {"19", "19-2", "19-3"} <= set(expected)  # not the parts' hash ids
    if "seen_id" in got.columns:
        assert got["seen_id"].tolist() == expected.tolist()


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_workers_fork_server_starts_before_the_first_part_is_read(tmp_path, monkeypatch, jobs):
    # Its imports (about 2 s of CPU) run while this process reads the first part, the workers' warm-up rows, not
    # after it, while the pool waits for the server's first fork; a run without workers starts none.
    events: list[str] = []

    def parts(path, rows, text_cols=()):
        for table in csv_parts(path, rows, text_cols):
            events.append("part")
            yield table

    monkeypatch.setattr("pipeline.engines.spill.start_server", lambda: events.append("server"))
    monkeypatch.setattr("pipeline.ingest_parts.csv_parts", parts)
    path = tmp_path / "eksport.csv"
    path.write_text("Nr;Treść uwagi\n" + "".join(f"{i};Uwaga {i}: proszę o zmianę\n" for i in range(30)),
                    encoding="utf-8")
    cfg = Config(engine=EngineConfig(jobs=jobs, spill_rows=8))
    reading = part_reading([path], cfg.ingest, 8, tmp_path / "parts")
    assert reading is not None
    spill(reading, cfg, (copies_nothing,), tmp_path / "parts")
    assert events == (["server"] if jobs > 1 else []) + ["part"] * 4


def test_a_file_a_later_part_cannot_read_is_ingested_whole_after_the_work_begun_on_its_parts(tmp_path, monkeypatch):
    # A stray quote far into the file, read 4,000 characters at a time: the parts already sent to the workers are let
    # go, and the file is read whole.
    lines = DEMO.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    broken = tmp_path / "eksport.csv"
    broken.write_text("".join(lines[:-40]) + '"' + "".join(lines[-40:]), encoding="utf-8")
    given: list[int] = []

    def small_blocks(path, rows, text_cols=()):
        for table in csv_parts(path, rows, text_cols, block_chars=4_000):
            given.append(len(table.frame))
            yield table

    read_whole: list[int] = []

    def whole(inputs, cfg):
        read_whole.append(len(inputs))
        return ingest(inputs, cfg)

    monkeypatch.setattr("pipeline.ingest_parts.csv_parts", small_blocks)
    monkeypatch.setattr("pipeline.job.ingest", whole)
    out = tmp_path / "wyniki"
    run = run_job([broken], config(out, spill_rows=23, jobs=2))
    assert len(given) > 2 and read_whole == [1]  # parts the first map had begun on, then the whole file
    assert len(run.comments) == len(ingest([broken], IngestConfig(id_col=ID))[0])
    assert not (out / STAGING_NAME).exists()


def test_a_pii_column_the_file_lacks_stops_the_run_before_any_work(tmp_path, monkeypatch):
    def no_pool(*_, **__):
        pytest.fail("the workers started")

    monkeypatch.setattr("pipeline.engines.spill.WorkerPool", no_pool)
    cfg = config(tmp_path / "wyniki", spill_rows=23, jobs=2)
    with pytest.raises(UserError, match="--pii-col"):
        run_job([DEMO], cfg.with_(ingest=replace(cfg.ingest, pii_cols=("Nie ma takiej",))))


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


# A working column only the batch-wide stage after its map reads, of a few rows: kept in the part files alone.
@stage("toy_aside", requires=("text",), assigns=("aside",), spilled_only=("aside",))
def _aside(df: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    return df.assign(aside=df["text"].str.upper())


@stage("toy_reader", requires=("text",), assigns=("read",), row_wise=False)
def _reader(df: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    SEEN.append(list(df.columns))
    return df.assign(read=column_rows(df, "aside", np.array([3, 41]), "toy_reader").tolist() * (len(df) // 2))


@stage("toy_after", requires=("text",), assigns=("after",))
def _after(df: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    SEEN.append(list(df.columns))
    return df.assign(after=1)


def test_a_column_only_the_next_batch_wide_stage_reads_stays_in_the_part_files_until_the_next_map(tmp_path):
    rows = pd.DataFrame({"text": [f"uwaga {i}" for i in range(50)]})
    cfg = Config(engine=EngineConfig(jobs=1, spill_rows=10))
    SEEN.clear()
    spilled, _ = spill([rows], cfg, [_aside, _reader, _after], tmp_path)
    assert "aside" not in SEEN[0]  # not in this process's table for the batch-wide stage: it read the rows it needed
    assert "aside" not in SEEN[1] and "aside" not in pd.concat(spilled.parts()).columns  # gone in the next map
    assert pd.concat(spilled.parts())["read"].tolist()[:2] == ["UWAGA 3", "UWAGA 41"]
