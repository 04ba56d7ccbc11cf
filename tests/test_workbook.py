"""triage.xlsx: what staff see and work in — sheets, order, dropdowns, formats, charts, links, formula safety."""

from __future__ import annotations

import gc
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter
from openpyxl import load_workbook
from xlsxwriter.worksheet import Worksheet

from pipeline.config import Config, ExportConfig, IngestConfig
from pipeline.export.row_links import LinkSheet, RowLink
from pipeline.export.xlsx import (
    TO_COMMENT, TO_OTHERS, TO_REPRESENTATIVE, cell_text, on_sheet, write_workbook,
)
from pipeline.sheets import (
    FORMAT_VALUE, H_ANSWER, H_DECISION, H_FINGERPRINT, H_LABEL_FIX, SHEET_CAMPAIGNS, SHEET_COMMENTS,
    SHEET_INFO, SHEET_REVIEW, SHEET_SUMMARY, SHEET_TAXONOMY,
)
from pipeline.taxonomy import load_taxonomy
from pipeline.vocabulary import DECISIONS
from tests.workbook_checks import follow, link_formulas

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = load_taxonomy(ROOT / "data" / "taxonomies" / "gdansk_ngo_2023.toml")
INJECTIONS = ['=HYPERLINK("http://x","klik")', "+48 501 234 567 proszę dzwonić", "-1+2", "@SUM(A1)"]
SHEETS = [SHEET_SUMMARY, SHEET_COMMENTS, SHEET_CAMPAIGNS, SHEET_REVIEW, SHEET_TAXONOMY, SHEET_INFO]


def comments() -> pd.DataFrame:
    """A processed comments table: a campaign of three, a duplicate pair, unique comments, formula-like texts."""
    rows = [
        # id, text, label, priority, status, cluster_id, role, needs_review
        ("u1", "Proponujemy zwiększyć pulę małych grantów, Jan Kowalski.", "finansowanie", 1, "do analizy",
         "u1", "unikalna", False),
        ("k1", "Prosimy o wsparcie zdrowia psychicznego dzieci. Rodzice z Oruni.", "zadania_priorytetowe", 2,
         "kampania", "k1", "reprezentant", False),
        ("u2", "Czy wolontariusze będą ubezpieczeni?", "wolontariat", 2, "do weryfikacji", "u2", "unikalna", True),
        ("k2", "Prosimy o wsparcie zdrowia psychicznego dzieci.", "zadania_priorytetowe", 3, "kampania", "k1",
         "członek", False),
        ("k3", "Prosimy o wsparcie zdrowia psychicznego dzieci!!", "zadania_priorytetowe", 3, "kampania", "k1",
         "członek", False),
        *[(f"x{i}", text, "poza_zakresem", 3, "poza zakresem", f"x{i}", "unikalna", False)
          for i, text in enumerate(INJECTIONS)],
        ("u3", "Dziura w jezdni na Chełmie.", "poza_zakresem", 3, "do weryfikacji", "u3", "unikalna", True),
    ]
    df = pd.DataFrame(rows, columns=["comment_id", "text", "label", "priority", "status", "cluster_id",
                                     "cluster_role", "needs_review"])
    df["text_clean"] = df["text"].str.replace("Jan Kowalski", "[OSOBA]")
    df["labels"] = df["label"]
    df["confidence"] = [0.91, 0.88, 0.41, 0.9, 0.9, 0.7, 0.7, 0.7, 0.7, 0.35]
    df["evidence"] = "mały grant; pula"
    df["comment_type"] = "propozycja"
    df["cluster_size"] = df.groupby("cluster_id")["comment_id"].transform("size")
    df["cluster_similarity"] = 1.0
    df["added_text"] = ["", "Rodzice z Oruni.", "", "", "!!", "", "", "", "", ""]
    df["cited_provisions"] = ["§ 5 ust. 1", "", "", "", "", "", "", "", "", ""]
    df["status_reason"] = ["Uwaga unikalna", "Reprezentant kampanii k1 (3 uwagi)", "", *[
        "Członek kampanii k1 (3 uwagi) – odpowiedź jak dla reprezentanta"] * 2, *["Uwaga unikalna; uwaga nie dotyczy "
        "przedmiotu konsultacji"] * 4, "Uwaga unikalna; klasyfikator nie jest pewny celu – sprawdź ręcznie"]
    df["priority_reason"] = ["Uwaga unikalna: proponuje konkretny zapis („proponujemy”)", *[
        "w zakresie konsultacji, bez propozycji zapisu ani powołania na przepis"] * 2, *[
        "Członek kampanii – wystarczy odpowiedź dla reprezentanta"] * 2, *["Poza zakresem konsultacji"] * 5]
    df["Typ zgłaszającego"] = ["organizacja", "osoba", "osoba", "osoba", "osoba", "osoba", "osoba", "osoba",
                               "osoba", "instytucja"]
    return df


