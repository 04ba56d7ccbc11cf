"""Letters and forms on paper or in files (PDF, DOCX, ODT, TXT, scans) become comments like any other."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from rapidfuzz.distance import Levenshtein

from document_fixtures import (
    FORM_HEADER, FORM_ROWS, POLISH_LETTER, docx_form, docx_letter, form_pdf, odt_letter, require_tesseract, scan,
    scanned_pdf, text_pdf,
)
from pipeline import ocr
from pipeline.cli import main
from pipeline.config import IngestConfig
from pipeline.documents import read_document
from pipeline.ingest import ingest
from pipeline.points import split_points
from pipeline.triage import load_rules, triage_row


def _accuracy(expected: str, got: str) -> float:
    """Character accuracy: 1 - edit distance / length, over the text with whitespace normalised (OCR decides
    where a paragraph break falls, not what the words are)."""
    return Levenshtein.normalized_similarity(" ".join(expected.split()), " ".join(got.split()))


def _run(*args: str) -> int:
    return main(["run", *map(str, args)])


# --- text documents round-trip exactly ----------------------------------------------------------------------------

def test_docx_odt_and_text_pdf_round_trip_exactly(tmp_path: Path) -> None:
    paragraphs = ["Szanowni Państwo,", *POLISH_LETTER, "Z poważaniem – Zarząd „Stowarzyszenia Ąę”"]
    for path in (docx_letter(tmp_path / "pismo.docx", paragraphs), odt_letter(tmp_path / "pismo.odt", paragraphs),
                 text_pdf(tmp_path / "pismo.pdf", [paragraphs])):
        table = read_document(path)
        assert table.frame["Treść"].tolist() == ["\n".join(paragraphs)], path.suffix
        assert table.document.records["extraction"].tolist() == ["text"]
        assert table.errors == {}


def test_a_pdf_over_pages_is_one_comment_with_its_page_range(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "pismo.pdf", [POLISH_LETTER[:3], POLISH_LETTER[3:]])
    df, _ = ingest([path], IngestConfig())
    assert len(df) == 1
    row = df.iloc[0]
    assert (row["source_file"], row["source_row"], row["source_page"], row["extraction"]) == \
        ("pismo.pdf", 1, "1-2", "text")
    assert row["text"] == "\n".join(POLISH_LETTER[:3]) + "\n\n" + "\n".join(POLISH_LETTER[3:])
    assert pd.isna(row["ocr_confidence"])


@pytest.mark.parametrize("make", [docx_form, form_pdf], ids=["docx", "pdf"])
def test_the_form_table_gives_one_comment_per_row(tmp_path: Path, make) -> None:
    path = make(tmp_path / f"formularz{'.docx' if make is docx_form else '.pdf'}")
    df, _ = ingest([path], IngestConfig())
    assert len(df) == len(FORM_ROWS)
    assert df["source_row"].tolist() == [2, 3, 4]  # as a spreadsheet numbers them: header = 1
    assert df["Lp."].tolist() == ["1", "2", "3"] and df["document_part"].tolist() == [r[1] for r in FORM_ROWS]
    # The text columns are joined with their headers, as for a spreadsheet with the same columns.
    first = FORM_ROWS[0]
    assert df["text"][0] == (f"Treść uwagi: {first[2]}\n\nProponowane brzmienie: {first[3]}\n\n"
                             f"Uzasadnienie: {first[4]}")
    assert df["text"][2] == f"Treść uwagi: {FORM_ROWS[2][2]}\n\nUzasadnienie: {FORM_ROWS[2][4]}"
    assert set(df["extraction"]) == {"text"}


def test_a_spreadsheet_with_the_form_columns_reads_the_same_text(tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(FORM_HEADER)
    for row in FORM_ROWS:
        book.active.append(row)
    book.save(tmp_path / "formularz.xlsx")
    from_sheet, _ = ingest([tmp_path / "formularz.xlsx"], IngestConfig())
    from_docx, _ = ingest([docx_form(tmp_path / "formularz.docx")], IngestConfig())
    assert from_sheet["text"].tolist() == from_docx["text"].tolist()


def test_a_letter_with_numbered_points_is_split_only_when_asked(tmp_path: Path) -> None:
    letter = ("Szanowni Państwo,\nw imieniu Stowarzyszenia przesyłamy uwagi.\n"
              "Uwaga nr 1\nW 2023 roku brakuje świetlic.\nUwaga nr 2\nAd. tego: więcej pieniędzy.\n"
              "Ad. § 5\nSkrócić termin.\nJan Kowalski")
    path = tmp_path / "pismo.txt"
    path.write_text(letter, encoding="utf-8")
    whole, _ = ingest([path], IngestConfig())
    assert whole["text"].tolist() == [letter]
    points, _ = ingest([path], IngestConfig(split_points=True))
    assert [t.splitlines()[0] for t in points["text"]] == ["Szanowni Państwo,", "Uwaga nr 1", "Uwaga nr 2",
                                                          "Ad. § 5"]
    assert points["source_row"].tolist() == [1, 2, 3, 4]
    assert "".join(points["text"]).replace("\n", "") == letter.replace("\n", "")  # nothing lost
    assert split_points("1. Jedna uwaga.\n2023 r. to rok próby.") == []  # a year is not point 2


def test_a_txt_export_is_still_a_table_and_a_txt_letter_a_comment(tmp_path: Path) -> None:
    table = tmp_path / "eksport.txt"
    table.write_text("Lp\tTreść uwagi\n1\tPierwsza\n2\tDruga\n", encoding="utf-16")
    letter = tmp_path / "pismo.txt"
    letter.write_text("Uwagi do projektu uchwały\nProsimy o dłuższy nabór.\nAnna", encoding="utf-8")
    df, _ = ingest([table, letter], IngestConfig())
    assert df["text"].tolist() == ["Pierwsza", "Druga", letter.read_text(encoding="utf-8")]
    assert df["extraction"].tolist() == ["", "", "text"]


def _rtf(text: str) -> bytes:
    """RTF as Polish Word writes it: code page 1250, letters outside ASCII as \\'hh escapes."""
    body = "".join(c if ord(c) < 128 else "\\'" + c.encode("cp1250").hex() for c in text).replace("\n", "\\par\n")
    return ("{\\rtf1\\ansi\\ansicpg1250\\deff0{\\fonttbl{\\f0 Arial;}}\\f0\\fs24 " + body + "}").encode("ascii")


