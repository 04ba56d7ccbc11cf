"""A long column that a batch-wide stage reads for only a few rows, wherever those rows are.

A batch-wide stage declares in `requires` the columns it reads for every row. Some read a long column for only a
few rows: clustering the texts of the comments that may form clusters, themes the quotes of their representatives.
A spilled run (`pipeline/engines/spill.py`) keeps such a column in its part files only, so that the whole batch's
texts are never in memory at once; while a batch-wide stage runs, the engine tells where the rows are
(`reading_from`), and the stage reads the few it needs with `column_rows`. A table in memory that has the column is
read directly.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from contextvars import ContextVar

import numpy as np
import pandas as pd

from pipeline.scoped import scoped
from pipeline.stage import MissingColumnsError

# (column, positions) -> the column's values at those positions of the batch, as a Series indexed by them; None when
# the rows are kept without that column.
RowReader = Callable[[str, np.ndarray], "pd.Series | None"]

_READER: ContextVar[RowReader | None] = ContextVar("row_reader", default=None)


def reading_from(reader: RowReader) -> AbstractContextManager[None]:
    """While the block runs, `column_rows` reads a column the table lacks through `reader`."""
    return scoped(_READER, reader)


def column_rows(df: pd.DataFrame, column: str, rows: np.ndarray, stage: str) -> pd.Series:
    """`column` at the row positions `rows` of the batch `df` stands for, indexed by those positions: from `df` when
    it has the column, else from where the engine keeps the rows (`MissingColumnsError` naming `stage` if nowhere)."""
    found = kept_rows(df, column, rows)
    if found is None:
        raise MissingColumnsError(stage, [column])
    return found


def kept_rows(df: pd.DataFrame, column: str, rows: np.ndarray) -> pd.Series | None:
    """`column_rows`, or None where neither the table nor the engine keeps `column` (a working column that only
    some runs give, which the stage then computes itself)."""
    rows = np.asarray(rows, dtype=np.int64)
    if column in df.columns:
        values = df[column].iloc[rows].to_numpy()
        # The NumPy dtype kept: inferring `str` would copy the texts into Arrow, which the readers turn back.
        return pd.Series(values, index=rows, name=column, dtype=values.dtype)
    reader = _READER.get()
    if not len(rows):
        return pd.Series([], index=rows, name=column, dtype=object)
    return None if reader is None else reader(column, rows)
