"""The local engine: the stages on this machine, the row-wise ones on every core.

With one job (`cfg.engine.jobs == 1`) or a table of at most `cfg.engine.chunk_rows` rows, every stage runs on the
whole table in this process (`pipeline.process.process`). Otherwise consecutive row-wise stages run as one map over
chunks of rows in worker processes (`pipeline/engines/workers.py`), and the stages that need the whole batch
(clustering, themes) run between those maps, here, on the whole table.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Sequence

import pandas as pd

from pipeline.config import Config
from pipeline.engines.workers import map_chunks
from pipeline.process import STAGES, check_chain, process
from pipeline.stage import Stage


class LocalEngine:
    def process(self, df: pd.DataFrame, cfg: Config, stages: Sequence[Stage] | None = None, *,
                on_stage: Callable[[str, int, float], None] | None = None) -> tuple[pd.DataFrame, dict[str, float]]:
        stages = STAGES if stages is None else stages
        jobs = jobs_for(cfg)
        if jobs == 1 or len(df) <= cfg.engine.chunk_rows:
            return process(df, cfg, stages, on_stage=on_stage)
        check_chain(list(df.columns), stages)
        timings: dict[str, float] = {}
        for row_wise, run in itertools.groupby(stages, key=lambda s: s.info.row_wise):
            group = list(run)
            df, took = map_chunks(df, cfg, group, jobs) if row_wise else process(df, cfg, group)
            timings.update(took)
            if on_stage is not None:
                for name, seconds in took.items():
                    on_stage(name, len(df), seconds)
        return df, timings


def jobs_for(cfg: Config) -> int:
    """Worker processes for the row-wise stages: `cfg.engine.jobs`, else one per core."""
    return cfg.engine.jobs or os.cpu_count() or 1