def test_an_rtf_letter_from_polish_word_keeps_its_polish_letters(tmp_path: Path) -> None:
    text = "\n".join(["Szanowni Państwo,", *POLISH_LETTER])
    path = tmp_path / "pismo.rtf"
    path.write_bytes(_rtf(text))
    table = read_document(path)
    assert " ".join(table.frame["Treść"][0].split()) == " ".join(text.split())
    assert table.document.records["extraction"].tolist() == ["text"] and table.errors == {}

# --- OCR -----------------------------------------------------------------------------------------------------------

def test_ocr_reads_a_noisy_rotated_200_dpi_scan_of_polish_text(tmp_path: Path) -> None:
    require_tesseract()
    page = scan(POLISH_LETTER, angle=1.5)
    page.save(tmp_path / "skan.png", dpi=(200, 200))
    table = read_document(tmp_path / "skan.png")
    text = table.frame["Treść"][0]
    assert _accuracy("\n".join(POLISH_LETTER), text) >= 0.97, text
    assert table.document.records["extraction"].tolist() == ["ocr"]
    assert 0.85 <= table.document.records["ocr_confidence"][0] <= 1


def test_ocr_reads_a_scanned_pdf_page_by_page_with_a_confidence_each(tmp_path: Path) -> None:
    require_tesseract()
    first, second = POLISH_LETTER[:3], POLISH_LETTER[3:]
    path = scanned_pdf(tmp_path / "skan.pdf", [scan(first, angle=-1.2, seed=1), scan(second, angle=0.8, seed=2)])
    table = read_document(path)
    assert _accuracy("\n".join(POLISH_LETTER), table.frame["Treść"][0]) >= 0.97, table.frame["Treść"][0]
    pages = table.document.pages
    assert [p.number for p in pages] == [1, 2] and {p.extraction for p in pages} == {"ocr"}
    assert all(0.85 <= p.ocr_confidence <= 1 for p in pages)
    assert table.document.records["source_page"].tolist() == ["1-2"]
    assert table.document.records["ocr_confidence"][0] == min(p.ocr_confidence for p in pages)