CLUSTERS = pd.DataFrame({"cluster_id": ["k1"], "size": [3], "representative_id": ["k1"],
                         "template": ["Prosimy o wsparcie zdrowia psychicznego dzieci."]})
MANIFEST = {"version": "0.1.0", "created": "2026-11-26T17:00:00+00:00",
            "counts": {"read": 10, "written": 10, "empty": 0, "errors": 0}}
CFG = Config(ingest=IngestConfig(submitter_col="Typ zgłaszającego"))


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wb") / "triage.xlsx"
    write_workbook(comments(), path, MANIFEST, taxonomy=TAXONOMY, clusters=CLUSTERS, cfg=CFG)
    return path


def table(ws) -> list[dict[str, object]]:
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_characters_xml_cannot_hold_become_spaces_not_glue() -> None:
    assert cell_text("pionowym\x0btabulatorem\x00koniec") == "pionowym tabulatorem koniec"


def test_sheets_in_order_with_frozen_filtered_headers(workbook: Path) -> None:
    wb = load_workbook(workbook)
    assert wb.sheetnames == SHEETS
    for name in (SHEET_COMMENTS, SHEET_CAMPAIGNS, SHEET_REVIEW):
        assert wb[name].freeze_panes == "A2" and wb[name].auto_filter.ref, name
    headers = [c.value for c in wb[SHEET_COMMENTS][1]]
    # Priority, status (each beside its reason) and the staff columns come before the input's own columns.
    assert headers == ["ID", "Treść", "Cel", "Pewność", "Dlaczego", "Typ uwagi", "Powołane przepisy", "Kampania",
                       "Dopisek nadawcy", "Priorytet", "Powód priorytetu", "Status", "Powód statusu", H_LABEL_FIX,
                       H_DECISION, H_ANSWER, H_FINGERPRINT, "Typ zgłaszającego"]
    hidden = [c.column_letter for c in wb[SHEET_COMMENTS][1] if c.value == H_FINGERPRINT]
    assert wb[SHEET_COMMENTS].column_dimensions[hidden[0]].hidden  # the fingerprint column is for `uwagi learn` only


def test_each_priority_and_status_shows_its_reason(workbook: Path) -> None:
    by_id = {r["ID"]: r for r in table(load_workbook(workbook)[SHEET_COMMENTS])}
    assert by_id["u1"]["Powód priorytetu"] == "Uwaga unikalna: proponuje konkretny zapis („proponujemy”)"
    assert by_id["k2"]["Powód statusu"] == "Członek kampanii k1 (3 uwagi) – odpowiedź jak dla reprezentanta"
    # A comment flagged for review whose stage gave no reason of its own still says why.
    assert by_id["u2"]["Powód statusu"] == "model nie jest pewny celu"


