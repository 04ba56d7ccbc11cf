"""The workbook's cells and row heights made ready a column at a time (by Arrow) are those the plain cell-by-cell
rules give."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.export.xlsx import EXCEL_CELL_LIMIT, Column, _row_heights, cell_text, text_cells

# Texts with line breaks, the characters XML forbids and Arrow's regexes spell otherwise, and Polish letters.
_TEXTS = st.text(st.sampled_from("ab ąż\n\r\t\x00\x0b\x1f\x7f\ufffe\uffff\ufffd"), max_size=120)
_VALUES = st.one_of(_TEXTS, st.none(), st.floats(allow_nan=True), st.integers(0, 9))
_COLUMNS = st.builds(Column, st.just(""), st.sampled_from([1, 3, 9.5, 16, 62]),
                     st.sampled_from(["text", "wrap", "staff_wrap", "number"]))


def _plain_heights(columns_values: list[list[Any]], columns: list[Column], max_lines: int = 12) -> list[float | None]:
    """The row heights cell by cell, as the workbook computed them before Arrow counted the lines."""
    counts = []
    for values, col in zip(columns_values, columns):
        if col.kind not in ("wrap", "staff_wrap"):
            counts.append([1] * len(values))
            continue
        per_line = max(int(col.width * 1.25), 1)
        counts.append([1 if not isinstance(v, str) or (len(v) <= per_line and "\n" not in v)
                       else sum(max(1, -(-len(part) // per_line)) for part in v.split("\n")) for v in values])
    return [min(lines, max_lines) * 12.75 + 2 if lines > 1 else None for lines in map(max, zip(*counts))]


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 8).flatmap(lambda rows: st.lists(
    st.tuples(_COLUMNS, st.lists(_VALUES, min_size=rows, max_size=rows)), min_size=1, max_size=4)))
def test_row_heights_are_the_cell_by_cell_ones(table: list[tuple[Column, list[Any]]]) -> None:
    columns, values = [c for c, _ in table], [v for _, v in table]
    assert _row_heights(values, columns) == _plain_heights(values, columns)
    # The same texts given in Arrow count the same lines.
    texts = [[v if isinstance(v, str) else "" for v in column] for column in values]
    assert _row_heights([pa.array(t) for t in texts], columns) == _plain_heights(texts, columns)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_TEXTS, st.none()), max_size=8), st.booleans())
def test_text_cells_are_cell_text_of_each_value_with_arrow_only_when_unchanged(values: list[str | None],
                                                                              long: bool) -> None:
    if long and values:
        values[0] = "x" * (EXCEL_CELL_LIMIT + 1)
    cells, arrow = text_cells(pd.Series(values, dtype=pd.StringDtype("pyarrow")))
    assert cells == [cell_text(v) for v in values]
    unchanged = [v or "" for v in values] == cells
    assert (arrow is not None) == unchanged
    if arrow is not None:
        assert [v or "" for v in arrow.to_pylist()] == cells


def test_a_column_of_another_type_is_left_to_the_cells() -> None:
    assert text_cells(pd.Series([1.5, None])) is None
