"""comments.csv, research.csv and the other CSV files are the bytes pandas' writer gives for the documented format
(RFC 4180 quoting, CRLF, missing values as empty cells, formulas escaped), though most of their rows are joined in
Arrow: staff and researchers' tools read them as before, and a file compares equal across versions."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.export.tables import CSV_SLICE_ROWS, csv_ready, escape_formula, write_csv

_CELL = st.text(alphabet=st.sampled_from(',"\r\n;\t=+-@\'aąż 9\u2028\x85'), max_size=8)
_COLUMN = st.one_of(
    st.lists(_CELL, min_size=4, max_size=4).map(lambda v: pd.Series(v, dtype="str")),
    st.lists(st.one_of(_CELL, st.none()), min_size=4, max_size=4).map(lambda v: pd.Series(v, dtype="str")),
    st.lists(st.one_of(_CELL, st.none(), st.just(np.nan)), min_size=4, max_size=4).map(
        lambda v: pd.Series(v, dtype=object)),
    st.lists(st.one_of(_CELL, st.integers(0, 9), st.floats(allow_nan=True)), min_size=4, max_size=4).map(
        lambda v: pd.Series(v, dtype=object)),
    st.lists(st.integers(-10**15, 10**15), min_size=4, max_size=4).map(lambda v: pd.Series(v, dtype="int64")),
    st.lists(st.sampled_from([1.0, 0.1, 1e-05, 1e20, -0.0, np.nan, 0.123456789]), min_size=4, max_size=4).map(
        lambda v: pd.Series(v, dtype="float64")),
    st.lists(st.booleans(), min_size=4, max_size=4).map(lambda v: pd.Series(v, dtype=bool)),
    # pandas' other text dtypes: the formula escape gives each column back in its own dtype.
    st.lists(st.one_of(_CELL, st.none()), min_size=4, max_size=4).map(lambda v: pd.Series(v, dtype="string[python]")),
    st.lists(st.one_of(_CELL, st.none()), min_size=4, max_size=4).map(lambda v: pd.Series(v, dtype="string[pyarrow]")),
    st.lists(st.sampled_from(["2022-10-05", "2022-10-05 10:11", None]), min_size=4, max_size=4).map(
        lambda v: pd.to_datetime(pd.Series(v), format="ISO8601")),
)


def _pandas_bytes(df: pd.DataFrame) -> bytes:
    """pandas' writer on the documented cells, text escaped cell by cell here (`escape_formula` leaves an escaped
    cell as it is, so `csv_ready` finds nothing more to escape): the reference for the column-wise escape too."""
    escaped = {name: values.map(escape_formula).astype(values.dtype) if isinstance(values.dtype, pd.StringDtype)
               else values for name, values in df.items()}
    return csv_ready(pd.DataFrame(escaped)).to_csv(index=False, lineterminator="\r\n").encode("utf-8")


@settings(max_examples=150, deadline=None)
@given(columns=st.lists(_COLUMN, min_size=1, max_size=5))
def test_csv_files_are_the_bytes_pandas_writer_gives(tmp_path_factory, columns: list[pd.Series]) -> None:
    df = pd.DataFrame({f"kolumna, {i}": values for i, values in enumerate(columns)})
    path = write_csv(df, tmp_path_factory.mktemp("csv") / "plik.csv")
    assert path.read_bytes() == _pandas_bytes(df)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    assert len(rows) == len(df) + 1


# Numbers are spelled without pandas' writer (`tables._number_cells`): every float numpy can hold, the integers' whole
# range, each in a column of its own beside text, so the rows are joined in Arrow.
_NUMBERS = st.one_of(
    st.lists(st.floats(width=64), min_size=1, max_size=6).map(lambda v: pd.Series(v, dtype="float64")),
    st.lists(st.floats(width=32), min_size=1, max_size=6).map(lambda v: pd.Series(v, dtype="float32")),
    st.lists(st.sampled_from([np.nan, -0.0, 0.0, 5e-324, 1e16, 1e-5, 1e-4, 123456789012345678.0, np.inf, -np.inf]),
             min_size=1, max_size=6).map(lambda v: pd.Series(v, dtype="float64")),
    st.lists(st.integers(-2**63, 2**63 - 1), min_size=1, max_size=6).map(lambda v: pd.Series(v, dtype="int64")),
    st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=6).map(lambda v: pd.Series(v, dtype="uint64")),
    st.lists(st.integers(-128, 127), min_size=1, max_size=6).map(lambda v: pd.Series(v, dtype="int8")),
)


@settings(max_examples=200, deadline=None)
@given(numbers=_NUMBERS)
def test_numbers_are_spelled_as_pandas_writer_spells_them(tmp_path_factory, numbers: pd.Series) -> None:
    df = pd.DataFrame({"liczba": numbers, "tekst": pd.Series(["a, b"] * len(numbers), dtype="str")})
    path = write_csv(df, tmp_path_factory.mktemp("csv") / "liczby.csv")
    assert path.read_bytes() == _pandas_bytes(df)


def test_a_table_longer_than_a_slice_is_one_file_with_one_header(tmp_path: Path) -> None:
    texts = pd.Series([f'uwaga "{i}",\r\nz nową linią' for i in range(CSV_SLICE_ROWS + 3)], dtype="str")
    df = pd.DataFrame({"comment_id": np.arange(len(texts)), "text": texts, "priority": 1.5})
    df = pd.concat([df.iloc[:7], df.iloc[7:]])  # parts joined, as a run's table is: its text in several chunks
    assert write_csv(df, tmp_path / "duzy.csv").read_bytes() == _pandas_bytes(df)
