"""The local engine: the stages on this machine, the row-wise ones on every core.

With one job (`cfg.engine.jobs == 1`) or a table of fewer than `cfg.engine.pool_min_rows` rows, every stage runs on
the whole table in this process (`pipeline.process.process`). Otherwise consecutive row-wise stages run as one map
over chunks of rows in worker processes (`pipeline/engines/workers.py`), and the stages that need the whole batch
(clustering, themes) run between those maps, here, on the whole table.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Sequence

import pandas as pd

from pipeline.classify import needs_whole_batch
from pipeline.config import Config
from pipeline.engines.workers import WorkerPool
from pipeline.process import STAGES, check_chain, process
from pipeline.stage import Stage


class LocalEngine:
    def process(self, df: pd.DataFrame, cfg: Config, stages: Sequence[Stage] | None = None, *,
                on_stage: Callable[[str, int, float], None] | None = None) -> tuple[pd.DataFrame, dict[str, float]]:
        stages = STAGES if stages is None else stages
        jobs = jobs_for(cfg)
        if jobs == 1 or len(df) < cfg.engine.pool_min_rows:
            return process(df, cfg, stages, on_stage=on_stage)
        check_chain(list(df.columns), stages)
        mapped = mappable(stages, cfg)
        groups = [(in_workers, list(run)) for in_workers, run in itertools.groupby(stages, key=mapped.__contains__)]
        first = next((group for in_workers, group in groups if in_workers), None)
        if first is None:
            return process(df, cfg, stages, on_stage=on_stage)
        timings: dict[str, float] = {}
        with WorkerPool(cfg, jobs, df, first) as pool:
            for in_workers, group in groups:
                df, took = pool.map(df, group) if in_workers else process(df, cfg, group)
                timings.update(took)
                if on_stage is not None:
                    for name, seconds in took.items():
                        on_stage(name, len(df), seconds)
        return df, timings


def mappable(stages: Sequence[Stage], cfg: Config) -> set[Stage]:
    """The stages that run in the workers: the row-wise ones, but classify when it must see the whole batch."""
    return {s for s in stages if s.info.row_wise and not (s.info.name == "classify" and needs_whole_batch(cfg))}


def jobs_for(cfg: Config) -> int:
    """Worker processes for the row-wise stages: `cfg.engine.jobs`, else one per core."""
    return cfg.engine.jobs or os.cpu_count() or 1
