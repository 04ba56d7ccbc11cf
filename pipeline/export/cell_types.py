"""Numbers and dates of the input's own columns, typed again for the workbook.

The comments table keeps every input cell as the text a spreadsheet shows (`1`, `2023-10-03T10:15:00`), so the CSV
files round-trip exactly. In the workbook, though, staff sort and filter: a `Lp.` column of text sorts 1, 10, 11, 2
and a date of text cannot be filtered by month. A column whose every filled cell is a number becomes numbers, one
whose every filled cell is a date becomes dates; a column with any other cell stays text, so an id like `0042` or
`A-7` is never half converted.
"""

from __future__ import annotations

import re
from datetime import datetime

import pandas as pd

from pipeline.export.research import parse_dates

# Whole numbers and decimals as ingest writes them; a leading zero (`0042`, a postcode, an id) keeps a column text,
# and so do numbers past Excel's 15 significant digits (an account number), which it would round.
_NUMBER = re.compile(r"-?(?:0|[1-9]\d{0,14})(?:\.\d{1,15})?")
# ISO dates, as ingest writes a workbook's dates (with a time of day when it has one), and Polish day-first ones.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?|\d{1,2}\.\d{1,2}\.\d{4}(?: \d{1,2}:\d{2}(?::\d{2})?)?")
# The one format every date of the workbook is shown in; the time of day, when the input has one, stays in the value.
DATE_FORMAT = "yyyy-mm-dd"


def typed_cells(values: pd.Series) -> pd.Series:
    """`values` as Python numbers or datetimes (None for a blank cell) when every filled cell is one, else as given."""
    text = values.fillna("").astype(str).str.strip()
    filled = text[text != ""]
    if filled.empty:
        return values
    if filled.map(lambda v: bool(_NUMBER.fullmatch(v))).all():
        numbers = [float(v) if "." in v else int(v) for v in filled]
        return _spread(values, filled.index, numbers)
    if filled.map(lambda v: bool(_DATE.fullmatch(v))).all():
        dates = parse_dates(filled)
        if dates.notna().all():
            return _spread(values, filled.index, [d.to_pydatetime() for d in dates])
    return values


def _spread(values: pd.Series, index: pd.Index, typed: list[int | float | datetime]) -> pd.Series:
    out = pd.Series([None] * len(values), index=values.index, dtype=object)
    out[index] = pd.Series(typed, index=index, dtype=object)
    return out