def test_no_cell_is_a_formula_but_the_row_links_and_input_text_stays_text(workbook: Path) -> None:
    wb = load_workbook(workbook)
    links = link_formulas(wb)  # asserts every formula is a link of the fixed shape
    assert {(sheet, m[4]) for sheet, _, m in links} == {
        (SHEET_CAMPAIGNS, "przejdź do reprezentanta"),
        (SHEET_CAMPAIGNS, "przejdź do pierwszej (wszystkie: filtr w kolumnie Kampania)"),
        (SHEET_REVIEW, "przejdź do uwagi")}
    texts = {r["Treść"]: r for r in table(wb[SHEET_COMMENTS])}
    for text in INJECTIONS:
        assert text in texts  # written verbatim as a string, not evaluated
    with zipfile.ZipFile(workbook) as z:
        uwagi = z.read("xl/worksheets/sheet2.xml").decode()  # sheet2 is "Uwagi"
    assert "<f>" not in uwagi


def test_a_comment_shaped_like_xlsxwriters_rich_text_xml_is_shown_as_typed(tmp_path: Path) -> None:
    # xlsxwriter copies a string "<r>…</r>" into the file as XML: the cell read empty, or smuggled in other text.
    shaped = ["<r>abc</r>", "<r><t>podrzucony tekst</t></r><r><t>!</t></r>", "<r>=1+1</r>"]
    df = comments()
    df.loc[df["comment_id"].isin(["x0", "x1", "x2"]), "text"] = shaped
    df["added_text"] = df["added_text"].where(df["comment_id"] != "k1", "<r>dopisek</r>")
    path = tmp_path / "triage.xlsx"
    write_workbook(df, path, MANIFEST, taxonomy=TAXONOMY, clusters=CLUSTERS, cfg=CFG)

    wb = load_workbook(path)
    rows = {r["ID"]: r for r in table(wb[SHEET_COMMENTS])}
    assert [rows[i]["Treść"] for i in ("x0", "x1", "x2")] == shaped
    assert rows["k1"]["Dopisek nadawcy"] == "<r>dopisek</r>"
    assert rows["x3"]["Treść"] == INJECTIONS[3]  # the plain texts around them are untouched


def test_comments_sorted_by_priority_with_labels_by_name_and_original_text(workbook: Path) -> None:
    rows = table(load_workbook(workbook)[SHEET_COMMENTS])
    assert [r["Priorytet"] for r in rows] == sorted(r["Priorytet"] for r in rows)
    # Within a priority a campaign's members stay together; the representative keeps its own priority.
    ids = [r["ID"] for r in rows]
    assert ids.index("k3") == ids.index("k2") + 1
    by_id = {r["ID"]: r for r in rows}
    assert by_id["u1"]["Treść"].endswith("Jan Kowalski.")  # staff see the original, unredacted text
    assert by_id["u1"]["Cel"] == TAXONOMY.label("finansowanie").name
    assert by_id["k1"]["Kampania"] == "K1 – reprezentant" and by_id["k2"]["Kampania"] == "K1"
    assert by_id["k1"]["Dopisek nadawcy"] == "Rodzice z Oruni."
    assert by_id["u1"]["Pewność"] == pytest.approx(0.91) and by_id["u1"]["Powołane przepisy"] == "§ 5 ust. 1"
    assert by_id["u1"][H_LABEL_FIX] is None and by_id["u1"][H_DECISION] is None


def test_redacted_text_when_the_original_is_switched_off(tmp_path: Path) -> None:
    cfg = Config(export=ExportConfig(original_text_in_workbook=False))
    path = write_workbook(comments(), tmp_path / "t.xlsx", MANIFEST, taxonomy=TAXONOMY, clusters=CLUSTERS, cfg=cfg)
    wb = load_workbook(path)
    by_id = {r["ID"]: r for r in table(wb[SHEET_COMMENTS])}
    assert "[OSOBA]" in by_id["u1"]["Treść"]
    assert not [c.coordinate for ws in wb.worksheets for row in ws.iter_rows() for c in row
                if "Kowalski" in str(c.value)]


