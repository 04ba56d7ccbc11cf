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


# --- 4, 5. bounded reading; every input problem is exit 2 with one line ------------------------------------------

from pipeline.errors import UserError  # noqa: E402
from pipeline.readers import read_table  # noqa: E402


def test_a_letter_longer_than_csvs_default_cell_limit_is_read(tmp_path: Path) -> None:
    letter = "Długi list mieszkańca. " * 9_000  # ~200 KB, over csv's default 131,072
    table = read_table(write_csv(tmp_path / "list.csv", ["Lp.", "Treść uwagi"], [["1", letter], ["2", "Krótka."]]))
    assert table.frame["Treść uwagi"].tolist() == [letter, "Krótka."]


@pytest.mark.parametrize("line_end", [b"\r", b"\r\n", b"\n"])
def test_cr_only_and_mixed_line_ends_are_read(tmp_path: Path, line_end: bytes) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes(line_end.join([b"Lp.;Tre\xc5\x9b\xc4\x87 uwagi", b"1;Pierwsza", b'2;"Druga\rlinia"',
                                    b"3;Trzecia\r\n4;Czwarta", b""]))
    table = read_table(path)
    assert table.frame["Lp."].tolist() == ["1", "2", "3", "4"]
    assert table.frame["Treść uwagi"].tolist()[1] == "Druga\rlinia"


def test_a_150_kb_letter_in_a_cr_only_file_runs(tmp_path: Path) -> None:
    letter = "List mieszkańca wklejony do formularza. " * 3_900  # ~150 KB
    path = tmp_path / "mac.csv"
    path.write_bytes("\r".join(["Lp.;Treść uwagi", f"1;{letter}", "2;Krótka.", ""]).encode("utf-8"))
    assert run(str(path), "--out", str(tmp_path / "o")) == 0
    assert [r["text"] for r in read_rows(tmp_path / "o" / "comments.csv")] == [letter, "Krótka."]


def test_unreadable_and_looping_paths_are_named(tmp_path: Path) -> None:
    loop = tmp_path / "petla.csv"
    loop.symlink_to(loop)
    with pytest.raises(UserError, match="pętlę"):
        read_table(loop)
    dangling = tmp_path / "zerwane.csv"
    dangling.symlink_to(tmp_path / "brak.csv")
    with pytest.raises(UserError, match="nieistniejący"):
        read_table(dangling)


def test_permission_error_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_csv(tmp_path / "tajne.csv", ["Treść uwagi"], [["Uwaga."]])

    def refuse(self: Path) -> bytes:  # root reads any file, so chmod alone cannot show it here
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(UserError, match="brak uprawnień do odczytu"):
        read_table(path)


def test_a_comment_of_several_mb_in_json_lines_is_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from pipeline import readers
    from pipeline.export.xlsx import EXCEL_CELL_LIMIT

    letter = ("Szanowni Państwo, w § 5 ust. 2 pkt 3 proszę o zmianę. Kontakt: jan.kowalski@example.com, tel. "
              "501 234 567. Z poważaniem\nJan Kowalski\n") * 24_000  # ~3 MB, thousands of findings to redact
    source = tmp_path / "list.jsonl"
    source.write_text(json.dumps({"tresc": letter}, ensure_ascii=False) + "\n" + '{"tresc": "Krótka."}\n',
                      encoding="utf-8")
    out = tmp_path / "o"
    assert run(str(source), "--out", str(out)) == 0  # spaCy's 1M-character guard once made this exit 1
    rows = read_rows(out / "comments.csv")
    assert [r["text"] for r in rows] == [letter, "Krótka."]
    assert "jan.kowalski" not in (out / "research.csv").read_text(encoding="utf-8")
    ws = load_workbook(out / "triage.xlsx")["Uwagi"]
    cell = max((c.value for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str)), key=len)
    assert len(cell) <= EXCEL_CELL_LIMIT and cell.startswith(letter[:1000]) and "comments.csv" in cell[-60:]

    monkeypatch.setattr(readers, "FIELD_LIMIT", len(letter) - 1)  # past the cell limit: refused, as in a CSV
    assert run(str(source), "--out", str(tmp_path / "o2")) == 2


