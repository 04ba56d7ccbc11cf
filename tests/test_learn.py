"""`uwagi learn`: staff corrections read back from triage.xlsx, stored with provenance, applied on the next run."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import zipfile
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from pipeline.cli import build_parser, main
from pipeline.commands.learn import advice
from pipeline.commands.run import config_from_args
from pipeline.config import Config
from pipeline.corrections import Correction, apply_corrections, changes, effective, fingerprint, resolve_decision
from pipeline.edits import read_workbook
from pipeline.errors import UserError
from pipeline.export.xlsx import write_workbook
from pipeline.job import run_job
from pipeline.learn import recorded_model
from pipeline.retrain import combine
from pipeline.sheets import H_ANSWER, H_DECISION, H_FINGERPRINT, H_ID, H_LABEL_FIX, SHEET_COMMENTS
from pipeline.taxonomy import load_taxonomy
from pipeline.vocabulary import DECISIONS
from tests.workbook_checks import link_formulas

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY_PATH = ROOT / "data" / "taxonomies" / "gdansk_ngo_2023.toml"
TAXONOMY = load_taxonomy(TAXONOMY_PATH)
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
    assert got["b"].label == "wolontariat"
    assert got["d"].decision == "częściowo uwzględniona" and got["d"].label is None
    # Re-sorted descending by ID: d, c, b, a are rows 2..5 of the saved sheet.
    assert (got["c"].workbook, got["c"].sheet, got["c"].row) == ("poprawiony.xlsx", SHEET_COMMENTS, 3)
    # The corrections, and so the retrained model, do not depend on how staff sorted the sheet.
    ascending = edit(edited, tmp_path / "rosnaco.xlsx", {}, sort_desc=False)
    assert [c.comment_id for c in read_workbook(ascending, TAXONOMY)] == [c.comment_id for c in got.values()]
    assert got["c"].fingerprint == fingerprint(TEXTS[2]) and got["c"].date.startswith("20")


def test_unknown_label_or_decision_names_the_row(workbook: Path, tmp_path: Path) -> None:
    edited = edit(workbook, tmp_path / "zly.xlsx", {"a": {H_LABEL_FIX: "Sport"}}, sort_desc=False)
    with pytest.raises(UserError, match=r"wiersz 2, kolumna 'Cel – korekta'.*nieznany cel 'Sport'"):
        read_workbook(edited, TAXONOMY)
    edited = edit(workbook, tmp_path / "zly2.xlsx", {"b": {H_DECISION: "odrzucona"}}, sort_desc=False)
    with pytest.raises(UserError, match=r"wiersz 3, kolumna 'Status – decyzja'.*nieznana decyzja"):
        read_workbook(edited, TAXONOMY)


def test_a_row_whose_id_cell_was_cleared_still_counts(workbook: Path, tmp_path: Path) -> None:
    edited = edit(workbook, tmp_path / "bez_id.xlsx", {"c": {H_LABEL_FIX: "Poza zakresem programu"}})
    wb = load_workbook(edited)
    ws = wb[SHEET_COMMENTS]
    id_col = next(c.column for c in ws[1] if c.value == H_ID)
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, id_col).value == "c")
    ws.cell(row, id_col).value = None
    wb.save(edited)
    got = read_workbook(edited, TAXONOMY)
    assert [(c.label, c.fingerprint) for c in got] == [("poza_zakresem", fingerprint(TEXTS[2]))]


def test_a_workbook_made_with_another_taxonomy_says_so(tmp_path: Path) -> None:
    lodz = load_taxonomy(ROOT / "data" / "taxonomies" / "lodz_bo_2025.toml")
    made = write_workbook(small_table(), tmp_path / "lodz.xlsx", {}, taxonomy=lodz)
    edited = edit(made, tmp_path / "lodz_poprawiony.xlsx", {"a": {H_LABEL_FIX: "Tereny zielone i ochrona środowiska"}})
    with pytest.raises(UserError, match="z taksonomii, z którą powstał arkusz.*'Program współpracy Miasta Gdańska"):
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


def test_an_answer_staff_cleared_stays_cleared(workbook: Path, tmp_path: Path) -> None:
    earlier = correction(TEXTS[1], decision="nieuwzględniona", answer="Nie możemy, bo budżet.")
    # The next workbook shows that answer; staff change the decision and empty the answer cell.
    edited = edit(workbook, tmp_path / "runda2.xlsx", {"b": {H_DECISION: "uwzględniona", H_ANSWER: ""}})
    (now,) = read_workbook(edited, TAXONOMY)
    merged = effective([earlier, *changes([now], effective([earlier]))])[fingerprint(TEXTS[1])]
    assert (merged.decision, merged.answer) == ("uwzględniona", "")


def test_combined_data_applies_people_labels_and_adds_new_comments() -> None:
    old = pd.DataFrame({"text": TEXTS[:2], "label": ["finansowanie", "finansowanie"], "group": ["g1", "g2"],
                        "comment_type": ["propozycja", "pytanie"],
                        "labels": [["finansowanie", "ewaluacja"], ["finansowanie", "ewaluacja"]]})
    found = effective([correction(TEXTS[1], label="wolontariat"), correction(TEXTS[2], label="poza_zakresem"),
                       correction(TEXTS[2].upper(), label="poza_zakresem"),  # same text typed in capitals
                       correction(TEXTS[3], decision="uwzględniona")])  # a decision alone is no training data
    data = combine(old, found)
    assert data["label"].tolist() == ["finansowanie", "wolontariat", "poza_zakresem"]
    assert data["old_label"].tolist()[:2] == ["finansowanie", "finansowanie"] and pd.isna(data["old_label"][2])
    assert data["origin"].tolist() == ["dane uczące", "korekta", "korekta"]
    assert data["group"].nunique() == 3
    # A person's label replaces the further labels given next to the old primary one.
    assert data["labels"].tolist() == [["finansowanie", "ewaluacja"], ["wolontariat"], ["poza_zakresem"]]


def test_stage_reads_the_model_folder_and_honours_the_switch(tmp_path: Path) -> None:
    from pipeline.config import ClassifyConfig
    from pipeline.corrections import CORRECTIONS_FILE, corrections, corrections_jsonl

    (tmp_path / CORRECTIONS_FILE).write_text(corrections_jsonl([correction(TEXTS[0], label="ewaluacja")]))
    on = corrections(small_table(), Config(classify=ClassifyConfig(model=tmp_path)))
    off = corrections(small_table(), Config(classify=ClassifyConfig(model=tmp_path, use_corrections=False)))
    assert on.loc[0, "label"] == "ewaluacja" and off.loc[0, "label"] == "finansowanie"


# ------------------------------------------------------------------------------------------------ round trip

DEMO = ROOT / "data" / "samples" / "konsultacje_2023_demo.csv"
GOLD = {json.loads(line)["id"]: json.loads(line)["primary_label"]
        for line in (ROOT / "data" / "gdansk_ngo_2023" / "demo_gold.jsonl").read_text(encoding="utf-8").splitlines()}
RUN_ARGS = [str(DEMO), "--id-col", "Nr zgłoszenia", "--submitter-col", "Typ zgłaszającego"]


def comments_csv(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "comments.csv", encoding="utf-8", newline="") as fh:
        return {r["comment_id"]: r for r in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Run with a weak model, correct its mistakes in the workbook as a person would, learn, run again."""
    tmp = tmp_path_factory.mktemp("rt")
    old = tmp / "stary_model"
    old.mkdir()
    # Half the labelled data, so the old model makes mistakes worth correcting; the data stays beside the model.
    lines = (ROOT / "data" / "gdansk_ngo_2023" / "train.jsonl").read_text(encoding="utf-8").splitlines()[::2]
    (old / "dane.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["train", str(old / "dane.jsonl"), "--taxonomy", str(TAXONOMY_PATH), "--out", str(old)]) == 0
    assert main(["run", *RUN_ARGS, "--model", str(old), "--out", str(tmp / "przebieg1")]) == 0
    first = comments_csv(tmp / "przebieg1")
    assert "label" in next(iter(first.values())), "uwagi run does not classify: wire classify into process.STAGES"

    wrong = sorted(i for i, r in first.items() if r["label"] != GOLD[i])
    right = sorted(i for i in first if i not in wrong)
    edits: dict[str, dict[str, str]] = {}
    for k, comment_id in enumerate(wrong):
        label = TAXONOMY.label(GOLD[comment_id])
        edits[comment_id] = {H_LABEL_FIX: label.name if k % 2 else label.id, H_DECISION: DECISIONS[k % 5],
                             H_ANSWER: f"Odpowiedź na uwagę {comment_id}."}
    edits[right[0]] = {H_DECISION: "przyjęta do wiadomości"}
    edited = edit(tmp / "przebieg1" / "triage.xlsx", tmp / "triage_poprawiony.xlsx", edits)
    wb = load_workbook(edited)  # a filter hides some rows, as staff leave it
    for r in range(2, 30, 3):
        wb[SHEET_COMMENTS].row_dimensions[r].hidden = True
    wb.save(edited)

    new = tmp / "nowy_model"
    assert main(["learn", str(edited), "--model", str(old), "--out", str(new)]) == 0
    assert main(["run", *RUN_ARGS, "--model", str(new), "--out", str(tmp / "przebieg2")]) == 0
    cfg = config_from_args(build_parser().parse_args(["run", *RUN_ARGS, "--model", str(new), "--out",
                                                      str(tmp / "przebieg3")]))
    run_job([DEMO], cfg.with_(classify=replace(cfg.classify, use_corrections=False)))
    wired = "decision" in comments_csv(tmp / "przebieg2")["A-0010"]
    assert wired, "uwagi run ignores corrections: wire pipeline.corrections.corrections into process.STAGES"
    return {"tmp": tmp, "old": old, "new": new, "edited": edited, "edits": edits, "wrong": wrong, "first": first}


def test_round_trip_people_labels_and_decisions_come_back(round_trip: dict, capsys: pytest.CaptureFixture) -> None:
    wrong, edits = round_trip["wrong"], round_trip["edits"]
    assert len(wrong) >= 3  # the half-data model leaves mistakes to correct
    second = comments_csv(round_trip["tmp"] / "przebieg2")
    for comment_id in wrong:
        assert second[comment_id]["label"] == GOLD[comment_id], comment_id
        assert second[comment_id]["needs_review"] == "false"
    wb = load_workbook(round_trip["tmp"] / "przebieg2" / "triage.xlsx")
    rows = {r[H_ID]: r for r in (dict(zip([c.value for c in wb[SHEET_COMMENTS][1]], [c.value for c in row]))
                                 for row in wb[SHEET_COMMENTS].iter_rows(min_row=2))}
    for comment_id, values in edits.items():
        assert rows[comment_id][H_DECISION] == resolve_decision(values[H_DECISION])
        assert rows[comment_id][H_ANSWER] == values.get(H_ANSWER)
    assert all(rows[i][H_LABEL_FIX] is None for i in wrong)  # applied, not asked for again


def test_round_trip_retrained_model_alone_learnt_the_corrections(round_trip: dict) -> None:
    wrong = round_trip["wrong"]
    alone = comments_csv(round_trip["tmp"] / "przebieg3")
    right_before = sum(round_trip["first"][i]["label"] == GOLD[i] for i in wrong)
    right_after = sum(alone[i]["label"] == GOLD[i] for i in wrong)
    assert right_before == 0 and right_after > right_before
    assert all(alone[i]["decision"] for i in wrong)  # decisions are carried even with the label override off


def test_round_trip_new_model_folder_keeps_provenance(round_trip: dict) -> None:
    new = round_trip["new"]
    log = [json.loads(line) for line in (new / "corrections.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {r["comment_id"] for r in log} == set(round_trip["edits"])
    assert all(r["workbook"] == "triage_poprawiony.xlsx" and r["sheet"] == SHEET_COMMENTS and r["row"] >= 2
               and r["date"] and len(r["workbook_sha256"]) == 64 for r in log)
    card = json.loads((new / "model.json").read_text(encoding="utf-8"))
    assert card["training_data"]["file"] == "training.jsonl"
    assert card["learned_from"]["counts"]["labels"] == len(round_trip["wrong"])
    summary = json.loads((new / "learn.json").read_text(encoding="utf-8"))
    assert set(summary["f1_out_of_fold"]) == set(TAXONOMY.ids)
    assert summary["folds"] == 5  # the same grouped folds as `uwagi crossval`


def test_round_trip_workbook_is_still_safe_and_complete(round_trip: dict) -> None:
    path = round_trip["tmp"] / "przebieg2" / "triage.xlsx"
    wb = load_workbook(path)
    assert wb.sheetnames == ["Podsumowanie", "Uwagi", "Kampanie", "Tematy", "Do weryfikacji", "Słownik celów",
                             "Informacje"]
    assert link_formulas(wb)  # the links to rows of "Uwagi" are the only formulas, of one fixed shape
    assert not [c.coordinate for row in wb[SHEET_COMMENTS].iter_rows() for c in row if c.data_type == "f"]
    assert sum(dv.type == "list" for dv in wb[SHEET_COMMENTS].data_validations.dataValidation) == 2
    with zipfile.ZipFile(path) as z:
        assert sum(n.startswith("xl/charts/chart") for n in z.namelist()) == 2


def test_learn_refuses_foreign_damaged_and_unchanged_workbooks(round_trip: dict, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture) -> None:
    foreign = tmp_path / "inny.xlsx"
    pd.DataFrame({"Nr": [1], "Treść uwagi": ["x"]}).to_excel(foreign, index=False, sheet_name="Uwagi")
    damaged = tmp_path / "uszkodzony.xlsx"
    damaged.write_bytes(round_trip["edited"].read_bytes()[:2000])
    for path, message in ((foreign, "to nie jest arkusz triage.xlsx"), (damaged, "uszkodzony"),
                          (round_trip["edited"], "nie zawiera nowych poprawek")):
        capsys.readouterr()
        code = main(["learn", str(path), "--model", str(round_trip["new"]), "--out", str(tmp_path / "m")])
        err = capsys.readouterr().err
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "m").exists()


def test_second_round_learns_from_the_model_its_workbook_was_made_with(round_trip: dict, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture) -> None:
    new = round_trip["new"]
    second = comments_csv(round_trip["tmp"] / "przebieg2")
    comment_id = sorted(i for i in second if i not in round_trip["edits"])[0]
    edited = edit(round_trip["tmp"] / "przebieg2" / "triage.xlsx", tmp_path / "runda2.xlsx",
                  {comment_id: {H_ANSWER: "Odpowiedź z drugiej rundy."}})
    capsys.readouterr()
    assert main(["learn", str(edited), "--out", str(tmp_path / "model3")]) == 0  # no --model
    out, err = capsys.readouterr()
    assert f"uczę od modelu, z którym powstał arkusz (arkusz „Informacje”): {new.resolve()}" in err
    card = json.loads((tmp_path / "model3" / "model.json").read_text(encoding="utf-8"))
    assert card["learned_from"]["base_model"] == str(new.resolve())
    advice = out.strip().splitlines()[-1]
    assert advice.startswith("Nowy model jest ") and "macro-F1 poza próbą na połączonych danych" in advice
    assert f"uwagi run --model {tmp_path / 'model3'}" in advice or f"uwagi run --model {new.resolve()}" in advice


def test_a_workbook_whose_model_is_gone_or_changed_says_so(round_trip: dict, tmp_path: Path) -> None:
    moved = tmp_path / "model"
    shutil.copytree(round_trip["new"], moved)
    wb = write_workbook(small_table(), tmp_path / "t.xlsx", {"model": {"path": str(moved), "sha256": "0" * 64}},
                        taxonomy=TAXONOMY)
    with pytest.raises(UserError, match="zmienił się od przygotowania arkusza"):
        recorded_model(wb)
    shutil.rmtree(moved)
    with pytest.raises(UserError, match="którego już nie ma"):
        recorded_model(wb)
    assert recorded_model(write_workbook(small_table(), tmp_path / "u.xlsx", {}, taxonomy=TAXONOMY)) is None


def test_advice_names_the_model_to_use() -> None:
    report = pd.DataFrame({"label": []})
    for old, new, verdict, model in ((0.60, 0.70, "lepszy", "nowy"), (0.70, 0.702, "tak samo dobry", "nowy"),
                                     (0.70, 0.60, "gorszy", "stary")):
        report.attrs.update(macro_old=old, macro_new=new)
        text = advice(report, Path("stary"), Path("nowy"))
        assert text.startswith(f"Nowy model jest {verdict} (") and f"uwagi run --model {model}" in text
