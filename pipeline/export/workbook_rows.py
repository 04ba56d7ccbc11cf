"""The table a spilled run gives the workbook and clusters.csv: every row, but the per-row texts only where a sheet
or clusters.csv shows them.

The workbook counts over every comment (the summary, the campaigns) but shows a comment's texts only on the rows
it lists: "Uwagi" (`big_workbook.listed_comments`: past `workbook_max_comments`, the highest priorities, the
texts it shows: `xlsx.texts_shown`) and "Do weryfikacji" (every comment to check, the one text its "Treść"
shows); clusters.csv's templates, when the export builds clusters.csv from this table, read the redacted text of
each cluster's representative and first members (`cluster.template_rows`). Every other row's texts stay in the
part files, so a million comments need not be in memory at once to write the workbook the whole table gives (the
same cells).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

import numpy as np
import pandas as pd

from pipeline.cluster import template_rows
from pipeline.config import Config
from pipeline.export.big_workbook import listed_comments
from pipeline.export.xlsx import priority_order, shown_text, texts_shown
from pipeline.vocabulary import STATUS_REVIEW

# The long per-row texts of the comments table: a sheet shows them for the rows it lists, none counts over them.
ROW_TEXTS = ("text", "text_comment", "text_current", "text_proposal", "text_justification", "text_clean",
             "evidence", "added_text")
# The columns that decide which rows' texts the outputs show: by priority, campaign, status, cluster.
_DECIDING = ("priority", "cluster_id", "cluster_role", "status", "cluster_size")


class WorkbookRows:
    """Collects the table's parts without their texts (`take`), then builds the workbook's table (`table`)."""

    def __init__(self) -> None:
        self._thin: list[pd.DataFrame] = []
        self._columns: list[str] = []

    def take(self, parts: Iterable[pd.DataFrame]) -> None:
        """Keeps each of `parts` without its texts."""
        for part in parts:
            self._columns = list(part.columns)
            self._thin.append(part.drop(columns=[c for c in ROW_TEXTS if c in part.columns]))

    def table(self, parts: Iterable[pd.DataFrame], cfg: Config, templates: bool = True) -> pd.DataFrame:
        """Every row, with the texts (read from `parts`, the same parts again) of the rows shown; with `templates`
        False, without those only clusters.csv's templates read (built elsewhere: `spilled_clusters.py`)."""
        # Built part by part and joined once: a whole table of the short columns, then one with the texts joined,
        # then one in column order would each be a copy of every row held at the same time.
        thin, self._thin = self._thin, []
        deciding = pd.concat([t[[c for c in _DECIDING if c in t.columns]] for t in thin])
        texts = [c for c in ROW_TEXTS if c in self._columns]
        shown = text_rows(deciding, texts, cfg, templates, texts_shown(self._columns, cfg))
        attrs = dict(thin[0].attrs) if thin else {}
        pieces = []
        for i, part in enumerate(parts):
            piece, thin[i] = thin[i], None
            pieces.append(piece.assign(**{c: part[c].where(shown[c][part.index].to_numpy()) for c in texts})
                          [self._columns])
        table = pd.concat(pieces)
        table.attrs = attrs
        return table


def text_rows(table: pd.DataFrame, texts: Sequence[str], cfg: Config, templates: bool = True,
              on_sheet: Collection[str] | None = None) -> dict[str, pd.Series]:
    """Per text column of `texts`, per row (by index), whether an output shows it: the texts "Uwagi" shows (those
    of `on_sheet`; default every text) of the rows it lists, the text "Do weryfikacji" shows of every comment to
    check, and (with `templates`) the redacted text of the cluster members clusters.csv's templates read."""
    listed = pd.Series(False, index=table.index)
    # The listed rows' labels only: the table itself in priority order would be a copy of every row.
    listed[listed_comments(pd.DataFrame(index=priority_order(table)), cfg).index] = True
    review = listed | ((table["status"] == STATUS_REVIEW).to_numpy() if "status" in table else False)
    reviewed = shown_text(pd.DataFrame(columns=list(texts)), cfg).name
    unlisted = pd.Series(False, index=table.index)
    shown = {c: (review if c == reviewed else listed if on_sheet is None or c in on_sheet else unlisted).copy()
             for c in texts}
    if templates and "text_clean" in shown and "cluster_size" in table:
        shown["text_clean"][template_rows(table)] = True
    return {c: rows.astype(np.bool_) for c, rows in shown.items()}
