"""`uwagi run` end to end: the output folder's contract, exit codes and formula safety."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
from openpyxl import load_workbook

from pipeline.cli import main
from tests.workbook_checks import link_formulas

ROOT = Path(__file__).resolve().parents[1]
INJECTIONS = ["=HYPERLINK(\"http://x\",\"klik\")", "+48 501 234 567 to mój numer", "-1+2", "@SUM(A1)"]


@pytest.fixture()
def export_csv(tmp_path: Path) -> Path:
    path = tmp_path / "formularz.csv"
    rows = [["Lp.", "Treść uwagi", "status"]]
    rows += [[str(i), t, "nowa"] for i, t in enumerate(
        ["Proponujemy zwiększenie puli na małe granty.", "", *INJECTIONS, "WspĂłĹ‚praca z NGO", "Popieram."], 1)]
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=";").writerows(rows)
    path.write_bytes(buf.getvalue().encode("cp1250", errors="replace"))
    return path


def run(*args: str) -> int:
    return main(["run", *args])


def test_run_writes_the_documented_folder(tmp_path: Path, export_csv: Path) -> None:
    out = tmp_path / "wynik"
    assert run(str(export_csv), "--out", str(out), "--id-col", "Lp.") == 0
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == sorted(
        json.loads((out / "run.json").read_text())["outputs"]
    )
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]

    raw = (out / "comments.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert [r["comment_id"] for r in rows] == [str(i) for i in range(1, 9)]
    assert [r["source_row"] for r in rows] == [str(i) for i in range(2, 10)]
    assert rows[1]["status"] == "pusta" and rows[0]["status"] != "pusta"
    assert rows[0]["in_status"] == "nowa"  # an input column named like an output column is kept, prefixed
    # Mojibake saved in cp1250 is UTF-8 bytes: that line is decoded as UTF-8, the rest of the file as cp1250.
    assert rows[6]["text"] == rows[6]["text_clean"] == "Współpraca z NGO"
    for col in ("comment_id", "source_file", "source_row", "text", "text_clean", "lang", "status", "error"):
        assert col in rows[0]

    manifest = json.loads((out / "run.json").read_text())
    schema = json.loads((ROOT / "docs" / "run.schema.json").read_text())
    jsonschema.validate(manifest, schema)
    assert manifest["counts"]["read"] == manifest["counts"]["written"] == 8
    assert manifest["counts"]["empty"] == 1
    assert manifest["inputs"][0]["encoding"] == "utf-8+cp1250"


def test_workbook_cells_are_text_never_formulas(tmp_path: Path, export_csv: Path) -> None:
    out = tmp_path / "wynik"
    assert run(str(export_csv), "--out", str(out)) == 0
    wb = load_workbook(out / "triage.xlsx")
    assert "Informacje" in wb.sheetnames
    link_formulas(wb)  # the only formulas are the links to rows of "Uwagi", of one fixed shape
    sheet = wb["Uwagi"]
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    values = {c.value for row in sheet.iter_rows(min_row=2) for c in row}
    for text in INJECTIONS:
        assert text in values
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref


@pytest.mark.parametrize(
    ("args", "stderr_part"),
    [
        (["run", "brak.csv", "--out", "{tmp}/o"], "brak.csv: plik nie istnieje"),
        (["run", "{csv}", "--out", "{tmp}/o", "--text-col", "Nie ma"], "kolumna 'Nie ma'"),
        (["run", "{csv}", "--out", "{tmp}/o", "--id-col", "ID"], "kolumna 'ID'"),
        (["run", "{csv}"], "brak wymaganych argumentów: --out"),
        (["nieznane"], "niedozwolona wartość 'nieznane'"),
        (["run", "{csv}", "--out", "{tmp}/o", "--bogus"], "nieznane argumenty: --bogus"),
        (["run", "{csv}", "--out", "{tmp}/o", "--encoding", "klingon"], "nieznane kodowanie"),
        (["run", "{csv}", "--out", "{tmp}/o", "--sheet", "Arkusz1"], "żaden plik wejściowy"),
        (["run", "{csv}", "--out", "{csv}"], "to jest plik"),
        (["run", "{csv}", "--out", "{tmp}/o", "--rules", "{tmp}/r.toml"], "off_topic.labels: nieznany cel 'nieistniejacy'"),
        (["run", "{csv}", "--out", ""], "--out: pusta ścieżka"),
        (["run", "{csv}", "--out", "{csv}/o"], "jest plikiem"),
        (["train", "{csv}", "--taxonomy", "data/taxonomies/gdansk_ngo_2023.toml", "--out", "{csv}/m"], "jest plikiem"),
        (["learn", "x.xlsx", "--out", "{csv}"], "to jest plik"),
    ],
)
def test_input_and_usage_errors_exit_2_with_one_line(
    tmp_path: Path, export_csv: Path, capsys, args: list[str], stderr_part: str
) -> None:
    (tmp_path / "r.toml").write_text('[off_topic]\nlabels = ["nieistniejacy"]\n', encoding="utf-8")
    argv = [a.format(tmp=tmp_path, csv=export_csv) for a in args]
    code = exit_code(argv)
    err = capsys.readouterr().err
    assert code == 2
    assert stderr_part in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "o").exists()  # a failed run leaves no output folder behind


def exit_code(argv: list[str]) -> int:
    """main() returns the code; argparse usage errors leave through SystemExit with the same code."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code)


