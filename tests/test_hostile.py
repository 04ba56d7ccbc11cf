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


# --- 3. a model folder never runs code -------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = ROOT / "models" / "gdansk_ngo_2023"


class Payload:
    """What a hostile model file would rebuild: restoring its state writes a file."""

    def __init__(self, marker: str):
        self.marker = marker

    def __setstate__(self, state: dict) -> None:
        Path(state["marker"]).write_text("kod z pliku modelu został uruchomiony")
        self.__dict__.update(state)


def _with_card(folder: Path, model_file: str, fmt: int) -> None:
    import json

    from pipeline.hashing import file_sha256

    card = json.loads((DEFAULT_MODEL / "model.json").read_text(encoding="utf-8"))
    card.update(format=fmt, model_file=model_file, model_sha256=file_sha256(folder / model_file))
    (folder / "model.json").write_text(json.dumps(card), encoding="utf-8")


@pytest.fixture()
def comments_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "uwagi.csv", ["Treść uwagi"], [["Więcej środków na małe granty."]])


def test_a_model_naming_an_untrusted_type_is_refused_without_running_it(tmp_path: Path, comments_csv: Path,
                                                                       capsys: pytest.CaptureFixture) -> None:
    import skops.io as sio

    from pipeline.models import load_model

    marker = tmp_path / "uruchomiono.txt"
    model, _ = load_model(DEFAULT_MODEL)
    model.extra_ = Payload(str(marker))
    folder = tmp_path / "model"
    folder.mkdir()
    sio.dump(model, folder / "model.skops")
    _with_card(folder, "model.skops", 2)  # the hash matches: integrity is not trust
    assert run(str(comments_csv), "--out", str(tmp_path / "o"), "--model", str(folder)) == 2
    assert "test_hostile.Payload" in capsys.readouterr().err
    assert not marker.exists()


def test_an_old_pickled_model_is_refused_until_converted(tmp_path: Path, comments_csv: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    import joblib

    from pipeline.models import load_model

    model, _ = load_model(DEFAULT_MODEL)
    model.type_model_.words_.analyzer = str.split  # as models before skops were saved
    folder = tmp_path / "model"
    folder.mkdir()
    joblib.dump(model, folder / "model.joblib")
    _with_card(folder, "model.joblib", 1)
    assert run(str(comments_csv), "--out", str(tmp_path / "o"), "--model", str(folder)) == 2
    assert "uwagi convert-model" in capsys.readouterr().err

    assert main(["convert-model", str(folder)]) == 2  # no terminal to ask, no --yes: nothing is trusted
    assert (folder / "model.joblib").exists()
    assert main(["convert-model", str(folder), "--yes"]) == 0
    assert "pickle" in capsys.readouterr().err  # the notice says what is trusted
    assert sorted(p.name for p in folder.iterdir()) == ["model.json", "model.skops"]
    assert run(str(comments_csv), "--out", str(tmp_path / "o"), "--model", str(folder)) == 0
    assert read_rows(tmp_path / "o" / "comments.csv")[0]["label"] == \
        read_rows(_default_run(tmp_path, comments_csv) / "comments.csv")[0]["label"]


def _default_run(tmp_path: Path, source: Path) -> Path:
    out = tmp_path / "domyslny"
    assert run(str(source), "--out", str(out)) == 0
    return out
