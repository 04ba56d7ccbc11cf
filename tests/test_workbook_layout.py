"""A workbook that reads well (issue 14 item 7), on the form export staff download: numbers and dates typed, no
HTML entities in the text, the print layout, every column in the data dictionary, and LibreOffice following the
links to "Uwagi" (their shape and sorting: tests/test_workbook.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from pipeline.clean import unescape_entities
from pipeline.config import ClassifyConfig, Config, ExportConfig
from pipeline.edits import read_edits
from pipeline.export.cell_types import typed_cells
from pipeline.export.xlsx import comments_view
from pipeline.job import run_job
from pipeline.sheets import SHEET_COMMENTS
from tests import form_export
from tests.workbook_checks import LINK

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def form_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("form") / "out"
    run_job([form_export.PATH], Config(classify=ClassifyConfig(encoder="off"), export=ExportConfig(out_dir=out)))
    return out


def columns(ws) -> dict[str, list]:
    """Header → the cells below it."""
    rows = list(ws.iter_rows())
    return {head.value: [r[j] for r in rows[1:]] for j, head in enumerate(rows[0])}


def test_numbers_and_dates_of_the_input_are_typed_in_one_date_format(form_out: Path) -> None:
    uwagi = columns(load_workbook(form_out / "triage.xlsx")[SHEET_COMMENTS])
    lp = uwagi["Lp."]
    assert all(c.data_type == "n" and isinstance(c.value, int) for c in lp)
    assert sorted(c.value for c in lp) == list(range(1, 37))
    dates = uwagi["Data"]
    assert all(isinstance(c.value, datetime) for c in dates)
    assert {c.number_format for c in dates} == {"yyyy-mm-dd"}
    exported = {row[0]: row[1] for row in form_export.rows()}  # Lp. → the date the form recorded
    assert all(d.value == exported[n.value] for n, d in zip(lp, dates))
    # The CSV keeps the text a spreadsheet shows, so it round-trips.
    comments = pd.read_csv(form_out / "comments.csv", dtype=str, keep_default_na=False)
    assert comments["Lp."].tolist()[:2] == ["1", "2"] and comments["Data"][0] == "2023-10-03T10:15:00"


def test_a_column_is_typed_only_when_every_filled_cell_fits() -> None:
    assert typed_cells(pd.Series(["1", "", "12", "2.5"])).tolist() == [1, None, 12, 2.5]
    assert typed_cells(pd.Series(["05.10.2022", "2022-10-06T14:30:00"])).tolist() == [
        datetime(2022, 10, 5), datetime(2022, 10, 6, 14, 30)]
    for text in (["0042", "17"], ["1", "A-7"], ["1234567890123456"], ["2022-13-45"], ["", ""]):
        assert typed_cells(pd.Series(text)).tolist() == text, text


def test_html_entities_a_form_stored_never_show_in_the_text(form_out: Path) -> None:
    uwagi = columns(load_workbook(form_out / "triage.xlsx")[SHEET_COMMENTS])
    texts = [c.value for c in uwagi["Treść"]]
    assert not [t for t in texts if "&quot;" in t or "&amp;" in t]
    assert 'Treść uwagi: Prosimy o doprecyzowanie zapisów o "inicjatywie lokalnej", bo mieszkańcy' in "\n".join(texts)
    comments = pd.read_csv(form_out / "comments.csv", dtype=str, keep_default_na=False)
    row = comments[comments["text_comment"].str.contains("inicjatywie lokalnej")].iloc[0]
    assert '"inicjatywie lokalnej"' in row["text"] and '"inicjatywie lokalnej"' in row["text_comment"]
    # The id still hashes the text as the form stored it: decoding it does not rename the comment for the nightly state.
    assert row["comment_id"] == "2ec8d50b0e-1"


def test_only_complete_entities_are_decoded() -> None:
    assert unescape_entities("Fundacja &amp;quot;Razem&amp;quot; &amp; partnerzy, &notatka, AT&T") == (
        'Fundacja "Razem" & partnerzy, &notatka, AT&T')


def test_every_sheet_prints_landscape_one_page_wide_with_its_header_and_wrapped_text(form_out: Path) -> None:
    wb = load_workbook(form_out / "triage.xlsx")
    assert len(wb.worksheets) == 7
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert setup.orientation == "landscape", ws.title
        # One page wide, as many long as it takes (an absent fitToWidth is the file format's default, 1).
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert (setup.fitToWidth or 1, setup.fitToHeight) == (1, 0), ws.title
        assert ws.print_title_rows == "$1:$1", ws.title  # the header (the title on the summary) on every page
        # A text longer than its column is wide wraps instead of being cut by a filled cell on its right.
        for row in ws.iter_rows():
            for cell, right in zip(row, (*row[1:], None)):
                dimensions = ws.column_dimensions[cell.column_letter]
                shown = LINK.fullmatch(cell.value)[4] if cell.data_type == "f" else cell.value
                if (isinstance(shown, str) and len(shown) > dimensions.width * 1.2
                        and right is not None and right.value is not None and not dimensions.hidden):
                    assert cell.alignment.wrap_text, f"{ws.title}!{cell.coordinate}: {shown[:40]!r}"


TABLE_SHEETS = ("Uwagi", "Kampanie", "Tematy", "Do weryfikacji", "Słownik celów")


def produced_names(out: Path) -> dict[str, set[str]]:
    """Every column and key a run writes, by where it is written; the input's own columns (documented together as
    "other columns") left out."""
    own = set(form_export.HEADERS)
    wb = load_workbook(out / "triage.xlsx")
    names = {f"triage.xlsx, {sheet}": {c.value for c in wb[sheet][1]} - own for sheet in TABLE_SHEETS}
    # The summary's blocks share two column headers beside each block's title.
    names["triage.xlsx, Podsumowanie"] = {v for row in wb["Podsumowanie"].iter_rows(min_row=3, values_only=True)
                                          for v in row[1:3] if isinstance(v, str)}
    for table in ("comments.csv", "clusters.csv", "themes.csv", "research.csv"):
        names[table] = set(pd.read_csv(out / table, nrows=0).columns) - own
    assert set(pd.read_parquet(out / "research.parquet").columns) == names["research.csv"]
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    names["run.json"] = {*manifest, *manifest["counts"], *manifest["inputs"][0], *manifest["inputs"][0]["columns"],
                         *manifest["encoder"], *manifest["model"]}
    return names


def test_every_column_and_key_written_is_in_the_data_dictionary(form_out: Path) -> None:
    dictionary = (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    names = produced_names(form_out)
    assert "Odcisk treści" in names["triage.xlsx, Uwagi"] and "text_proposal" in names["comments.csv"]
    assert names["triage.xlsx, Podsumowanie"] == {"Liczba", "Udział"}
    missing = {where: sorted(n for n in found if f"`{n}`" not in dictionary) for where, found in names.items()}
    assert not any(missing.values()), missing


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")
def test_libreoffice_follows_every_link_and_keeps_types_and_the_staff_columns(form_out: Path, tmp_path: Path) -> None:
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to",
                    "xlsx:Calc MS Excel 2007 XML", "--outdir", str(tmp_path / "lo"), str(form_out / "triage.xlsx")],
                   check=True, capture_output=True, timeout=300)
    saved = tmp_path / "lo" / "triage.xlsx"
    wb = load_workbook(saved, data_only=True)  # the values LibreOffice calculated
    links = [c for sheet in ("Kampanie", "Do weryfikacji") for row in wb[sheet].iter_rows(min_row=2) for c in row
             if c.column_letter in {h.column_letter for h in wb[sheet][1] if "Uwagi" in str(h.value)}]
    assert links and all(str(c.value).startswith("przejdź") for c in links)  # MATCH found every row: no #N/A
    uwagi = columns(wb[SHEET_COMMENTS])
    assert all(isinstance(c.value, int) for c in uwagi["Lp."]) and all(isinstance(c.value, datetime)
                                                                        for c in uwagi["Data"])
    edits = read_edits(saved)
    assert edits.rows == [] and {g[0] for g in edits.groups} == {"K", "D"}  # one campaign, the duplicates


def test_personal_columns_stay_as_typed() -> None:
    df = pd.DataFrame({"comment_id": ["a", "b"], "text": ["Uwaga.", "Druga."], "Nr": ["7", "8"],
                       "Telefon": ["501234567", "601234567"]})
    view = comments_view(df, None, {}, Config(), personal=["Telefon"])
    assert view["Nr"].tolist() == [7, 8] and view["Telefon"].tolist() == ["501234567", "601234567"]
