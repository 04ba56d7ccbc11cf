"""The state's rows as JSON (`pipeline.state.store.json_rows`): one object per row, whatever the texts hold."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from pipeline.state.store import json_rows


def test_each_row_is_one_json_object_even_when_a_text_looks_like_a_row_boundary() -> None:
    df = pd.DataFrame({
        "comment_id": ["a", "b", "c", 'd"},{"comment_id":"e'],
        # U+2028 is not escaped by JSON and `str.splitlines` cuts at it; the second text reads like two records.
        "text": ["linia\u2028druga", '},{"comment_id":"x"', None, "ścieżka/plik \\ \"cytat\""],
        "confidence": [0.1234567891234, np.nan, 1.0, 2.0],
        "seen": pd.to_datetime(["2024-01-01", None, "2024-02-02", "2024-03-03"]),
        "size": pd.array([1, None, 3, 4], dtype="Int64"),
    })
    rows = json_rows(df)
    assert rows == [df.iloc[[n]].to_json(orient="records", force_ascii=False, date_format="iso")[1:-1]
                    for n in range(len(df))]
    assert [json.loads(r)["text"] for r in rows] == ["linia\u2028druga", '},{"comment_id":"x"', None,
                                                      "ścieżka/plik \\ \"cytat\""]
    assert json_rows(df.iloc[:0]) == []
