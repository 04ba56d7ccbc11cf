"""Hostile input and trust boundaries: no personal data out, no formulas out, no code in, bounded memory."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeline.cli import main

FORMULAS = ['=HYPERLINK("http://x","klik")', "=cmd|' /C calc'!A0", "+48 to mój numer", "-1+2", "@SUM(A1)",
            "\tukryta formuła"]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=";").writerows([header, *rows])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def read_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def run(*args: str) -> int:
    return main(["run", *args])


@pytest.fixture()
def formula_run(tmp_path: Path) -> Path:
    source = write_csv(tmp_path / "wrogie.csv", ["Lp.", "Treść uwagi", "Uwagi urzędu"],
                       [[str(i), text, text] for i, text in enumerate(FORMULAS, 1)])
    out = tmp_path / "wynik"
    assert run(str(source), "--out", str(out)) == 0
    return out


def test_no_csv_output_cell_starts_a_formula(formula_run: Path) -> None:
    for name in ("comments.csv", "clusters.csv", "research.csv"):
        for row in read_rows(formula_run / name):
            live = {col: v for col, v in row.items() if v and v[0] in "=+-@\t\r"}
            assert not live, (name, live)
    texts = [row["text"] for row in read_rows(formula_run / "comments.csv")]
    assert texts == ["'" + text for text in FORMULAS]  # the OWASP apostrophe, the text itself kept


def test_parquet_keeps_the_raw_text(formula_run: Path) -> None:
    import pandas as pd

    research = pd.read_parquet(formula_run / "research.parquet")
    assert research["text_clean"].str.startswith(("=", "+", "-", "@")).sum() >= 4


def test_formula_like_cells_in_the_workbook_carry_the_quote_prefix(formula_run: Path) -> None:
    ws = load_workbook(formula_run / "triage.xlsx")["Uwagi"]
    cells = [c for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str) and c.value in FORMULAS]
    assert len(cells) >= len(FORMULAS)
    assert all(c.quotePrefix for c in cells), [c.coordinate for c in cells if not c.quotePrefix]
    plain = [c for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str) and c.value[:1].isalpha()]
    assert plain and not any(c.quotePrefix for c in plain)
