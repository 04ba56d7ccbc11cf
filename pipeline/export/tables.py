"""CSV and Parquet writers for the comments table and its derivatives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.export.atomic import write_atomic

# A cell starting with one of these is a formula to Excel and LibreOffice (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, with a leading apostrophe: shown as text, never run."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


# `escape_formula`'s test as a regular expression, for string columns tested in Arrow rather than cell by cell.
_FORMULA_START = "[" + "".join("\\" + c if c == "-" else c for c in FORMULA_STARTS) + "]"


def _escaped(values: pd.Series) -> pd.Series:
    """`values.map(escape_formula)`. A string column is tested whole and copied only when a cell needs escaping; a
    column of Python objects is mapped, whose result pandas may give another dtype (numbers, missing values), which
    decides how the CSV spells them."""
    if not isinstance(values.dtype, pd.StringDtype):
        return values.map(escape_formula)
    formula = values.str.match(_FORMULA_START).fillna(False).to_numpy(dtype=bool)
    if not formula.any():
        return values
    values = values.copy()
    values[formula] = "'" + values[formula]
    return values


def without_attrs(df: pd.DataFrame) -> pd.DataFrame:
    """`df` (not copied) without its `attrs`: pandas deep-copies them (the themes table, classify's report) into
    every column and every frame an operation gives, which for a big table's writers costs more than the writing."""
    bare = df.copy(deep=False)
    bare.attrs = {}
    return bare


def csv_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Booleans as `true`/`false`, missing values as empty cells and formula-like text escaped, as documented in
    the data dictionary."""
    columns = []
    for _, values in without_attrs(df).items():
        if values.dtype == bool or pd.api.types.is_bool_dtype(values):
            values = values.map({True: "true", False: "false"})
        elif values.dtype == object or pd.api.types.is_string_dtype(values):
            values = _escaped(values)
        columns.append(values)
    # Joined once: assigning column by column into a copy is quadratic in the number of columns.
    return pd.concat(columns, axis=1) if columns else df.copy()


# Rows formatted and appended at a time: `csv_ready` copies what it formats, and a copy of a whole big table (every
# text column of a million comments) would double the run's memory at the end.
CSV_SLICE_ROWS = 50_000


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    """UTF-8 without BOM, comma-delimited, RFC 4180 quoting (CRLF line ends, quotes doubled); formula-like cells
    escaped (`escape_formula`). Parquet keeps the raw text."""
    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as out:
            for start in range(0, max(len(df), 1), CSV_SLICE_ROWS):
                csv_ready(df.iloc[start:start + CSV_SLICE_ROWS]).to_csv(
                    out, index=False, header=start == 0, lineterminator="\r\n")

    return write_atomic(path, write)


def write_parquet(df: pd.DataFrame, path: Path) -> Path:
    return write_atomic(path, lambda tmp: df.to_parquet(tmp, index=False))