def resolve_range(wb, ref: str) -> list[object]:
    sheet, cells = re.fullmatch(r"'?(.+?)'?!(\S+)", ref.lstrip("=")).groups()
    return [c.value for row in wb[sheet][cells.replace("$", "")] for c in row]


def test_dropdowns_point_at_the_taxonomy_sheet(workbook: Path) -> None:
    wb = load_workbook(workbook)
    ws = wb[SHEET_COMMENTS]
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"}
    assert len(lists) == 2
    headers = {c.value: c.column_letter for c in ws[1]}
    label_ref = lists[f"{headers[H_LABEL_FIX]}2:{headers[H_LABEL_FIX]}11"]
    decision_ref = lists[f"{headers[H_DECISION]}2:{headers[H_DECISION]}11"]
    assert "Słownik celów" in label_ref and "Słownik celów" in decision_ref
    assert resolve_range(wb, label_ref) == [lb.name for lb in TAXONOMY.labels]
    assert resolve_range(wb, decision_ref) == list(DECISIONS)
    assert [r["Identyfikator"] for r in table(wb[SHEET_TAXONOMY])][: len(TAXONOMY.labels)] == list(TAXONOMY.ids)


def test_conditional_formats_mark_priority_and_review(workbook: Path) -> None:
    ws = load_workbook(workbook)[SHEET_COMMENTS]
    headers = {c.value: c.column_letter for c in ws[1]}
    rules = {str(rng.sqref): [r for r in rng.rules] for rng in ws.conditional_formatting}
    priority = rules[f"{headers['Priorytet']}2:{headers['Priorytet']}11"]
    assert {tuple(r.formula) for r in priority} == {("1",), ("2",)}
    status = rules[f"{headers['Status']}2:{headers['Status']}11"]
    assert status[0].type == "containsText" and status[0].text == "do weryfikacji"


def test_native_charts_on_the_summary(workbook: Path) -> None:
    with zipfile.ZipFile(workbook) as z:
        charts = sorted(n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n))
        kinds = {n: z.read(n).decode() for n in charts}
        rels = z.read("xl/worksheets/_rels/sheet1.xml.rels").decode()  # sheet1 is the summary
    assert len(charts) == 2 and "drawing" in rels
    assert any("<c:barChart>" in x and "Podsumowanie" in x for x in kinds.values())
    assert any("<c:pieChart>" in x for x in kinds.values())
    summary = [r[0] for r in load_workbook(workbook)[SHEET_SUMMARY].iter_rows(values_only=True) if r[0]]
    for block in ("Cel programu", "Status", "Typ uwagi", "Typ zgłaszającego", "Kampania"):
        assert block in summary


def test_campaigns_and_review_sheets_link_to_their_rows(workbook: Path) -> None:
    wb = load_workbook(workbook)
    uwagi_row = {r[0].value: r[0].row for r in wb[SHEET_COMMENTS].iter_rows(min_row=2)}
    campaigns = wb[SHEET_CAMPAIGNS]
    assert campaigns.max_row == 2  # one row per cluster of two or more
    head = {h.value: c for h, c in zip(campaigns[1], campaigns[2])}
    assert head["Liczba uwag"].value == 3
    assert head["Wspólny szablon"].value == CLUSTERS["template"][0]
    assert head["Reprezentant"].value == "k1" and head["Reprezentant"].hyperlink is None  # an id, no fixed link
    assert follow(wb, SHEET_CAMPAIGNS, head["Reprezentant w arkuszu Uwagi"].coordinate) == uwagi_row["k1"]
    # The other members: the first of them in the sheet's current order (the representative is marked apart).
    assert follow(wb, SHEET_CAMPAIGNS, head["Pozostałe w arkuszu Uwagi"].coordinate) == uwagi_row["k2"]

    review = wb[SHEET_REVIEW]
    rows = table(review)
    assert sorted(r["ID"] for r in rows) == ["u2", "u3"]
    links = {c.value: c for c in review[1]}["W arkuszu Uwagi"].column_letter
    for n, r in enumerate(rows, start=2):
        assert follow(wb, SHEET_REVIEW, f"{links}{n}") == uwagi_row[r["ID"]]
    # No stored result, so LibreOffice calculates the link on opening instead of showing a label without a target.
    with zipfile.ZipFile(workbook) as z:
        review_xml = z.read("xl/worksheets/sheet4.xml").decode()  # sheet4 is "Do weryfikacji"
    assert review_xml.count("</f><v></v>") == len(rows)