def test_python_dash_m_and_exit_code_in_a_real_process(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", str(tmp_path / "x.csv"), "--out", str(tmp_path / "o")],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith("plik nie istnieje")
    help_text = subprocess.run([sys.executable, "-m", "pipeline", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert help_text.returncode == 0 and "uwagi run INPUT [INPUT ...] --out DIR" in help_text.stdout


def test_same_input_same_ids(tmp_path: Path, export_csv: Path) -> None:
    assert run(str(export_csv), "--out", str(tmp_path / "a")) == 0
    assert run(str(export_csv), "--out", str(tmp_path / "b")) == 0
    ids = [
        [r["comment_id"] for r in csv.DictReader((tmp_path / d / "comments.csv").open(encoding="utf-8"))]
        for d in "ab"
    ]
    assert ids[0] == ids[1] and len(set(ids[0])) == len(ids[0])


def test_a_rerun_never_overwrites_a_workbook_staff_edited(tmp_path: Path, export_csv: Path, capsys) -> None:
    out = tmp_path / "runda1"
    assert run(str(export_csv), "--out", str(out)) == 0
    assert run(str(export_csv), "--out", str(out)) == 0  # an unchanged workbook is simply replaced
    load_workbook(out / "triage.xlsx").save(out / "triage.xlsx")  # opened and saved, no staff entry: nothing to keep
    assert run(str(export_csv), "--out", str(out)) == 0
    assert sorted(p.name for p in out.glob("triage*.xlsx")) == ["triage.xlsx"]
    wb = load_workbook(out / "triage.xlsx")
    sheet = wb["Uwagi"]
    answer_col = next(c.column for c in sheet[1] if c.value == "Odpowiedź")
    sheet.cell(row=2, column=answer_col, value="Dziękujemy, uwzględnimy.")
    wb.save(out / "triage.xlsx")
    capsys.readouterr()
    assert run(str(export_csv), "--out", str(out)) == 0
    kept = json.loads((out / "run.json").read_text())["kept_workbook"]
    assert kept.startswith("triage.edytowany-") and kept in capsys.readouterr().err
    values = {c.value for row in load_workbook(out / kept)["Uwagi"].iter_rows() for c in row}
    assert "Dziękujemy, uwzględnimy." in values and (out / "triage.xlsx").exists()


def test_workbook_shows_the_inputs_own_columns(tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    path.write_text("Nr zgłoszenia;Treść uwagi;Imię i nazwisko;Status\nK-7;Więcej grantów dla organizacji.;Jan Kowalski;"
                    "nowa\n", encoding="utf-8")
    for flags, personal_shown in (([], True), (["--no-original-text"], False)):
        out = tmp_path / f"o{len(flags)}"
        assert run(str(path), "--out", str(out), "--submitter-col", "Imię i nazwisko", *flags) == 0
        wb = load_workbook(out / "triage.xlsx")
        header = [c.value for c in wb["Uwagi"][1]]
        row = dict(zip(header, [c.value for c in wb["Uwagi"][2]]))
        assert row["Nr zgłoszenia"] == "K-7" and row["Status (z pliku)"] == "nowa"  # not taken for our "Status"
        assert ("Imię i nazwisko" in header) == personal_shown
        summary = {c.value for r in wb["Podsumowanie"].iter_rows() for c in r}
        assert ("Jan Kowalski" in summary) == personal_shown


def _documented(section: str) -> set[str]:
    """Backticked names in the first column of the tables under `## section` of the data dictionary."""
    text = (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return {m for line in body.splitlines() if line.startswith("| `") for m in [line.split("`")[1].removesuffix("[]")]}


def test_every_output_column_is_in_the_data_dictionary(tmp_path: Path, export_csv: Path) -> None:
    out = tmp_path / "wynik"
    assert run(str(export_csv), "--out", str(out), "--id-col", "Lp.") == 0
    with (out / "comments.csv").open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    passthrough = {"Lp.", "in_status"}
    assert set(header) - passthrough <= _documented("comments.csv")
    with (out / "clusters.csv").open(encoding="utf-8", newline="") as fh:
        assert set(next(csv.reader(fh))) == _documented("clusters.csv")
    manifest = json.loads((out / "run.json").read_text())
    assert set(manifest) <= _documented("run.json")


def test_research_export_holds_no_original_text_personal_columns_or_answers(tmp_path: Path) -> None:
    path = tmp_path / "formularz.csv"
    path.write_text(
        "Imię i nazwisko;E-mail;Treść uwagi;Dzielnica\n"
        "Anna Kowalska;anna.kowalska@example.pl;Proszę o kontakt: anna.kowalska@example.pl, tel. 501 234 567. "
        "Proponujemy zwiększenie puli na małe granty.;Wrzeszcz\n",
        encoding="utf-8",
    )
    out = tmp_path / "wynik"
    assert run(str(path), "--out", str(out), "--pii-col", "Dzielnica") == 0
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["pii_columns"] == ["Imię i nazwisko", "E-mail", "Dzielnica"]
    for name in ("research.csv", "research.parquet"):
        table = pd.read_parquet(out / name) if name.endswith(".parquet") else pd.read_csv(out / name, dtype=str)
        assert not {"text", "answer", "decision", "Imię i nazwisko", "E-mail", "Dzielnica"} & set(table.columns)
        flat = table.astype(str).to_csv()
        assert "Kowalska" not in flat and "anna.kowalska" not in flat and "501 234 567" not in flat
        assert "[EMAIL]" in table.loc[0, "text_clean"]
    staff = pd.read_csv(out / "comments.csv", dtype=str)
    assert staff.loc[0, "Imię i nazwisko"] == "Anna Kowalska"  # the staff table keeps everything


def test_research_export_is_free_of_personal_ids_and_unreadable_lines(tmp_path: Path) -> None:
    path = tmp_path / "formularz.csv"
    path.write_text(
        "E-mail;Treść uwagi;Adres zamieszkania\n"
        "zofia@example.com;Więcej środków na wolontariat.;Lipowa 7 m. 3\n"
        "jan@example.com;Więcej środków na wolontariat.;Klonowa 2\n"
        "ewa@example.com;Uwaga ze średnikiem; bez cudzysłowu.;Dębowa 9\n",  # cannot be split: one błąd record
        encoding="utf-8",
    )
    out = tmp_path / "wynik"
    assert run(str(path), "--out", str(out), "--id-col", "E-mail", "--pii-col", "Treść uwagi") == 0
    assert json.loads((out / "run.json").read_text())["pii_columns"] == ["E-mail", "Adres zamieszkania"]
    staff = pd.read_csv(out / "comments.csv", dtype=str, keep_default_na=False)
    assert staff["E-mail"].tolist()[:2] == ["zofia@example.com", "jan@example.com"]  # staff keep it, not as the id
    research = pd.read_csv(out / "research.csv", dtype=str, keep_default_na=False)
    flat = research.to_csv()
    assert "@example.com" not in flat and "Lipowa" not in flat and "Dębowa" not in flat
    assert research["status"].tolist()[2] == "błąd" and research["text_clean"].tolist()[2] == ""
    assert research["comment_id"].tolist() == staff["comment_id"].tolist()