def _bomb(path: Path, unpacked: int) -> Path:
    """A valid workbook whose sheet unpacks to `unpacked` bytes of padding (compressed a thousandfold)."""
    import time
    import zipfile

    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["Treść uwagi"])
    wb.active.append(["Uwaga."])
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    pad = unpacked - len(sheet)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in parts.items():
            if name != "xl/worksheets/sheet1.xml":
                z.writestr(name, content)
        with z.open(zipfile.ZipInfo("xl/worksheets/sheet1.xml", time.localtime()[:6]), "w",
                    force_zip64=True) as fh:
            head, _, rest = sheet.partition(b"<sheetData>")
            fh.write(head + b"<sheetData>")
            block = b" " * (1 << 20)
            for _ in range(pad // len(block)):
                fh.write(block)
            fh.write(rest)
    return path


def test_a_decompression_bomb_is_refused_in_seconds(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import time

    from pipeline.config import Config, IngestConfig
    from pipeline.inputs import read_input

    bomb = _bomb(tmp_path / "bomba.xlsx", 64 << 20)
    with pytest.raises(UserError, match="po rozpakowaniu"):
        read_input(bomb, IngestConfig(max_unpacked_bytes=32 << 20))
    assert len(read_input(bomb, Config().ingest).frame) == 1  # under the default limit it is an ordinary workbook
    start = time.monotonic()
    assert run(str(bomb), "--out", str(tmp_path / "o")) == 0
    assert time.monotonic() - start < 60


# --- 7. a NUL byte is shown and its record marked ---------------------------------------------------------------

def test_a_nul_byte_is_shown_and_its_row_marked(tmp_path: Path) -> None:
    source = tmp_path / "nul.csv"
    source.write_bytes("Lp.;Treść uwagi;Adres\n1;Kwota 1\x000 000 zł to za mało.;Gdańsk\n2;Bez usterek.;Sopot\n"
                       .encode("utf-8"))
    out = tmp_path / "o"
    assert run(str(source), "--out", str(out)) == 0
    damaged, intact = read_rows(out / "comments.csv")
    assert damaged["text"] == "Kwota 1\u24000 000 zł to za mało."  # no digit silently joined to the next
    assert damaged["status"] == "błąd" and "NUL" in damaged["error"] and "'Treść uwagi'" in damaged["error"]
    assert intact["status"] != "błąd" and intact["error"] == ""
    ws = load_workbook(out / "triage.xlsx")["Uwagi"]
    assert any(c.value == damaged["text"] for row in ws.iter_rows(min_row=2) for c in row)


def test_a_nul_escaped_in_json_lines_is_shown_too(tmp_path: Path) -> None:
    source = tmp_path / "nul.jsonl"
    source.write_text('{"tresc": "a\\u0000b", "nr": "x\\u0000"}\n{"tresc": "cała"}\n', encoding="utf-8")
    table = read_table(source)
    assert table.frame["tresc"].tolist() == ["a\u2400b", "cała"]
    assert list(table.errors) == [0] and "'tresc'" in table.errors[0]


# --- 7. wide files: linear in the columns -------------------------------------------------------------------------

def _column_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, width: int) -> int:
    """How often a run assigns or inserts a DataFrame column, on an export `width` columns wide."""
    import pandas as pd

    source = write_csv(tmp_path / f"szeroki_{width}.csv", ["Lp.", "Treść uwagi", *[f"Pole {i}" for i in range(width)]],
                       [[str(r), f"Uwaga {r} do projektu.", *[f"w{r}k{i}" for i in range(width)]] for r in (1, 2, 3)])
    writes = 0

    def counted(method):  # noqa: ANN001, ANN202
        def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            nonlocal writes
            writes += 1
            return method(*args, **kwargs)
        return wrapper

    with monkeypatch.context() as patch:
        patch.setattr(pd.DataFrame, "__setitem__", counted(pd.DataFrame.__setitem__))
        patch.setattr(pd.DataFrame, "insert", counted(pd.DataFrame.insert))
        assert run(str(source), "--out", str(tmp_path / f"o{width}")) == 0
    assert len(read_rows(tmp_path / f"o{width}" / "comments.csv")[0]) >= width  # every column came through
    return writes


def test_no_stage_builds_a_table_column_by_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each column assigned to a DataFrame copies the ones before it: 10,000 columns took minutes. Counted, not
    # timed: a run does as many column writes on a file 4 times as wide.
    assert _column_writes(tmp_path, monkeypatch, 200) == _column_writes(tmp_path, monkeypatch, 50)


# --- the property: hostile strings through `run` -------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PESEL = "44051401359"
_PESEL_WRITTEN = [f"PESEL: {_PESEL[:2]} {_PESEL[2:4]} {_PESEL[4:6]} {_PESEL[6:8]} {_PESEL[8:]}",
                  f"PESEL {_PESEL[:2]}-{_PESEL[2:4]}-{_PESEL[4:6]}-{_PESEL[6:]}", f"pesel{_PESEL}",
                  f"PESEL {_PESEL[:6]}.{_PESEL[6:]}", f"nr {_PESEL[:2]}.{_PESEL[2:4]}.{_PESEL[4:6]}.{_PESEL[6:]}"]
_HOSTILE = st.one_of(
    st.sampled_from(FORMULAS), st.sampled_from(_PESEL_WRITTEN),
    st.sampled_from(["ma\x00nul", "linia\rlinia", "linia\r\nlinia", "Długi list. " * 17_000]),
    st.text(alphabet=st.sampled_from("=+-@\t\r\n\x00;\"'aąz 9"), max_size=30),
)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.tuples(_HOSTILE, _HOSTILE), min_size=1, max_size=5))
def test_hostile_strings_through_run(tmp_path_factory: pytest.TempPathFactory, cells: list[tuple[str, str]]) -> None:
    folder = tmp_path_factory.mktemp("wrogie")
    source = folder / "wrogie.csv"
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=";").writerows([["Lp.", "Treść uwagi", "Uzasadnienie"],
                                             *[[str(i), a, b] for i, (a, b) in enumerate(cells, 1)]])
    source.write_text(buf.getvalue(), encoding="utf-8")
    out = folder / "wynik"
    code = run(str(source), "--out", str(out), "--id-col", "Lp.")
    assert code in (0, 2)
    if code == 2:
        return
    comments = read_rows(out / "comments.csv")
    assert [r["comment_id"] for r in comments] == [str(i) for i in range(1, len(cells) + 1)]  # rows in = rows out
    research = (out / "research.csv").read_text(encoding="utf-8")
    import pandas as pd

    parquet = pd.read_parquet(out / "research.parquet").astype(str).to_csv()
    for text in (research, parquet):
        digits = "".join(ch for ch in text if ch.isdigit() or ch == "\n")
        assert _PESEL not in digits.replace("\n", " "), "a PESEL reached research.*"
    for name in ("comments.csv", "clusters.csv", "research.csv"):
        for row in read_rows(out / name):
            assert not [v for v in row.values() if v and v[0] in "=+-@\t\r"], name