def test_a_multipage_tiff_scan_is_one_comment_read_page_by_page(tmp_path: Path) -> None:
    require_tesseract()
    first, second = POLISH_LETTER[:3], POLISH_LETTER[3:]
    pages = [scan(first, angle=0.6, seed=3), scan(second, angle=-0.7, seed=4)]
    path = tmp_path / "skan.tif"
    pages[0].save(path, save_all=True, append_images=pages[1:], dpi=(200, 200), compression="tiff_deflate")
    table = read_document(path)
    assert _accuracy("\n".join(POLISH_LETTER), table.frame["Treść"][0]) >= 0.97, table.frame["Treść"][0]
    assert [p.number for p in table.document.pages] == [1, 2]
    assert table.document.records["source_page"].tolist() == ["1-2"]

def test_deskew_finds_the_angle_a_page_was_turned_by() -> None:
    for angle in (-2.5, 0.0, 1.5):
        assert ocr.estimate_skew(scan(POLISH_LETTER, angle=angle)) == pytest.approx(-angle, abs=0.25)


def test_low_ocr_confidence_sets_needs_review_with_the_reason() -> None:
    rules = load_rules()
    row = {"text_clean": "Prosimy o dłuższy nabór wniosków.", "status": "do analizy", "error": "", "lang": "pl",
           "cluster_role": "unikalna", "cluster_size": 1, "label": "finansowanie", "needs_review": False,
           "source_file": "skan.pdf", "source_page": "2", "extraction": "ocr", "ocr_confidence": 0.61}
    out = triage_row(row, rules)
    assert out["status"] == "do weryfikacji"
    assert "niską pewnością OCR (61%)" in out["status_reason"] and "skan.pdf, s. 2" in out["status_reason"]
    assert triage_row(row | {"ocr_confidence": 0.93}, rules)["status"] == "do analizy"


# --- a folder with a mix, and a machine without Tesseract --------------------------------------------------------

SIGNATURE = "Jan Kowalski, ul. Długa 15, 80-831 Gdańsk"


@pytest.fixture()
def mixed_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "uwagi"
    (folder / "pisma").mkdir(parents=True)
    book = Workbook()
    book.active.append(["Nr zgłoszenia", "Treść uwagi", "E-mail"])
    for i in range(1, 4):
        book.active.append([f"F-{i}", f"Uwaga z formularza internetowego numer {i} o świetlicach.", f"a{i}@x.pl"])
    book.save(folder / "eksport.xlsx")
    text_pdf(folder / "pisma" / "stowarzyszenie.pdf", [POLISH_LETTER])
    text_pdf(folder / "pisma" / "fundacja.pdf", [["Fundacja popiera projekt programu w całości."]])
    scan(["Prosimy o wydłużenie naboru wniosków do 30 dni.", "Z poważaniem", SIGNATURE],
         angle=1.0).save(folder / "pisma" / "skan.png", dpi=(200, 200))
    (folder / "pisma" / "zepsuty.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<")
    docx_letter(folder / "pusty.docx", [])
    return folder


