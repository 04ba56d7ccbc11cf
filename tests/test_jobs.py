"""`--jobs N`: the row-wise stages run over chunks of rows in worker processes and give exactly the table one
process gives, with the sentence encoder too (one budget of new vectors for the whole batch); a worker that dies
fails the run (exit 1), never leaving partial outputs. Every test here has a time limit: a pool must never hang."""

from __future__ import annotations

import functools
import multiprocessing
import os
import shutil
import signal
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from pipeline import STAGES, Config, IngestConfig, ingest, stage
from pipeline.cli import main
from pipeline.config import ClassifyConfig, EngineConfig, ThemesConfig
from pipeline.engines.local import LocalEngine
from pipeline.engines.workers import WorkerPool, chunk_bounds
from synthetic_campaigns import make_corpus

pytestmark = pytest.mark.timeout(600)

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "samples" / "konsultacje_2023_demo.csv"
TEXT, ID, SUBMITTER = "Treść uwagi", "Nr zgłoszenia", "Typ zgłaszającego"
ROWS = 800
NEW_VECTORS = 8  # the encoder budget of the `auto` comparison: far fewer than the uncached comments it would pick


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    """A consultation export of over a thousand comments: campaigns, duplicates and unique comments, mixed with the
    demo's comments, whose sentence vectors the test session's cache holds (tests/conftest.py)."""
    sample = pd.read_csv(DEMO, sep=";", dtype=str, encoding="utf-8-sig")[TEXT].tolist()
    texts = make_corpus(ROWS - len(sample), seed=7, sample=sample).frame["text_clean"].tolist()
    texts = [t for pair in zip(texts, sample) for t in pair] + texts[len(sample):]
    path = tmp_path_factory.mktemp("jobs") / "eksport.csv"
    pd.DataFrame({ID: [f"Z-{i:05d}" for i in range(len(texts))], TEXT: texts,
                  SUBMITTER: [("osoba fizyczna", "organizacja pozarządowa")[i % 2] for i in range(len(texts))]}
                 ).to_csv(path, sep=";", index=False, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def batch(export) -> tuple[pd.DataFrame, Config]:
    # Themes run in this process either way, on the table the row-wise stages give: off, for time.
    cfg = Config(ingest=IngestConfig(id_col=ID, submitter_col=SUBMITTER), classify=ClassifyConfig(encoder="off"),
                 themes=ThemesConfig(enabled=False))
    return ingest([export], cfg.ingest)[0], cfg


def jobs(cfg: Config, n: int) -> Config:
    return cfg.with_(engine=EngineConfig(jobs=n, chunk_rows=200, pool_min_rows=0))


def test_chunks_cover_every_row_once_and_keep_both_workers_busy():
    bounds = chunk_bounds(2_500, 2, 300)
    assert bounds[0] == 0 and bounds[-1] == 2_500 and bounds == sorted(set(bounds))
    sizes = [b - a for a, b in zip(bounds, bounds[1:])]
    assert max(sizes) <= 300 and max(sizes) - min(sizes) <= 1
    assert len(chunk_bounds(400, 2, 10_000)) - 1 == 2  # fewer rows than a chunk still gives each worker one
    assert chunk_bounds(1, 2, 300) == [0, 1]


@pytest.mark.slow
def test_two_jobs_give_the_one_process_table(batch):
    comments, cfg = batch
    one, _ = LocalEngine().process(comments, jobs(cfg, 1))
    two, seconds = LocalEngine().process(comments, jobs(cfg, 2))
    assert list(seconds) == [s.info.name for s in STAGES]
    assert (one["cluster_size"] > 1).sum() > 200  # campaigns whose members sit in different chunks
    assert_frame_equal(two, one)  # every column: ids, cleaned text, labels, clusters, priorities, reasons
    assert two.attrs == one.attrs  # the themes table, the encoder report


def with_cache(folder: Path, monkeypatch, seeded: Path) -> None:
    """A vector cache of its own, holding what the session's seeded cache holds."""
    shutil.copytree(seeded, folder)
    monkeypatch.setenv("UWAGI_CACHE_DIR", str(folder))


@pytest.fixture(scope="module")
def unsure_of_the_demo(tmp_path_factory) -> Path:
    """A model that did not learn the demo's comments (the default model did, so it is sure of them): trained on the
    training split alone, it leaves many demo comments among the least certain, whose vectors the cache holds."""
    out = tmp_path_factory.mktemp("model") / "model"
    assert main(["train", str(ROOT / "data" / "gdansk_ngo_2023" / "train.jsonl"), "--taxonomy",
                 str(ROOT / "data" / "taxonomies" / "gdansk_ngo_2023.toml"), "--out", str(out)]) == 0
    return out


@pytest.mark.slow
def test_two_jobs_spend_one_budget_of_new_vectors_as_one_process(batch, tmp_path, monkeypatch, vector_cache,
                                                                 unsure_of_the_demo):
    comments, cfg = batch
    auto = cfg.with_(classify=ClassifyConfig(encoder="auto", encoder_budget=NEW_VECTORS, model=unsure_of_the_demo))
    row_wise = [s for s in STAGES if s.info.name in ("clean", "redact", "classify", "corrections")]
    results = []
    for n in (1, 2):  # each from the same cache: the first run's new vectors must not help the second
        with_cache(tmp_path / f"cache{n}", monkeypatch, vector_cache)
        results.append(LocalEngine().process(comments, jobs(auto, n), row_wise)[0])
    one, two = results
    report = one.attrs["encoder"]
    assert report["used"] and 0 < report["embedded_new"] <= NEW_VECTORS  # fewer when picked texts repeat
    assert report["semantic"] > 2 * NEW_VECTORS  # the demo's comments came from the cache, in every chunk
    assert_frame_equal(two, one)
    assert two.attrs == one.attrs


@stage("dies", requires=("text_clean",), assigns=())
def dies(df, cfg):
    if multiprocessing.parent_process() is not None:  # a worker, as the kernel's OOM killer would end it
        os.kill(os.getpid(), signal.SIGKILL)
    return df


@pytest.mark.parametrize("spill_rows", [10_000, 100], ids=["one table", "while ingest still reads"])
def test_a_killed_worker_fails_the_run_with_exit_1_and_no_outputs(export, tmp_path, monkeypatch, capsys, spill_rows):
    # In parts of 100 rows, the export is read a part at a time and the first map works on the first parts while
    # the rest is read.
    monkeypatch.setattr("pipeline.job.STAGES", (STAGES[0], dies, *STAGES[1:]))
    monkeypatch.setattr("pipeline.commands.run.EngineConfig",
                        functools.partial(EngineConfig, pool_min_rows=0, spill_rows=spill_rows))
    out = tmp_path / "wyniki"
    code = main(["run", str(export), "--out", str(out), "--id-col", ID, "--encoder", "off", "--jobs", "2"])
    assert code == 1
    err = capsys.readouterr().err
    assert "proces roboczy zakończył się nieoczekiwanie" in err and len(err.strip().splitlines()) == 1
    assert not out.exists() or not any(p.name in ("comments.csv", "triage.xlsx", "run.json") for p in out.iterdir())


class _Unstartable:
    """A process pool whose workers cannot be started (the fork server could not run)."""

    def submit(self, *args, **kwargs):
        raise OSError("fork server could not start")

    def shutdown(self, **kwargs):
        pass


def test_workers_that_cannot_start_fail_the_first_map_with_that_error(monkeypatch):
    # The workers are started from a thread, so the run reads on meanwhile: their error must still stop the run,
    # at its first use of the pool, and leaving the pool must not wait forever.
    monkeypatch.setattr("pipeline.engines.workers.process_pool", lambda *args: _Unstartable())
    rows = pd.DataFrame({"comment_id": ["1"], "text": ["Proszę o zmianę zapisu."]})
    with pytest.raises(OSError, match="fork server could not start"):
        with WorkerPool(Config(), 2, rows, STAGES[:1]) as pool:
            pool.run(len, [rows], STAGES[:1])
    assert not pool.starting()


def test_jobs_must_be_a_positive_count(export, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", str(export), "--out", str(tmp_path / "o"), "--jobs", "0"])
    assert exit_.value.code == 2
    assert "--jobs" in capsys.readouterr().err
