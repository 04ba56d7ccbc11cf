"""What every triage.xlsx must keep: no cell holds a formula except the links to rows of "Uwagi", whose exact shape
(cell references and a fixed label, nothing from input text) is checked here."""

from __future__ import annotations

import re

# =HYPERLINK("#'Uwagi'!A"&MATCH(F2,'Uwagi'!A:A,0),"przejdź do reprezentanta")
LINK = re.compile(r"""=HYPERLINK\("#'Uwagi'!A"&MATCH\(([A-Z])(\d+),'Uwagi'!([A-Z]+):\3,0\),"([^"=+@-]+)"\)""")
# The sheets with links; "Uwagi", the sheet staff type in, has no formula at all.
LINKED_SHEETS = ("Kampanie", "Do weryfikacji")


def link_formulas(wb) -> list[tuple[str, str, re.Match]]:
    """(sheet, cell, match) of every formula of the workbook, asserting each is a link of the expected shape on
    its own row, on a sheet that has links."""
    found = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type != "f":
                    continue
                match = LINK.fullmatch(str(cell.value))
                assert ws.title in LINKED_SHEETS and match, f"{ws.title}!{cell.coordinate} is a formula: {cell.value!r}"
                assert int(match[2]) == cell.row, f"{ws.title}!{cell.coordinate} looks up another row: {cell.value}"
                found.append((ws.title, cell.coordinate, match))
    return found


def follow(wb, sheet: str, coordinate: str) -> int:
    """The row of "Uwagi" a link leads to, computed as the spreadsheet would (MATCH: the first exact match)."""
    match = LINK.fullmatch(wb[sheet][coordinate].value)
    key = wb[sheet][f"{match[1]}{match[2]}"].value
    column = [c.value for c in wb["Uwagi"][match[3]]]
    return column.index(key) + 1
