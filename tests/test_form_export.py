"""A consultation form's export as staff download it (issue 14): text parts, the provision column, duplicates
against a campaign, and the formats staff save it in."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from pipeline.cli import main
from pipeline.column_roles import detect_roles
from pipeline.config import Config, ExportConfig
from pipeline.errors import UserError
from pipeline.job import run_job
from pipeline.process import STAGES
from pipeline.readers import read_table
from tests import form_export


@pytest.fixture(scope="module")
def form_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    out = tmp_path_factory.mktemp("form") / "out"
    result = run_job([form_export.PATH], Config(export=ExportConfig(out_dir=out)))
    comments = pd.read_csv(out / "comments.csv", dtype=str, keep_default_na=False)
    clusters = pd.read_csv(out / "clusters.csv", dtype=str, keep_default_na=False)
    return comments, clusters, result.manifest


def test_the_committed_export_holds_the_generators_rows() -> None:
    ws = load_workbook(form_export.PATH).active
    values = [tuple("" if v is None else v for v in row) for row in ws.iter_rows(values_only=True)]
    assert values[0][0] == form_export.TITLE
    assert values[2] == form_export.HEADERS
    assert values[3:] == form_export.rows()


def test_a_form_export_gives_three_text_parts_with_no_flags(form_run) -> None:
    comments, _, manifest = form_run
    assert manifest["inputs"][0]["columns"]["text"] == {
        "Treść uwagi": "text_comment", "Proponowane brzmienie zapisu": "text_proposal",
        "Uzasadnienie": "text_justification"}
    for part in ("text_comment", "text_proposal", "text_justification"):
        assert comments[part].ne("").any(), part
    # The comment holding only a proposed wording is a proposal, not a justification.
    only = comments[comments["text"].str.startswith("Proponowane brzmienie zapisu:")].iloc[0]
    assert (only["text_comment"], only["text_justification"]) == ("", "")
    assert only["text_proposal"].startswith("W § 12 ust. 1 dodaje się pkt 4")
    assert only["priority"] == "1" and "bez propozycji" not in only["priority_reason"]
    # No header label is part of what the later stages read.
    assert not comments["text_clean"].str.contains("Treść uwagi:|Uzasadnienie:|Proponowane brzmienie zapisu:").any()


def test_the_provision_column_feeds_cited_provisions(form_run) -> None:
    comments, _, manifest = form_run
    assert manifest["inputs"][0]["columns"]["provision"] == "Część dokumentu (§)"
    row = comments[comments["Lp."] == "2"].iloc[0]  # "§ 7" in the column, no § in the text
    assert row["document_part"] == "§ 7" and row["cited_provisions"] == "§ 7"
    assert row["priority"] == "1"
    assert "Część dokumentu (§)" not in comments.columns  # taken, not passed through a second time


def test_one_campaign_and_the_duplicates_marked_as_duplicates(form_run) -> None:
    comments, clusters, _ = form_run
    assert sorted(clusters["kind"]) == ["duplikat"] * 4 + ["kampania"]
    assert clusters.loc[clusters["kind"] == "kampania", "size"].tolist() == ["8"]
    assert comments["status"].value_counts()[["kampania", "duplikat"]].tolist() == [7, 4]
    assert set(comments.loc[comments["status"] == "duplikat", "cluster_kind"]) == {"duplikat"}
    # The copy that adds only "Pozdrawiam," has nothing of its own, nor has its original.
    regranting = comments[comments["text_comment"].str.startswith("Dobrze, że program przewiduje regranting")]
    assert len(regranting) == 2 and regranting["added_text"].tolist() == ["", ""]


def test_the_columns_taken_are_printed_and_in_run_json(tmp_path: Path, capsys) -> None:
    assert main(["run", str(form_export.PATH), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert ("treść: „Treść uwagi”, „Proponowane brzmienie zapisu”, „Uzasadnienie”; identyfikator: brak; "
            "dane osobowe: „Imię i nazwisko”, „E-mail”; część dokumentu: „Część dokumentu (§)”") in err
    columns = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))["inputs"][0]["columns"]
    assert columns["personal"] == ["Imię i nazwisko", "E-mail"] and columns["id"] is None


def test_names_emails_dates_and_numbers_are_never_text() -> None:
    columns = {
        "Uwagi": ["Anna Nowak", "Piotr Wiśniewski", "Jan Kowalski"],  # a text header over a column of names
        "Opis": ["2023-10-02", "2023-10-03", "2023-10-04"],
        "Komentarz": ["Termin składania ofert jest zbyt krótki dla małych organizacji społecznych.",
                      "Brakuje zadań związanych z ochroną zieleni miejskiej w dzielnicach miasta.",
                      "Prosimy o zwiększenie puli środków na małe granty dla organizacji."],
    }
    assert detect_roles(columns).text == {"Komentarz": "text_comment"}


def test_without_a_text_header_sentence_like_columns_are_text() -> None:
    columns = {
        "Nr": ["1", "2", "3"], "Autor": ["Anna Nowak", "Piotr Wiśniewski", "Jan Kowalski"],
        "E-mail": ["a@example.pl", "b@example.pl", "c@example.pl"],
        "Stanowisko mieszkańca": [
            "Termin składania ofert jest zbyt krótki dla małych organizacji społecznych.",
            "Brakuje zadań związanych z ochroną zieleni miejskiej w dzielnicach miasta.",
            "Prosimy o zwiększenie puli środków na małe granty dla organizacji."],
    }
    roles = detect_roles(columns)
    assert roles.text == {"Stanowisko mieszkańca": "text_comment"}
    assert roles.text_by_content == ["Stanowisko mieszkańca"]


def test_an_ods_workbook_is_read_like_an_xlsx(tmp_path: Path) -> None:
    ods = tmp_path / "eksport.ods"
    frame = pd.DataFrame([list(r) for r in form_export.rows()[:3]], columns=list(form_export.HEADERS))
    with pd.ExcelWriter(ods, engine="odf") as writer:
        frame.to_excel(writer, index=False)
    table = read_table(ods)
    assert list(table.frame.columns) == list(form_export.HEADERS)
    assert table.frame["Lp."].tolist() == ["1", "2", "3"]
    assert table.frame["Treść uwagi"].iloc[0] == form_export.rows()[0][6]
    assert table.rows == [2, 3, 4]


@pytest.mark.parametrize("suffix", [".xls", ".xlsb", ".numbers"])
def test_an_unreadable_workbook_format_says_how_to_save_it(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"eksport{suffix}"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))
    with pytest.raises(UserError, match=r"nie jest obsługiwany; .*(zapisz|wyeksportuj) go jako \.xlsx|"
                                        r"nie jest obsługiwany; wyeksportuj plik jako \.xlsx") as err:
        read_table(path)
    assert "\n" not in str(err.value)


def test_only_the_comment_is_classified_never_its_column_headers(tmp_path: Path) -> None:
    """Issue 12 item 5: with three text columns a one-word "test" gets no confident goal, and no header word is
    evidence."""
    export = tmp_path / "formularz.csv"
    pd.DataFrame({"Treść uwagi": ["test", "Termin składania ofert w konkursach jest zbyt krótki dla organizacji."],
                  "Proponowane brzmienie zapisu": ["", "Oferty składa się w terminie 30 dni."],
                  "Uzasadnienie": ["", "Małe stowarzyszenia działają społecznie."]}).to_csv(export, index=False)
    df = run_job([export], Config(export=ExportConfig(out_dir=tmp_path / "out"))).comments
    one_word = df.iloc[0]
    assert one_word["text_clean"] == "test"
    assert one_word["confidence"] <= 0.5 and bool(one_word["needs_review"])
    headers = {"tresc", "treść", "uwaga", "uwagi", "proponowane", "brzmienie", "zapis", "uzasadnienie"}
    assert not headers & set(one_word["evidence"].replace(";", " ").split())
    assert not df["evidence"].str.contains("uzasadnienie|treść|brzmienie").any()


def test_the_workbook_tells_duplicates_from_campaigns_in_polish(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    run_job([form_export.PATH], Config(export=ExportConfig(out_dir=out)))
    wb = load_workbook(out / "triage.xlsx")
    kinds = [row[1] for row in wb["Kampanie"].iter_rows(min_row=2, values_only=True)]
    assert wb["Kampanie"]["B1"].value == "Rodzaj" and sorted(kinds) == ["duplikat"] * 4 + ["kampania"]
    summary = [c.value for r in wb["Podsumowanie"].iter_rows() for c in r if isinstance(c.value, str)]
    assert sum(v.startswith("K") and ":" in v for v in summary) == 1 and "duplikaty (4 grupy)" in summary
    info = [r[0] for r in wb["Informacje"].iter_rows(values_only=True)]
    assert "Czas etapu: przypisanie celów" in info and "Czas etapu: classify" not in info
    timed = {v.removeprefix("Czas etapu: ") for v in info if isinstance(v, str) and v.startswith("Czas etapu: ")}
    assert len(timed) >= len(STAGES) and not timed & {s.info.name for s in STAGES}  # every stage named in Polish
    with pytest.raises(SystemExit):
        main(["--help"])
    assert re.search(r"--version +pokaż wersję programu i zakończ", capsys.readouterr().out)


def test_a_category_column_whose_header_starts_like_a_text_header_is_not_text() -> None:
    columns = {"text": ["Prosimy o dłuższe konsultacje.", "Więcej środków na granty.", "Dobry program.", "Za mało."],
               "comment_type": ["propozycja", "propozycja", "poparcie", "propozycja"],
               "Uwagi ogólne": ["Brakuje zadań związanych z zielenią.", "", "Dziękujemy za program.", ""]}
    assert detect_roles(columns).text == {"text": "text_comment", "Uwagi ogólne": "text_comment"}


def test_a_header_that_only_starts_like_a_text_header_is_text_only_when_no_header_names_that_part() -> None:
    comments = ["Proszę o zwiększenie dotacji dla małych organizacji w dzielnicach.",
                "Wnioskuję o uproszczenie sprawozdań z realizacji zadań publicznych."]
    beside = detect_roles({"Treść uwagi": comments, "Uwagi ogólne": comments, "Uwagi urzędu": comments})
    assert list(beside.text) == ["Treść uwagi", "Uwagi ogólne"]  # the office's column stays a pass-through
    alone = detect_roles({"Lp.": ["1", "2"], "Treść uwagi do § 5": comments})
    assert alone.text == {"Treść uwagi do § 5": "text_comment"}
