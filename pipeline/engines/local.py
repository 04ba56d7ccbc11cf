"""The local engine: every stage on the whole table, in this process (`pipeline.process.process`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from pipeline.config import Config
from pipeline.process import STAGES, process
from pipeline.stage import Stage


class LocalEngine:
    def process(self, df: pd.DataFrame, cfg: Config, stages: Sequence[Stage] | None = None, *,
                on_stage: Callable[[str, int, float], None] | None = None) -> tuple[pd.DataFrame, dict[str, float]]:
        return process(df, cfg, STAGES if stages is None else stages, on_stage=on_stage)
