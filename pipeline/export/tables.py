"""CSV and Parquet writers for the comments table and its derivatives."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.export.atomic import write_atomic

# A cell starting with one of these is a formula to Excel and LibreOffice (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, with a leading apostrophe: shown as text, never run."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def _escaped(values: pd.Series) -> pd.Series:
    """`values.map(escape_formula)`. A string column is tested and escaped in Arrow (pandas' `str.match` and a
    masked assignment cost more than the rest of the CSV's text) and copied only when a cell needs escaping; a
    column of Python objects is mapped, whose result pandas may give another dtype (numbers, missing values), which
    decides how the CSV spells them."""
    if not isinstance(values.dtype, pd.StringDtype):
        return values.map(escape_formula)
    text = pa.array(values, from_pandas=True)
    formula = functools.reduce(pc.or_, [pc.starts_with(text, start) for start in FORMULA_STARTS]).fill_null(False)
    if not pc.any(formula).as_py():
        return values
    apostrophe = pc.if_else(formula, pa.scalar("'", text.type), pa.scalar("", text.type))
    return pd.Series(pc.binary_join_element_wise(apostrophe, text, pa.scalar("", text.type)), index=values.index,
                     name=values.name, dtype=values.dtype)


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

# A cell Python's csv module (pandas' writer, QUOTE_MINIMAL, CRLF line ends) puts in quotes.
_NEEDS_QUOTES = '[,"\r\n]'


def _large(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())  # Arrow joins strings of one type only


_QUOTE, _NOTHING, _COMMA, _CRLF = _large('"'), _large(""), _large(","), _large("\r\n")

# A column's cells as pieces that, put one after another, spell each cell: the lines are joined once, from all
# the columns' pieces, rather than column by column and then row by row (a copy of every byte each time).
_Pieces = list[pa.Array | pa.Scalar]


def _text_cells(values: pd.Series) -> _Pieces | None:
    """The CSV cells of a column of text (missing: empty), quoted as pandas' writer quotes them: the text with its
    quotes doubled between an opening and a closing quote where the cell needs them, nothing where not; None for a
    column holding anything but text."""
    try:
        text = pa.array(values, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    if pa.types.is_null(text.type):  # every cell missing
        return [pa.repeat(_NOTHING, len(text))]
    if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
        return None
    if isinstance(text, pa.ChunkedArray):  # a column of Arrow strings in several chunks (a concatenated table)
        text = text.combine_chunks()
    text = text.cast(pa.large_string()).fill_null("")
    # A cell without quotes is not changed by doubling them.
    quote = pc.if_else(pc.match_substring_regex(text, _NEEDS_QUOTES), _QUOTE, _NOTHING)
    return [quote, pc.replace_substring(text, '"', '""'), quote]


def _number_cells(values: np.ndarray) -> pa.Array:
    """The CSV cells of a column of numpy numbers as pandas' writer spells them (its `get_values_for_csv`, whose
    cells Python's csv module writes as they are): an integer as Python's `str`, which Arrow's cast spells the
    same; a float as numpy's `astype(str)`, the very call pandas makes, a missing one empty."""
    if values.dtype.kind in "iu":
        return pa.array(values).cast(pa.large_string())
    cells = values.astype(str)
    cells[np.isnan(values)] = ""
    return pa.array(cells, pa.large_string())


def _cells(values: pd.Series) -> _Pieces | None:
    """A column's CSV cells, as pandas' writer spells them, or None where only that writer can tell.

    Text is quoted in Arrow (where pandas' writer turns every cell into a Python string first: most of its time);
    numbers of a numpy dtype as that writer formats them (`_number_cells`); other numbers and one column of dates
    (whose spelling pandas chooses for the whole column) by pandas alone, a column at a time: their cells hold no
    delimiter, quote or line break, so its lines are the cells, but for the quotes Python's csv module puts around
    an empty cell alone on its line."""
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        return _text_cells(values)
    if values.dtype.kind not in "iufM":
        return None
    if isinstance(values.dtype, np.dtype) and values.dtype.kind != "M":
        return [_number_cells(values.to_numpy())]
    lines = values.to_frame().to_csv(index=False, header=False, lineterminator="\n").split("\n")[:-1]
    return [pa.array(["" if line == '""' else line for line in lines], pa.large_string())]


def _csv_bytes(ready: pd.DataFrame) -> bytes | memoryview:
    """The rows of `csv_ready`'s table as pandas' writer gives them (no header), joined in Arrow where it can."""
    dates = sum(values.dtype.kind == "M" for _, values in ready.items())
    cells = [_cells(values) for _, values in ready.items()] if ready.shape[1] > 1 and dates <= 1 else [None]
    if any(c is None for c in cells):
        return ready.to_csv(index=False, header=False, lineterminator="\r\n").encode("utf-8")
    pieces = [piece for column in cells for piece in (*column, _COMMA)]
    pieces[-1] = _CRLF
    lines = pc.binary_join_element_wise(*pieces, _NOTHING)
    # The lines one after another are the bytes of the array's data, between its first and last offsets.
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)
    return memoryview(lines.buffers()[2])[offsets[lines.offset]:offsets[lines.offset + len(lines)]]


def write_csv_rows(out: BinaryIO, df: pd.DataFrame, header: bool) -> None:
    """`df`'s rows (`csv_ready` a slice at a time) to `out`, after the header line when `header`."""
    if header:
        out.write(csv_ready(df.iloc[:0]).to_csv(index=False, lineterminator="\r\n").encode("utf-8"))
    for start in range(0, len(df), CSV_SLICE_ROWS):
        out.write(_csv_bytes(csv_ready(df.iloc[start:start + CSV_SLICE_ROWS])))


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    """UTF-8 without BOM, comma-delimited, RFC 4180 quoting (CRLF line ends, quotes doubled); formula-like cells
    escaped (`escape_formula`). Parquet keeps the raw text."""
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as out:
            write_csv_rows(out, df, header=True)

    return write_atomic(path, write)


def write_parquet(df: pd.DataFrame, path: Path) -> Path:
    return write_atomic(path, lambda tmp: df.to_parquet(tmp, index=False))
