"""`uwagi learn`: staff corrections read back from triage.xlsx, stored with provenance, applied on the next run."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from pipeline.config import Config
from pipeline.corrections import Correction, apply_corrections, changes, effective, fingerprint
from pipeline.errors import UserError
from pipeline.export.xlsx import H_ANSWER, H_DECISION, H_FINGERPRINT, H_ID, H_LABEL_FIX, SHEET_COMMENTS, write_workbook
from pipeline.learn import combine, read_workbook
from pipeline.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = load_taxonomy(ROOT / "data" / "taxonomies" / "gdansk_ngo_2023.toml")
TEXTS = ["Proponujemy zwiększyć pulę małych grantów.", "Czy wolontariusze będą ubezpieczeni?",
         "Dziura w jezdni na Chełmie.", "Prosimy o szkolenia z księgowości dla małych organizacji."]


def small_table() -> pd.DataFrame:
    return pd.DataFrame({
        "comment_id": ["a", "b", "c", "d"], "text": TEXTS, "text_clean": TEXTS, "status": "do analizy",
        "label": ["finansowanie", "wolontariat", "finansowanie", "rozwoj_instytucjonalny"],
        "labels": ["finansowanie", "wolontariat|rozwoj_instytucjonalny", "finansowanie|ewaluacja",
                   "rozwoj_instytucjonalny"],
        "confidence": [0.9, 0.8, 0.4, 0.95], "needs_review": [False, False, True, False],
        "evidence": "", "priority": [1, 2, 2, 1],
    })


def edit(path: Path, out: Path, changes_by_id: dict[str, dict[str, str]], sort_desc: bool = True) -> Path:
    """What a person does: fill the staff columns of some rows, then re-sort the sheet by ID, and save."""
    wb = load_workbook(path)
    ws = wb[SHEET_COMMENTS]
    col = {c.value: c.column - 1 for c in ws[1]}
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    for row in rows:
        for header, value in changes_by_id.get(row[col[H_ID]], {}).items():
            row[col[header]] = value
    rows.sort(key=lambda r: r[col[H_ID]], reverse=sort_desc)
    for i, row in enumerate(rows, start=2):
        for j, value in enumerate(row, start=1):
            ws.cell(i, j).value = value
    wb.save(out)
    return out


@pytest.fixture()
def workbook(tmp_path: Path) -> Path:
    return write_workbook(small_table(), tmp_path / "triage.xlsx", {"created": "2026-11-26T17:00:00+00:00"},
                          taxonomy=TAXONOMY)


def test_reads_names_or_ids_from_a_resorted_workbook_with_provenance(workbook: Path, tmp_path: Path) -> None:
    edited = edit(workbook, tmp_path / "poprawiony.xlsx", {
        "c": {H_LABEL_FIX: "Poza zakresem programu", H_DECISION: "nie dotyczy", H_ANSWER: "Sprawa dla ZDiZ."},
        "b": {H_LABEL_FIX: "wolontariat"},  # an id instead of a name
        "d": {H_DECISION: "Czesciowo uwzgledniona"},  # typed by hand, without Polish letters
    })
    got = {c.comment_id: c for c in read_workbook(edited, TAXONOMY)}
    assert set(got) == {"b", "c", "d"}
    assert (got["c"].label, got["c"].decision, got["c"].answer) == ("poza_zakresem", "nie dotyczy", "Sprawa dla ZDiZ.")
    assert got["b"].label == "wolontariat" and got["d"].decision == "częściowo uwzględniona" and got["d"].label is None
    # Re-sorted descending by ID: d, c, b, a are rows 2..5 of the saved sheet.
    assert (got["c"].workbook, got["c"].sheet, got["c"].row) == ("poprawiony.xlsx", SHEET_COMMENTS, 3)
    assert got["c"].fingerprint == fingerprint(TEXTS[2]) and got["c"].date.startswith("20")


def test_unknown_label_or_decision_names_the_row(workbook: Path, tmp_path: Path) -> None:
    edited = edit(workbook, tmp_path / "zly.xlsx", {"a": {H_LABEL_FIX: "Sport"}}, sort_desc=False)
    with pytest.raises(UserError, match=r"wiersz 2, kolumna 'Cel – korekta'.*nieznany cel 'Sport'"):
        read_workbook(edited, TAXONOMY)
    edited = edit(workbook, tmp_path / "zly2.xlsx", {"b": {H_DECISION: "odrzucona"}}, sort_desc=False)
    with pytest.raises(UserError, match=r"wiersz 3, kolumna 'Status – decyzja'.*nieznana decyzja"):
        read_workbook(edited, TAXONOMY)


def test_foreign_and_damaged_workbooks_are_user_errors(tmp_path: Path) -> None:
    foreign = tmp_path / "inny.xlsx"
    pd.DataFrame({"Nr": [1], "Treść uwagi": ["x"]}).to_excel(foreign, index=False, sheet_name="Uwagi")
    with pytest.raises(UserError, match="to nie jest arkusz triage.xlsx"):
        read_workbook(foreign, TAXONOMY)
    other_sheet = tmp_path / "arkusz.xlsx"
    pd.DataFrame({"a": [1]}).to_excel(other_sheet, index=False)
    with pytest.raises(UserError, match="brak arkusza „Uwagi”"):
        read_workbook(other_sheet, TAXONOMY)
    damaged = tmp_path / "uszkodzony.xlsx"
    damaged.write_bytes(b"PK\x03\x04 to nie jest zip")
    with pytest.raises(UserError, match="uszkodzony"):
        read_workbook(damaged, TAXONOMY)
    with pytest.raises(UserError, match="nie ma takiego pliku"):
        read_workbook(tmp_path / "brak.xlsx", TAXONOMY)


def test_conflicting_rows_for_one_id_are_refused(workbook: Path, tmp_path: Path) -> None:
    wb = load_workbook(workbook)
    ws = wb[SHEET_COMMENTS]
    col = {c.value: c.column for c in ws[1]}
    for j in range(1, ws.max_column + 1):  # a person pasted row "a" a second time, with another decision
        ws.cell(ws.max_row + 1 if j == 1 else ws.max_row, j).value = ws.cell(2, j).value
    ws.cell(2, col[H_DECISION]).value = "uwzględniona"
    ws.cell(ws.max_row, col[H_DECISION]).value = "nieuwzględniona"
    wb.save(tmp_path / "dubel.xlsx")
    with pytest.raises(UserError, match="występuje też w wierszu 2"):
        read_workbook(tmp_path / "dubel.xlsx", TAXONOMY)


def test_without_the_hidden_fingerprint_column_the_text_decides(workbook: Path, tmp_path: Path) -> None:
    wb = load_workbook(workbook)
    ws = wb[SHEET_COMMENTS]
    col = {c.value: c.column for c in ws[1]}
    ws.delete_cols(col[H_FINGERPRINT])
    ws.cell(2, col[H_LABEL_FIX]).value = "ewaluacja"
    wb.save(tmp_path / "bez.xlsx")
    (got,) = read_workbook(tmp_path / "bez.xlsx", TAXONOMY)
    assert got.fingerprint == fingerprint(got.text) and got.label == "ewaluacja"


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")
def test_reads_a_workbook_saved_by_libreoffice(workbook: Path, tmp_path: Path) -> None:
    edited = edit(workbook, tmp_path / "do_lo.xlsx", {"a": {H_LABEL_FIX: "Wolontariat", H_ANSWER: "Dziękujemy."}})
    out = tmp_path / "lo"
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to",
                    "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(edited)],
                   check=True, capture_output=True, timeout=120)
    (got,) = read_workbook(out / "do_lo.xlsx", TAXONOMY)
    assert (got.comment_id, got.label, got.answer) == ("a", "wolontariat", "Dziękujemy.")
    assert got.fingerprint == fingerprint(TEXTS[0])


def correction(text: str, **values: str) -> Correction:
    return Correction(fingerprint=fingerprint(text), comment_id="x", text=text, workbook="triage.xlsx",
                      sheet=SHEET_COMMENTS, row=7, date="2026-11-26T17:00:00+00:00", **values)


def test_override_keeps_the_persons_label_and_carries_decisions() -> None:
    # Same text up to case and diacritics: the fingerprint still matches.
    found = effective([correction("DZIURA W JEZDNI NA CHELMIE.", label="poza_zakresem", decision="nie dotyczy"),
                       correction(TEXTS[1], answer="Tak, ubezpieczamy.")])
    out = apply_corrections(small_table(), found)
    assert out.loc[2, ["label", "labels", "confidence", "needs_review"]].tolist() == [
        "poza_zakresem", "poza_zakresem|ewaluacja", 1.0, False]
    assert "pracownika" in out.loc[2, "evidence"] and "wiersz 7" in out.loc[2, "evidence"]
    assert out["decision"].tolist() == ["", "", "nie dotyczy", ""]
    assert out["answer"].tolist() == ["", "Tak, ubezpieczamy.", "", ""]
    assert out["label_corrected"].tolist() == [False, False, True, False]

    off = apply_corrections(small_table(), found, override_labels=False)
    assert off["label"].tolist() == small_table()["label"].tolist()  # the classifier's own labels
    assert off["decision"].tolist() == out["decision"].tolist()  # staff work is carried either way


def test_later_corrections_win_field_by_field_and_repeats_are_not_news() -> None:
    first = correction(TEXTS[0], label="wolontariat", decision="uwzględniona")
    second = correction(TEXTS[0], decision="nieuwzględniona")
    merged = effective([first, second])[fingerprint(TEXTS[0])]
    assert (merged.label, merged.decision) == ("wolontariat", "nieuwzględniona")
    assert changes([correction(TEXTS[0], decision="nieuwzględniona")], {merged.fingerprint: merged}) == []
    assert changes([correction(TEXTS[0], label="ewaluacja")], {merged.fingerprint: merged})


def test_combined_data_applies_people_labels_and_adds_new_comments() -> None:
    old = pd.DataFrame({"text": TEXTS[:2], "label": ["finansowanie", "finansowanie"], "group": ["g1", "g2"]})
    found = effective([correction(TEXTS[1], label="wolontariat"), correction(TEXTS[2], label="poza_zakresem"),
                       correction(TEXTS[3], decision="uwzględniona")])
    data = combine(old, found)
    assert data["label"].tolist() == ["finansowanie", "wolontariat", "poza_zakresem"]
    assert data["old_label"].tolist()[:2] == ["finansowanie", "finansowanie"] and pd.isna(data["old_label"][2])
    assert data["origin"].tolist() == ["dane uczące", "korekta", "korekta"]


def test_stage_reads_the_model_folder_and_honours_the_switch(tmp_path: Path) -> None:
    from pipeline.config import ClassifyConfig
    from pipeline.corrections import CORRECTIONS_FILE, corrections, corrections_jsonl

    (tmp_path / CORRECTIONS_FILE).write_text(corrections_jsonl([correction(TEXTS[0], label="ewaluacja")]))
    on = corrections(small_table(), Config(classify=ClassifyConfig(model=tmp_path)))
    off = corrections(small_table(), Config(classify=ClassifyConfig(model=tmp_path, use_corrections=False)))
    assert on.loc[0, "label"] == "ewaluacja" and off.loc[0, "label"] == "finansowanie"