def test_links_lead_to_the_same_comment_after_staff_sort_the_sheet(workbook: Path, tmp_path: Path) -> None:
    wb = load_workbook(workbook)
    uwagi = wb[SHEET_COMMENTS]
    rows = [[c.value for c in r] for r in uwagi.iter_rows(min_row=2)]
    for i, values in enumerate(sorted(rows, key=lambda v: str(v[2])), start=2):  # by goal, as staff often do
        for j, value in enumerate(values, start=1):
            uwagi.cell(i, j, value).data_type = "s" if isinstance(value, str) else uwagi.cell(i, j).data_type
    wb.save(tmp_path / "posortowany.xlsx")
    wb = load_workbook(tmp_path / "posortowany.xlsx")
    row_of = {r[0].value: r[0].row for r in wb[SHEET_COMMENTS].iter_rows(min_row=2)}
    assert row_of != {r[0].value: r[0].row for r in load_workbook(workbook)[SHEET_COMMENTS].iter_rows(min_row=2)}
    links = link_formulas(wb)
    assert len(links) == 4  # the campaign's two, one per comment to review
    for sheet, cell, match in links:
        key = wb[sheet][f"{match[1]}{match[2]}"].value
        target = wb[SHEET_COMMENTS].cell(follow(wb, sheet, cell), 1).value
        if match[3] == "A":  # looked up by id: that very comment
            assert target == key, (sheet, cell)
        else:  # by group: a member of that group
            assert wb[SHEET_COMMENTS][f"{match[3]}{follow(wb, sheet, cell)}"].value == key


def test_decisions_and_answers_carried_from_corrections(tmp_path: Path) -> None:
    df = comments()
    df["decision"] = ["uwzględniona"] + [""] * 9
    df["answer"] = ["Zapis zmieniono w § 5."] + [""] * 9
    path = write_workbook(df, tmp_path / "t.xlsx", MANIFEST, taxonomy=TAXONOMY, clusters=CLUSTERS, cfg=CFG)
    wb = load_workbook(path)
    by_id = {r["ID"]: r for r in table(wb[SHEET_COMMENTS])}
    assert by_id["u1"][H_DECISION] == "uwzględniona" and by_id["u1"][H_ANSWER] == "Zapis zmieniono w § 5."
    summary = [r[0] for r in wb[SHEET_SUMMARY].iter_rows(values_only=True)]
    assert "Decyzja (z poprzedniej wersji arkusza)" in summary


def test_info_sheet_carries_the_manifest_and_format(workbook: Path) -> None:
    info = dict(load_workbook(workbook)[SHEET_INFO].iter_rows(values_only=True))
    assert info["Data przetwarzania (UTC)"] == MANIFEST["created"]
    assert info["Format arkusza"] == FORMAT_VALUE


def test_works_on_a_table_from_early_stages_only(tmp_path: Path) -> None:
    df = comments()[["comment_id", "text", "text_clean", "status"]]
    path = write_workbook(df, tmp_path / "t.xlsx", MANIFEST)
    wb = load_workbook(path)
    assert wb.sheetnames == SHEETS and wb[SHEET_COMMENTS].max_row == 11


