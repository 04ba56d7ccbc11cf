"""Wire the stages together: the comments table flows through each in order, and each is timed.

Before any work, the chain is checked against the table: every column a stage requires must be in the table or
assigned by an earlier stage, so a misconfigured chain fails in a millisecond, naming the stage and the column,
instead of after an hour of classification.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import pandas as pd

from pipeline.classify import classify
from pipeline.clean import clean
from pipeline.cluster import cluster
from pipeline.cluster_keys import cluster_keys
from pipeline.config import Config
from pipeline.corrections import corrections
from pipeline.redact import redact
from pipeline.stage import MissingColumnsError, Stage, missing_columns
from pipeline.theme_content import theme_content
from pipeline.themes import themes
from pipeline.triage import triage

# Every stage but `cluster` and `themes` works row by row, so it can run on any chunk of the table; those two need
# the batch (`cluster_keys` and `theme_content` are their row-wise parts: cores and signatures, the text analysis).
STAGES: tuple[Stage, ...] = (clean, redact, classify, corrections, cluster_keys, cluster, triage, theme_content,
                             themes)


def check_chain(columns: Sequence[str], stages: Sequence[Stage]) -> None:
    """Raise `MissingColumnsError` for the first stage whose required columns neither the table nor an earlier
    stage provides."""
    available = set(columns)
    for stage in stages:
        missing = missing_columns(available, stage.info.requires)
        if missing:
            raise MissingColumnsError(stage.info.name, missing)
        available.update(stage.info.assigns)


def process(df: pd.DataFrame, cfg: Config | None = None, stages: Sequence[Stage] = STAGES, *,
            on_stage: Callable[[str, int, float], None] | None = None) -> tuple[pd.DataFrame, dict[str, float]]:
    """Run the stages in order; returns the final table and seconds per stage (by stage name). `on_stage(name,
    rows, seconds)` is told as each stage ends (the run log, a progress bar)."""
    cfg = cfg if cfg is not None else Config()
    check_chain(list(df.columns), stages)
    timings: dict[str, float] = {}
    n = len(df)
    for stage in stages:
        name = stage.info.name
        start = time.perf_counter()
        df = stage(df, cfg)
        timings[name] = round(time.perf_counter() - start, 3)
        if len(df) != n:  # a stage that drops or adds rows breaks the "nothing is lost" contract
            raise RuntimeError(f"stage {name!r} changed the row count from {n} to {len(df)}")
        if on_stage is not None:
            on_stage(name, n, timings[name])
    return df, timings
