"""The independent pieces of the batch-wide stages (`pipeline.pieces`): clustering's batches of whole clusters and
themes' goals run in the worker pool of a spilled run and give the columns they give in this process; a worker that
dies during one fails the run."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from pipeline import Config, IngestConfig, cluster, cluster_memo, run_job
from pipeline.cluster import cluster_units
from pipeline.columns import CLUSTER_COLUMNS
from pipeline.config import ClassifyConfig, EngineConfig, ExportConfig
from pipeline.engines.workers import WorkerDied, WorkerPool
from pipeline.pieces import mapped, mapping_with
from synthetic_campaigns import make_corpus

pytestmark = pytest.mark.timeout(600)

TEXT, ID = "Treść uwagi", "Nr zgłoszenia"
ROWS, SPILL_ROWS = 300, 100
cluster_module = sys.modules[cluster.__module__]


def test_pieces_run_here_in_order_unless_the_engine_maps_them():
    assert list(mapped(str.upper, ["a", "b"])) == ["A", "B"]
    sent = []

    def mapper(fn, pieces):
        pieces = list(pieces)
        sent.extend(pieces)
        return map(fn, reversed(pieces))

    with mapping_with(mapper):
        assert list(mapped(str.upper, ["a", "b"])) == ["B", "A"]
    assert sent == ["a", "b"]
    assert list(mapped(str.upper, ["c"])) == ["C"]


def refusing(fn, pieces):
    raise AssertionError("a night's pieces must stay in this process")


def test_a_night_clusters_here_whatever_maps_the_pieces():
    # Its memo lives in this process: what a worker computed would be missing from the next night's.
    with cluster_memo.remembering({}), mapping_with(refusing):
        assert list(mapped(str.upper, ["a", "b"])) == ["A", "B"]
    table = make_corpus(120, seed=5).frame
    with cluster_memo.remembering({}) as memo, mapping_with(refusing):
        clustered = cluster(table, Config())
    added = clustered["added_text"][clustered["added_text"] != ""]
    assert len(added) and set(added) <= set(memo.used.values())  # remembered for the next night


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    """Three parts of campaigns, duplicates and unique comments."""
    texts = make_corpus(ROWS, seed=3).frame["text_clean"].tolist()
    path = tmp_path_factory.mktemp("pieces") / "eksport.csv"
    pd.DataFrame({ID: [f"Z-{i:04d}" for i in range(len(texts))], TEXT: texts}).to_csv(path, sep=";", index=False)
    return path


def config(out: Path) -> Config:
    return Config(ingest=IngestConfig(id_col=ID), classify=ClassifyConfig(encoder="off"),
                  export=ExportConfig(out_dir=out),
                  engine=EngineConfig(jobs=2, spill_rows=SPILL_ROWS, chunk_rows=50, pool_min_rows=0))


@pytest.fixture
def in_workers(monkeypatch):
    """The functions the pool ran pieces with, by name."""
    ran: list[str] = []
    ordered = WorkerPool.ordered

    def recorded(self, fn, tasks, what):
        ran.append(fn.func.__name__)
        return ordered(self, fn, tasks, what)

    monkeypatch.setattr(WorkerPool, "ordered", recorded)
    # Clusters a few units at a time: several batches, each a piece.
    monkeypatch.setattr(cluster_module, "_ADDED_UNITS", 10)
    return ran


def test_a_spilled_run_gives_the_same_cluster_and_theme_columns_with_its_pieces_in_the_workers(
        export, tmp_path, monkeypatch, in_workers):
    run_job([export], config(tmp_path / "pool"))
    assert in_workers == ["_units_clustered", "_discovered"]
    monkeypatch.setattr("pipeline.engines.spill.mapping_with", lambda mapper: contextlib.nullcontext())
    run_job([export], config(tmp_path / "here"))
    assert in_workers == ["_units_clustered", "_discovered"]  # not called again
    columns = ["comment_id", *CLUSTER_COLUMNS, "theme"]
    pooled, here = (pd.read_csv(tmp_path / out / "comments.csv", usecols=columns, dtype=str, keep_default_na=False)
                    for out in ("pool", "here"))
    assert (here["cluster_size"].astype(int) > 1).sum() > 100 and here["theme"].nunique() > 1
    assert (here["added_text"] != "").any()
    assert_frame_equal(pooled, here)
    for name in ("clusters.csv", "themes.csv"):
        assert (tmp_path / "pool" / name).read_bytes() == (tmp_path / "here" / name).read_bytes(), name


def dying_batch(cfg, batch):
    """A batch of clusters whose worker is ended, as the kernel's OOM killer would end it."""
    if multiprocessing.parent_process() is not None:
        os.kill(os.getpid(), signal.SIGKILL)
    return cluster_units(batch, cfg)


def test_a_worker_that_dies_during_a_piece_fails_the_run(export, tmp_path, monkeypatch, in_workers):
    monkeypatch.setattr(cluster_module, "_units_clustered", dying_batch)
    out = tmp_path / "wyniki"
    with pytest.raises(WorkerDied, match="zakończył się nieoczekiwanie.*etapie cluster"):
        run_job([export], config(out))
    assert in_workers == ["dying_batch"]
    assert not out.exists() or not any(p.name in ("comments.csv", "triage.xlsx", "run.json") for p in out.iterdir())
