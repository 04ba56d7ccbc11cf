"""Wire the stages together: the comments table flows through each in order, and each is timed."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import pandas as pd

from pipeline.classify import classify
from pipeline.clean import clean
from pipeline.cluster import cluster
from pipeline.config import Config
from pipeline.corrections import corrections
from pipeline.redact import redact
from pipeline.themes import themes
from pipeline.triage import triage

Stage = Callable[[pd.DataFrame, Config], pd.DataFrame]

# Every stage but `cluster` and `themes` works row by row, so it can run on any chunk of the table; those two need
# the batch.
STAGES: tuple[tuple[str, Stage], ...] = (
    ("clean", clean),
    ("redact", redact),
    ("classify", classify),
    ("corrections", corrections),
    ("cluster", cluster),
    ("triage", triage),
    ("themes", themes),
)


def process(
    df: pd.DataFrame, cfg: Config, stages: Sequence[tuple[str, Stage]] = STAGES
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Run the stages in order; returns the final table and seconds per stage."""
    timings: dict[str, float] = {}
    n = len(df)
    for name, stage in stages:
        start = time.perf_counter()
        df = stage(df, cfg)
        timings[name] = round(time.perf_counter() - start, 3)
        if len(df) != n:  # a stage that drops or adds rows breaks the "nothing is lost" contract
            raise RuntimeError(f"stage {name!r} changed the row count from {n} to {len(df)}")
    return df, timings
