"""What a stage is: a function from the comments table to the same rows with more columns, declaring its columns.

Like a spaCy component (`@Language.factory(..., requires=..., assigns=...)`), each stage says which columns it
reads and which it writes. The declaration is checked when the stage runs, so a table without a column a stage
needs fails at once with the stage's and the column's name, not with a bare `KeyError` deep inside it; and
`pipeline.process` can tell, before any work, whether a list of stages fits the table it is given.

Stages stay plain module-level functions (the decorator returns a function, not an object), so they pickle by
reference and can be shipped to worker processes or to a Dask cluster unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

import pandas as pd

from pipeline.config import Config


@dataclass(frozen=True)
class ReadAhead:
    """The costly part of a row-wise stage's work that reads only columns the batch-wide stage before it leaves as
    they are: an engine may have it read (`read(df, cfg)`: a Series indexed as `df`) while that stage runs, and
    then run the stage within `given(found)`, where it takes those rows' results instead of reading them again."""

    read: Callable[[pd.DataFrame, Config], pd.Series]
    given: Callable[[pd.Series], AbstractContextManager[None]]


@dataclass(frozen=True)
class StageInfo:
    name: str
    requires: tuple[str, ...]
    assigns: tuple[str, ...]
    # False only for a stage that must see the whole batch at once (clustering); every other stage gives the same
    # result on any split of the rows into chunks.
    row_wise: bool = True
    ahead: ReadAhead | None = None
    # Of `assigns`, the columns only the next batch-wide stage reads, and of a few rows (`row_source.column_rows`):
    # a spilled run keeps them in its part files only and drops them in the map after that stage.
    spilled_only: tuple[str, ...] = ()


class Stage(Protocol):
    info: StageInfo

    def __call__(self, df: pd.DataFrame, cfg: Config | None = None) -> pd.DataFrame: ...


class MissingColumnsError(KeyError):
    """A stage was given a table without a column it reads."""

    def __init__(self, stage: str, missing: Iterable[str]):
        self.stage, self.missing = stage, tuple(missing)
        names = ", ".join(repr(c) for c in self.missing)
        super().__init__(f"stage {stage!r} requires column(s) {names}, which the table does not have")

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0])


def missing_columns(columns: Iterable[str], required: Iterable[str]) -> list[str]:
    have = set(columns)
    return [c for c in required if c not in have]


def stage(name: str, *, requires: Iterable[str], assigns: Iterable[str], row_wise: bool = True,
          ahead: ReadAhead | None = None, spilled_only: Iterable[str] = ()
          ) -> Callable[[Callable[[pd.DataFrame, Config], pd.DataFrame]], Stage]:
    """Declare a stage function's columns; the returned function checks them and defaults `cfg` to `Config()`."""
    info = StageInfo(name, tuple(requires), tuple(assigns), row_wise, ahead, tuple(spilled_only))

    def decorate(fn: Callable[[pd.DataFrame, Config], pd.DataFrame]) -> Stage:
        @functools.wraps(fn)
        def run(df: pd.DataFrame, cfg: Config | None = None) -> pd.DataFrame:
            missing = missing_columns(df.columns, info.requires)
            if missing:
                raise MissingColumnsError(info.name, missing)
            out = fn(df, cfg if cfg is not None else Config())
            unassigned = missing_columns(out.columns, info.assigns)
            if unassigned:  # a broken promise is a bug in the stage, not bad input
                raise RuntimeError(f"stage {info.name!r} did not assign {', '.join(unassigned)}")
            return out

        run.info = info  # type: ignore[attr-defined]
        return run  # type: ignore[return-value]

    return decorate
