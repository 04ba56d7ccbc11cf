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


def csv_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Booleans as `true`/`false`, missing values as empty cells and formula-like text escaped, as documented in
    the data dictionary."""
    columns = []
    for _, values in df.items():
        if values.dtype == bool or pd.api.types.is_bool_dtype(values):
            values = values.map({True: "true", False: "false"})
        elif values.dtype == object or pd.api.types.is_string_dtype(values):
            values = values.map(escape_formula)
        columns.append(values)
    # Joined once: assigning column by column into a copy is quadratic in the number of columns.
    return pd.concat(columns, axis=1) if columns else df.copy()


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    """UTF-8 without BOM, comma-delimited, RFC 4180 quoting (CRLF line ends, quotes doubled); formula-like cells
    escaped (`escape_formula`). Parquet keeps the raw text."""
    return write_atomic(
        path, lambda tmp: csv_ready(df).to_csv(tmp, index=False, encoding="utf-8", lineterminator="\r\n")
    )


def write_parquet(df: pd.DataFrame, path: Path) -> Path:
    return write_atomic(path, lambda tmp: df.to_parquet(tmp, index=False))
