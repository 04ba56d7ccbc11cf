"""The table a spilled run gives the workbook and clusters.csv: every row, but the per-row texts only where a sheet
or clusters.csv shows them.

The workbook counts over every comment (the summary, the campaigns) but shows a comment's texts only on the rows
it lists: "Uwagi" (`big_workbook.listed_comments`: past `workbook_max_comments`, the highest priorities) and "Do
weryfikacji" (every comment to check); clusters.csv's templates read the redacted text of each cluster's
representative and first members (`cluster.template_rows`). Every other row's texts stay in the part files, so a
million comments need not be in memory at once to write the workbook the whole table gives (the same cells).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd

from pipeline.cluster import template_rows
from pipeline.config import Config
from pipeline.export.big_workbook import listed_comments
from pipeline.export.xlsx import priority_order
from pipeline.vocabulary import STATUS_REVIEW

# The long per-row texts of the comments table: a sheet shows them for the rows it lists, none counts over them.
ROW_TEXTS = ("text", "text_comment", "text_current", "text_proposal", "text_justification", "text_clean",
             "evidence", "added_text")
# The columns that decide which rows' texts the outputs show: by priority, campaign, status, cluster.
_DECIDING = ("priority", "cluster_id", "cluster_role", "status", "cluster_size")


class WorkbookRows:
    """Collects the table's parts without their texts (`taken`), then builds the workbook's table (`table`)."""

    def __init__(self) -> None:
        self._thin: list[pd.DataFrame] = []
        self._columns: list[str] = []

    def taken(self, parts: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        """`parts` as they are, each kept here without its texts."""
        for part in parts:
            self._columns = list(part.columns)
            self._thin.append(part.drop(columns=[c for c in ROW_TEXTS if c in part.columns]))
            yield part

    def table(self, parts: Iterable[pd.DataFrame], cfg: Config) -> pd.DataFrame:
        """Every row, with the texts (read from `parts`, the same parts again) of the rows shown."""
        # Built part by part and joined once: a whole table of the short columns, then one with the texts joined,
        # then one in column order would each be a copy of every row held at the same time.
        thin, self._thin = self._thin, []
        deciding = pd.concat([t[[c for c in _DECIDING if c in t.columns]] for t in thin])
        shown = shown_rows(deciding, cfg)
        templates = shown.copy()
        if "cluster_size" in deciding:
            templates[template_rows(deciding)] = True
        texts = [c for c in ROW_TEXTS if c in self._columns]
        attrs = dict(thin[0].attrs) if thin else {}
        pieces = []
        for i, part in enumerate(parts):
            piece, thin[i] = thin[i], None
            mine = {c: (templates if c == "text_clean" else shown)[part.index].to_numpy() for c in texts}
            pieces.append(piece.assign(**{c: part[c].where(mine[c]) for c in texts})[self._columns])
        table = pd.concat(pieces)
        table.attrs = attrs
        return table


def shown_rows(table: pd.DataFrame, cfg: Config) -> pd.Series:
    """Per row (by index), whether a sheet shows its texts."""
    shown = pd.Series(False, index=table.index)
    # The listed rows' labels only: the table itself in priority order would be a copy of every row.
    shown[listed_comments(pd.DataFrame(index=priority_order(table)), cfg).index] = True
    if "status" in table:
        shown |= (table["status"] == STATUS_REVIEW).to_numpy()
    return shown.astype(np.bool_)
