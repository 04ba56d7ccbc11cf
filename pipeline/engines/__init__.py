"""Engines: what runs the stages over the comments table, chosen by `cfg.engine.name`.

Every engine has one method, `process(df, cfg, stages, on_stage=None) -> (table, seconds per stage)`, and gives the same table
as `pipeline.process.process` on one machine: `local` is that function; `dask` maps the row-wise stages over the
partitions of a Dask DataFrame and runs clustering as its map, shuffle and reduce steps (`pipeline/cluster.py`).
A streaming engine (chunks and worker processes on one machine) fits the same seam. Dask is imported only when
its engine is chosen. The Dask engine also reads the inputs for a plain run (`process_inputs`: ingest and process
in one, the rows read on the workers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import pandas as pd

from pipeline.config import Config
from pipeline.errors import UserError
from pipeline.export.research import ResearchContext
from pipeline.stage import Stage

ENGINES = ("local", "dask")


class Engine(Protocol):
    def process(self, df: pd.DataFrame, cfg: Config, stages: Sequence[Stage] | None = None, *,
                on_stage: Callable[[str, int, float], None] | None = None) -> tuple[pd.DataFrame, dict[str, float]]:
        ...


def engine_for(cfg: Config, research: ResearchContext | None = None) -> Engine:
    """The engine `cfg.engine` names. `research`: what the research parts an engine writes itself (dask's) say
    beyond the table, as research.* does."""
    name = cfg.engine.name
    if name == "local":
        from pipeline.engines.local import LocalEngine

        return LocalEngine()
    if name == "dask":
        try:
            from pipeline.engines.dask import DaskEngine
        except ImportError as err:
            raise UserError(f"silnik dask wymaga pakietów Dask ({err.name}): pip install 'uwagi[dask]'") from err
        return DaskEngine(research)
    raise UserError(f"nieznany silnik {name!r} (dostępne: {', '.join(ENGINES)})")
