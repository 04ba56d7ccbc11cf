"""`--jobs N`: the row-wise stages run over chunks of rows in worker processes and give exactly the table one
process gives; a worker that dies fails the run (exit 1), never leaving partial outputs."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from pipeline import STAGES, Config, IngestConfig, clean, ingest, stage
from pipeline.cli import main
from pipeline.config import EngineConfig
from pipeline.engines.local import LocalEngine
from pipeline.engines.workers import WorkerDied, chunk_bounds
from synthetic_campaigns import make_corpus

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "samples" / "konsultacje_2023_demo.csv"
TEXT, ID, SUBMITTER = "Treść uwagi", "Nr zgłoszenia", "Typ zgłaszającego"
ROWS = 2_500
PARENT = os.getpid()


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    """A consultation export of a few thousand comments: campaigns, duplicates and unique comments, mixed."""
    sample = pd.read_csv(DEMO, sep=";", dtype=str, encoding="utf-8-sig")[TEXT].tolist()
    corpus = make_corpus(ROWS, seed=7, sample=sample).frame
    path = tmp_path_factory.mktemp("jobs") / "eksport.csv"
    pd.DataFrame({ID: [f"Z-{i:05d}" for i in range(ROWS)], TEXT: corpus["text_clean"],
                  SUBMITTER: ["osoba fizyczna", "organizacja pozarządowa"] * (ROWS // 2)}
                 ).to_csv(path, sep=";", index=False, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def batch(export) -> tuple[pd.DataFrame, Config]:
    cfg = Config(ingest=IngestConfig(id_col=ID, submitter_col=SUBMITTER))
    return ingest([export], cfg.ingest)[0], cfg


def jobs(cfg: Config, n: int, chunk_rows: int = 300) -> Config:
    return cfg.with_(engine=EngineConfig(jobs=n, chunk_rows=chunk_rows))


def test_chunks_cover_every_row_once_and_keep_both_workers_busy():
    bounds = chunk_bounds(2_500, 2, 300)
    assert bounds[0] == 0 and bounds[-1] == 2_500 and bounds == sorted(set(bounds))
    sizes = [b - a for a, b in zip(bounds[1:-1], bounds[2:])]
    assert max(sizes) <= 300 and max(sizes) - min(sizes) <= 1
    assert len(chunk_bounds(400, 2, 10_000)) - 2 == 2  # fewer rows than a chunk still gives each worker one


@pytest.mark.slow
def test_two_jobs_give_the_one_process_table(batch):
    comments, cfg = batch
    one, _ = LocalEngine().process(comments, jobs(cfg, 1))
    two, seconds = LocalEngine().process(comments, jobs(cfg, 2))
    assert list(seconds) == [s.info.name for s in STAGES]
    assert (one["cluster_size"] > 1).sum() > 500  # campaigns whose members sit in different chunks
    assert_frame_equal(two, one)  # every column: ids, cleaned text, labels, clusters, priorities, reasons
    assert two.attrs == one.attrs  # the themes table


@stage("dies", requires=("text_clean",), assigns=())
def dies(df, cfg):
    if os.getpid() != PARENT:  # a worker, as the kernel's OOM killer would end it
        os.kill(os.getpid(), signal.SIGKILL)
    return df


def test_a_killed_worker_fails_the_stage_map(batch):
    comments, cfg = batch
    with pytest.raises(WorkerDied, match="proces roboczy zakończył się nieoczekiwanie"):
        LocalEngine().process(comments, jobs(cfg, 2), (clean, dies))


def test_a_killed_worker_fails_the_run_with_exit_1_and_no_outputs(export, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("pipeline.job.STAGES", (STAGES[0], dies, *STAGES[1:]))
    out = tmp_path / "wyniki"
    code = main(["run", str(export), "--out", str(out), "--id-col", ID, "--jobs", "2"])
    assert code == 1
    assert "proces roboczy zakończył się nieoczekiwanie" in capsys.readouterr().err
    assert not out.exists() or not any(p.name in ("comments.csv", "triage.xlsx", "run.json") for p in out.iterdir())


def test_jobs_must_be_a_positive_count(export, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", str(export), "--out", str(tmp_path / "o"), "--jobs", "0"])
    assert exit_.value.code == 2
    assert "--jobs" in capsys.readouterr().err
