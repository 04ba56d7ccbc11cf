"""CSV and Parquet writers for the comments table and its derivatives."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.export.atomic import write_atomic


def csv_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Booleans as `true`/`false` and missing values as empty cells, as documented in the data dictionary."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == bool or pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].map({True: "true", False: "false"})
    return out


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    """UTF-8 without BOM, comma-delimited, RFC 4180 quoting (CRLF line ends, quotes doubled)."""
    return write_atomic(
        path, lambda tmp: csv_ready(df).to_csv(tmp, index=False, encoding="utf-8", lineterminator="\r\n")
    )


def write_parquet(df: pd.DataFrame, path: Path) -> Path:
    return write_atomic(path, lambda tmp: df.to_parquet(tmp, index=False))
