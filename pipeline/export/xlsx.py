"""triage.xlsx: the staff workbook, in Polish.

Every text cell is written as a string (never a formula, number or link), so a comment starting with `=`, `+`, `-`
or `@` cannot execute in Excel or LibreOffice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter

from pipeline.export.atomic import write_atomic

EXCEL_CELL_LIMIT = 32_767
_TRUNCATED = " …[tekst obcięty – pełna treść w comments.csv]"
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Column:
    source: str  # column of the comments table
    header: str  # Polish header shown to staff
    width: float
    wrap: bool = False


COMMENT_COLUMNS: tuple[Column, ...] = (
    Column("comment_id", "ID", 16),
    Column("text", "Treść", 70, wrap=True),
    Column("status", "Status", 14),
    Column("lang", "Język", 7),
    Column("error", "Błąd odczytu", 24, wrap=True),
    Column("source_file", "Plik", 22),
    Column("source_row", "Wiersz", 8),
)


def cell_text(value: Any) -> str:
    """A value as the string staff see: no XML-illegal characters, within Excel's cell limit."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return "tak" if value else "nie"
    text = _ILLEGAL_XML.sub("", str(value))
    if len(text) > EXCEL_CELL_LIMIT:
        text = text[: EXCEL_CELL_LIMIT - len(_TRUNCATED)] + _TRUNCATED
    return text


def _workbook(path: Path) -> xlsxwriter.Workbook:
    # Belt and braces: xlsxwriter must never turn input text into formulas, numbers or hyperlinks.
    return xlsxwriter.Workbook(
        str(path), {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    )


def write_table_sheet(
    wb: xlsxwriter.Workbook, name: str, df: pd.DataFrame, columns: Sequence[Column]
) -> Any:
    """A sheet with a bold frozen header, autofilter, widths and wrapped text; every cell a string or number."""
    ws = wb.add_worksheet(name)
    head = wb.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True, "valign": "top"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    top = wb.add_format({"valign": "top"})
    for j, col in enumerate(columns):
        ws.write_string(0, j, col.header, head)
        ws.set_column(j, j, col.width, wrap if col.wrap else top)
    for i, row in enumerate(df[[c.source for c in columns]].itertuples(index=False), start=1):
        for j, value in enumerate(row):
            fmt = wrap if columns[j].wrap else top
            if isinstance(value, (int, float)) and not isinstance(value, bool) and not pd.isna(value):
                ws.write_number(i, j, value, fmt)
            else:
                ws.write_string(i, j, cell_text(value), fmt)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(df), 1), len(columns) - 1)
    return ws


def write_info_sheet(wb: xlsxwriter.Workbook, manifest: dict[str, Any]) -> None:
    """"Informacje": the run manifest as label/value rows staff can read."""
    ws = wb.add_worksheet("Informacje")
    bold = wb.add_format({"bold": True, "valign": "top"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 90, wrap)
    counts = manifest.get("counts", {})
    rows: list[tuple[str, str]] = [
        ("Wersja uwagi", manifest.get("version", "")),
        ("Data przetwarzania (UTC)", manifest.get("created", "")),
        ("Wierszy odczytanych", str(counts.get("read", ""))),
        ("Wierszy zapisanych", str(counts.get("written", ""))),
        ("Pustych uwag", str(counts.get("empty", ""))),
        ("Wierszy z błędem odczytu", str(counts.get("errors", ""))),
    ]
    for item in manifest.get("inputs", []):
        rows.append(("Plik wejściowy", f"{item['path']} ({item['rows']} wierszy, SHA-256 {item['sha256'][:16]}…)"))
    for stage, seconds in manifest.get("timings_s", {}).items():
        rows.append((f"Czas etapu: {stage}", f"{seconds:.2f} s"))
    for key, value in manifest.get("summary", {}).items():
        rows.append((key, cell_text(value)))
    for i, (label, value) in enumerate(rows):
        ws.write_string(i, 0, label, bold)
        ws.write_string(i, 1, cell_text(value), wrap)


def write_workbook(df: pd.DataFrame, path: Path, manifest: dict[str, Any]) -> Path:
    def write(tmp: Path) -> None:
        wb = _workbook(tmp)
        write_table_sheet(wb, "Uwagi", df, [c for c in COMMENT_COLUMNS if c.source in df.columns])
        write_info_sheet(wb, manifest)
        wb.close()

    return write_atomic(path, write)
