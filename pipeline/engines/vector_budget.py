"""One budget of new sentence vectors for a batch classified in several worker processes.

With `--encoder auto` a run embeds at most `encoder_budget` comments whose text is not yet in the vector cache, the
least certain (smallest lexical margin) first over the whole batch; `--encoder on` embeds all of them. A worker sees
one chunk, so there classify embeds nothing new (`EngineConfig.defer_new_vectors`): the cached comments get the
semantic model, the others keep their lexical result and are listed with their margins (`classify.DEFERRED`). Here,
in the parent, the comments one process would have embedded are picked from every chunk's list, embedded in this
one process (the encoder spreads a batch over every core itself, and one process writes the cache) and run again
through classify and the row-wise stages after it. The table, and the encoder report, are those one process gives.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pandas as pd

from pipeline.config import Config
from pipeline.process import process
from pipeline.stage import Stage

CLASSIFY = "classify"
# The columns of the whole batch the encoder report is made from (`merged_report`).
REPORT_COLUMNS = ("comment_id", "semantic")


def picked(deferred: dict[int, float], cfg: Config) -> list[int]:
    """The rows (positions in the batch) one process would embed: least certain first, within the budget."""
    budget = cfg.classify.encoder_budget if cfg.classify.encoder == "auto" else None
    order = sorted(deferred, key=lambda row: (deferred[row], row))
    return sorted(order if budget is None else order[:max(budget, 0)])


def embedding(cfg: Config, rows: Sequence[int]) -> Config:
    """The configuration that classifies the picked `rows` again with their vectors: each is new and chosen by the
    cascade, so a budget of their number embeds them all."""
    return cfg.with_(classify=replace(cfg.classify, encoder="auto", encoder_budget=len(rows)))


def reclassified(rows: pd.DataFrame, cfg: Config, picked_rows: Sequence[int], stages: Sequence[Stage]
                 ) -> tuple[pd.DataFrame, int]:
    """`rows` (some of the picked ones) through classify and the stages after it with their vectors; the vectors
    that took to compute."""
    names = [s.info.name for s in stages]
    redone, _ = process(rows, embedding(cfg, picked_rows), stages[names.index(CLASSIFY):])
    return redone, redone.attrs["encoder"]["embedded_new"]


def put_back(table: pd.DataFrame, redone: pd.DataFrame) -> None:
    """`reclassified`'s columns into `table`'s rows of the same index, column by column so each keeps its dtype."""
    for column in redone.columns.intersection(table.columns):
        table.loc[redone.index, column] = redone[column].to_numpy()


def spend_budget(table: pd.DataFrame, attrs: Sequence[dict[str, Any]], deferred: dict[int, float], cfg: Config,
                 stages: Sequence[Stage]) -> tuple[pd.DataFrame, float]:
    """The chunks' results as one table (`attrs`: each chunk's), the picked deferred rows classified again with
    their vectors; the seconds that took. Without classify among `stages`, the table with the first chunk's attrs."""
    names = [s.info.name for s in stages]
    table.attrs = dict(attrs[0]) if attrs else {}
    reports = [a.get("encoder") for a in attrs] if CLASSIFY in names else []
    if not reports:
        return table, 0.0
    started = time.perf_counter()
    rows = picked(deferred, cfg)
    embedded = 0
    if rows:
        redone, embedded = reclassified(table.iloc[rows], cfg, rows, stages)
        put_back(table, redone)
    table.attrs["encoder"] = merged_report([r for r in reports if r], table, embedded)
    return table, time.perf_counter() - started


def merged_report(reports: list[dict[str, Any]], table: pd.DataFrame, embedded: int) -> dict[str, Any]:
    """The encoder report of the whole batch from its chunks' (`classify`'s `attrs["encoder"]`)."""
    report = dict(next((r for r in reports if r["used"]), reports[0]))
    semantic = table["semantic"].astype(bool)
    report["semantic"] = int(semantic.sum())
    report["semantic_ids"] = table.loc[semantic, "comment_id"].astype(str).tolist() if "comment_id" in table else []
    report["embedded_new"] = embedded
    return report