def test_a_folder_with_a_mix_accounts_for_every_row_and_file(tmp_path: Path, mixed_folder: Path, capsys) -> None:
    require_tesseract()
    out = tmp_path / "out"
    assert _run(mixed_folder, "--id-col", "Nr zgłoszenia", "--out", out) == 0
    df = pd.read_csv(out / "comments.csv", dtype=str, keep_default_na=False)
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["read"] == manifest["counts"]["written"] == len(df) == 3 + 2 + 1 + 1 + 1
    assert manifest["counts"]["skipped_files"] == 0 and manifest["skipped"] == []
    assert sorted(Path(i["path"]).name for i in manifest["inputs"]) == sorted(
        ["eksport.xlsx", "stowarzyszenie.pdf", "fundacja.pdf", "skan.png", "zepsuty.pdf", "pusty.docx"])
    by_file = df.set_index("source_file")
    assert df.loc[df["source_file"] == "eksport.xlsx", "comment_id"].tolist() == ["F-1", "F-2", "F-3"]
    assert by_file.loc["zepsuty.pdf", "status"] == "błąd"
    assert by_file.loc["zepsuty.pdf", "error"] == "uszkodzony plik PDF: nie da się go otworzyć"
    assert by_file.loc["pusty.docx", "status"] == "pusta"
    assert (by_file.loc["skan.png", "extraction"], by_file.loc["stowarzyszenie.pdf", "extraction"]) == ("ocr", "text")
    assert float(by_file.loc["skan.png", "ocr_confidence"]) > 0.85
    # Personal data on paper is redacted like any other text: the scanned signature line is found.
    clean = by_file.loc["skan.png", "text_clean"]
    assert "Kowalski" in by_file.loc["skan.png", "text"]
    assert "Kowalski" not in clean and "Długa" not in clean and "[OSOBA]" in clean and "[ADRES]" in clean
    research = pd.read_csv(out / "research.csv", dtype=str, keep_default_na=False)
    assert not research["text_clean"].str.contains("Kowalski").any()
    # The workbook says which comments came from paper, and where.
    sheet = load_workbook(out / "triage.xlsx", read_only=True)["Uwagi"]
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index("Z pisma / skanu")
    marks = {row[column] for row in rows[1:]}
    assert any(m and m.startswith("skan.png, s. 1 – OCR, pewność") for m in marks)
    assert "stowarzyszenie.pdf, s. 1" in marks and None in marks  # the export's rows carry no mark


def test_without_tesseract_scans_are_skipped_by_name_and_the_rest_processed(
    tmp_path: Path, mixed_folder: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    ocr.check_available.cache_clear()
    try:
        assert _run(mixed_folder, "--out", tmp_path / "out") == 0
        err = capsys.readouterr().err.splitlines()
        skipped = [line for line in err if "pominięto" in line and "skan.png" in line]
        assert len(skipped) == 1 and "tesseract-ocr" in skipped[0]
        manifest = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
        assert manifest["counts"]["skipped_files"] == 1
        assert [Path(s["path"]).name for s in manifest["skipped"]] == ["skan.png"]
        assert manifest["counts"]["written"] == 3 + 2 + 1 + 1
        assert _run(mixed_folder, "--strict", "--out", tmp_path / "strict") == 2
        assert "tesseract-ocr" in capsys.readouterr().err
        assert not (tmp_path / "strict" / "run.json").exists()
    finally:
        ocr.check_available.cache_clear()


def test_files_a_folder_cannot_use_are_listed_with_the_reason(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    docx_letter(folder / "pismo.docx", ["Prosimy o więcej świetlic."])
    (folder / "stary.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    (folder / "~$pismo.docx").write_bytes(b"lock")
    (folder / "zdjecie.heic").write_bytes(b"x")
    assert _run(folder, "--out", tmp_path / "out") == 0
    manifest = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    reasons = {Path(s["path"]).name: s["reason"] for s in manifest["skipped"]}
    assert set(reasons) == {"stary.doc", "~$pismo.docx", "zdjecie.heic"}
    assert ".docx" in reasons["stary.doc"] and "blokady" in reasons["~$pismo.docx"]
    assert manifest["counts"]["skipped_files"] == 3 and manifest["counts"]["written"] == 1
    assert sum("pominięto" in line for line in capsys.readouterr().err.splitlines()) == 3
