"""Links from other sheets to rows of "Uwagi" that still lead to the right row after staff sort or filter it.

A link to a fixed cell ("Uwagi!A17") points at another comment as soon as staff sort the sheet by goal. These links
look the row up when clicked instead: `HYPERLINK` to column A of the row where `MATCH` finds, in one column of
"Uwagi" (the comment id, or the group name of "Kampania"), the value of a cell of the link's own row.

They are the workbook's only formulas, and deliberately so: the formula is built from cell references and a fixed
label only, never from input text, so a comment cannot smuggle anything into it (every text cell stays a string).
"""

from __future__ import annotations

from dataclasses import dataclass

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from pipeline.sheets import SHEET_COMMENTS


@dataclass(frozen=True)
class RowLink:
    """A column of links: each row's `key_col` cell is looked up in column `target_col` of "Uwagi" (0-based)."""

    key_col: int
    target_col: int
    label: str  # what the cell shows: a fixed Polish text without quotes, never input text

    def formula(self, row: int) -> str:
        """The link of the sheet's `row` (0-based): `=HYPERLINK("#'Uwagi'!A"&MATCH(F2,'Uwagi'!A:A,0),"…")`."""
        key = xl_rowcol_to_cell(row, self.key_col)
        target = xl_col_to_name(self.target_col)
        return (f"=HYPERLINK(\"#'{SHEET_COMMENTS}'!A\"&MATCH({key},'{SHEET_COMMENTS}'!{target}:{target},0),"
                f"\"{self.label}\")")


class LinkSheet(Worksheet):
    """A worksheet whose only formulas are `RowLink`s (`Workbook.add_worksheet(..., worksheet_class=LinkSheet)`).

    xlsxwriter prepares every formula by trying some thirty regular expressions that prefix Excel's newer functions
    (`FILTER(` → `_xlfn._xlws.FILTER(`): most of what a link costs to write. A link calls HYPERLINK and MATCH, none
    of them, so the preparation leaves it as it is but for its leading `=`, which is all this does.
    """

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        return formula[1:] if formula.startswith("=") else formula
