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
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == bool or pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].map({True: "true", False: "false"})
        elif out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(escape_formula)
    return out


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    """UTF-8 without BOM, comma-delimited, RFC 4180 quoting (CRLF line ends, quotes doubled); formula-like cells
    escaped (`escape_formula`). Parquet keeps the raw text."""
    return write_atomic(
        path, lambda tmp: csv_ready(df).to_csv(tmp, index=False, encoding="utf-8", lineterminator="\r\n")
    )


def write_parquet(df: pd.DataFrame, path: Path) -> Path:
    return write_atomic(path, lambda tmp: df.to_parquet(tmp, index=False))