def test_rows_grow_to_the_lines_their_wrapped_text_needs_up_to_a_cap(tmp_path: Path) -> None:
    # "Treść" is 62 wide: 77 characters a line; an empty line between two paragraphs is a line too.
    texts = {"a": "Krótka uwaga.", "b": "słowo " * 30, "c": "pierwszy akapit\n\ntrzeci", "d": "x" * 5_000}
    df = pd.DataFrame({"comment_id": list(texts), "text": list(texts.values()), "status": "do analizy"})
    ws = load_workbook(write_workbook(df, tmp_path / "t.xlsx", MANIFEST))[SHEET_COMMENTS]
    heights = {ws.cell(r, 1).value: ws.row_dimensions[r].height for r in range(2, 6)}
    # Points, as Excel stores them: whole pixels of 0.75 point.
    lines = {"b": 3, "c": 3, "d": 12}
    assert heights == {"a": None, **{k: pytest.approx(n * 12.75 + 2, abs=0.75) for k, n in lines.items()}}


def test_the_collector_is_held_off_while_the_cells_pile_up_and_left_as_found(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    closing = []
    close = xlsxwriter.Workbook.close
    monkeypatch.setattr(xlsxwriter.Workbook, "close", lambda wb: closing.append(gc.isenabled()) or close(wb))
    write_workbook(comments(), tmp_path / "t.xlsx", MANIFEST, taxonomy=TAXONOMY, clusters=CLUSTERS, cfg=CFG)
    assert closing == [False] and gc.isenabled()
    assert load_workbook(tmp_path / "t.xlsx")[SHEET_COMMENTS].max_row == 11
    monkeypatch.setattr(xlsxwriter.Workbook, "close", lambda wb: 1 / 0)
    with pytest.raises(ZeroDivisionError):  # a writer that fails gives the collector back too
        write_workbook(comments(), tmp_path / "u.xlsx", MANIFEST, cfg=CFG)
    assert gc.isenabled()
    gc.disable()  # a caller that holds it off itself finds it off still
    try:
        monkeypatch.setattr(xlsxwriter.Workbook, "close", close)
        write_workbook(comments(), tmp_path / "v.xlsx", MANIFEST, cfg=CFG)
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")
def test_libreoffice_renders_every_sheet(workbook: Path, tmp_path: Path) -> None:
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(workbook)], check=True, capture_output=True, timeout=120)
    pdf = tmp_path / "triage.pdf"
    assert pdf.stat().st_size > 10_000
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        for expected in ("Uwagi z konsultacji – podsumowanie", "Uwagi według celu programu", "Cel – korekta",
                         "Wspólny szablon", "Rozwój instytucjonalny i kompetencje", "=HYPERLINK"):
            assert expected in text
        assert "Odcisk treści" not in text  # hidden column stays hidden in print
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", str(pdf), str(tmp_path / "page")],
                       check=True, timeout=60)
        assert list(tmp_path.glob("page*.png"))


def test_links_are_prepared_as_xlsxwriter_prepares_any_formula() -> None:
    # LinkSheet skips xlsxwriter's search for newer Excel functions: the links must not need it.
    links = [RowLink(5, 0, TO_REPRESENTATIVE), RowLink(0, 30, TO_OTHERS), RowLink(0, 0, TO_COMMENT)]
    for link in links:
        for row in (1, 99, 1_048_575):
            formula = link.formula(row)
            assert LinkSheet()._prepare_formula(formula) == Worksheet()._prepare_formula(formula)
    assert LinkSheet()._prepare_formula("=FILTER(A:A,B:B)") != Worksheet()._prepare_formula("=FILTER(A:A,B:B)")


def test_a_link_is_kept_only_where_its_key_is_on_the_comments_sheet() -> None:
    table = pd.DataFrame({"key": ["K1", "K2", "K3", "", "K1"], "link": ["idź"] * 4 + ["idź"]})
    found = on_sheet(table, "key", "link", pd.Series(["K2", "K1", "K1", "K9"]))  # group names repeat on "Uwagi"
    assert found["link"].tolist() == ["idź", "idź", "", "", "idź"]
    assert found["key"].tolist() == table["key"].tolist()
