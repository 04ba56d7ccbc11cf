from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.engines.spill import _part_reader
from pipeline.row_source import column_rows, kept_rows, reading_from
from pipeline.stage import MissingColumnsError


def test_a_column_is_read_at_the_rows_asked_for_as_the_values_it_holds(tmp_path: Path) -> None:
    # The texts come back as the Python strings they are (object dtype): a `str` Series would copy them into
    # Arrow, and the stage reading them would turn them back, per row, at every read.
    table = pd.DataFrame({"comment_id": ["a", "b", "c", "d", "e"],
                          "text_clean": ["jeden", "dwa", None, "cztery", "pięć"]})
    rows = np.array([4, 0, 2])
    direct = column_rows(table, "text_clean", rows, "cluster")
    paths = [tmp_path / "part-0.pkl", tmp_path / "part-1.pkl"]
    table.iloc[:2].to_pickle(paths[0])
    table.iloc[2:].reset_index(drop=True).to_pickle(paths[1])
    with reading_from(_part_reader(paths, [0, 2, 5])):
        spilled = column_rows(table[["comment_id"]], "text_clean", rows, "cluster")
    for read in (direct, spilled):
        assert read.index.tolist() == [4, 0, 2]
        assert read.dtype == object
        assert read.tolist()[:2] == ["pięć", "jeden"] and pd.isna(read.tolist()[2])


def test_a_column_kept_nowhere_is_none_for_a_stage_that_computes_it_and_an_error_for_one_that_needs_it(
        tmp_path: Path) -> None:
    table = pd.DataFrame({"comment_id": ["a", "b", "c"], "text_clean": ["jeden", "dwa", "trzy"]})
    path = tmp_path / "part-0.pkl"
    table.to_pickle(path)
    rows = np.array([2, 0])
    assert kept_rows(table, "cluster_folded", rows) is None  # in memory, no engine keeps the rows
    with reading_from(_part_reader([path], [0, 3])):
        assert kept_rows(table[["comment_id"]], "cluster_folded", rows) is None  # the parts lack it
        assert kept_rows(table[["comment_id"]], "text_clean", rows).tolist() == ["trzy", "jeden"]
        with pytest.raises(MissingColumnsError, match="cluster"):
            column_rows(table[["comment_id"]], "cluster_folded", rows, "cluster")
