"""Ingest: real files in every supported encoding, delimiter and format; row accounting; ids; clear errors."""

from __future__ import annotations

import codecs
import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from pipeline.config import IngestConfig
from pipeline.errors import UserError
from pipeline.ingest import comment_ids, find_text_columns, ingest
from pipeline.readers import read_table

# ą ś ź Ą Ś Ź are the letters whose bytes differ between cp1250 and ISO-8859-2.
POLISH = "Źródła środków: ąę ćł ńó śźż ĄĘ ĆŁ ŃÓ ŚŹŻ - uwaga do § 5"
SECOND = "Ściśle mówiąc, źle że ząbki są"


def write_csv(path: Path, rows: list[list[str]], *, encoding: str, delimiter: str) -> Path:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1250", "iso-8859-2", "utf-16", "utf-16-le"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_encodings_and_delimiters_are_detected(tmp_path: Path, encoding: str, delimiter: str) -> None:
    path = write_csv(
        tmp_path / "uwagi.csv",
        [["Lp", "Treść uwagi", "Nazwisko"], ["1", POLISH, "Żółć"], ["2", SECOND, "Ślęzak, Ąna"]],
        encoding=encoding,
        delimiter=delimiter,
    )
    df, tables = ingest([path], IngestConfig())
    assert df["text"].tolist() == [POLISH, SECOND]
    assert df["Nazwisko"].tolist() == ["Żółć", "Ślęzak, Ąna"]
    assert df["source_row"].tolist() == [2, 3]
    assert codecs.lookup(tables[0].encoding).name == codecs.lookup(encoding).name


@pytest.mark.parametrize("legacy", ["cp1250", "iso-8859-2"])
def test_two_exports_pasted_together_in_two_encodings_are_both_read(tmp_path: Path, legacy: str) -> None:
    path = tmp_path / "sklejony.csv"
    path.write_bytes(f"Nr;Treść uwagi\n1;{POLISH}\n".encode() + f"2;{SECOND}\n".encode(legacy))
    df, tables = ingest([path], IngestConfig())
    assert df["text"].tolist() == [POLISH, SECOND]
    assert tables[0].encoding.startswith("utf-8+")
    assert codecs.lookup(tables[0].encoding.split("+")[1]).name == codecs.lookup(legacy).name


def test_explicit_encoding_is_used_and_a_wrong_one_is_a_clear_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [["uwaga"], [POLISH]], encoding="cp1250", delimiter=";")
    df, _ = ingest([path], IngestConfig(encoding="cp1250"))
    assert df["text"].tolist() == [POLISH]
    with pytest.raises(UserError, match=r"a\.csv.*utf-8"):
        ingest([path], IngestConfig(encoding="utf-8"))


def test_xlsx_first_sheet_or_named_sheet(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Inne"
    ws.append(["x"])
    ws2 = wb.create_sheet("Uwagi")
    ws2.append(["ID", "Komentarz", "Kwota", "Wpłynęło"])
    ws2.append(["u1", "=SUMA(A1:A2)", 1500, datetime(2022, 10, 5)])
    ws2["B2"].data_type = "s"  # form exports store such answers as text, not as formulas
    ws2.append([None, None, None])  # an empty row is not a record
    ws2.append(["u2", POLISH, 2.5, datetime(2022, 10, 6, 14, 30)])
    path = tmp_path / "formularz.xlsx"
    wb.save(path)
    df, _ = ingest([path], IngestConfig(sheet="Uwagi", id_col="ID"))
    assert df["comment_id"].tolist() == ["u1", "u2"]
    assert df["text"].tolist() == ["=SUMA(A1:A2)", POLISH]
    assert df["source_row"].tolist() == [2, 4]
    assert df["Kwota"].tolist() == ["1500", "2.5"]
    assert df["Wpłynęło"].tolist() == ["2022-10-05", "2022-10-06T14:30:00"]  # a date is shown as a date
    with pytest.raises(UserError, match="pierwszy arkusz, „Inne”, nie ma kolumny z treścią uwag; wskaż arkusz opcją "
                                        "--sheet \\(są: „Inne”, „Uwagi”\\)"):
        ingest([path], IngestConfig())


def test_jsonl_keeps_bad_lines_as_error_rows(tmp_path: Path) -> None:
    path = tmp_path / "uwagi.jsonl"
    lines = [json.dumps({"text": POLISH, "labels": ["a", "b"]}, ensure_ascii=False), "", "{nie json", '"napis"',
             json.dumps({"text": ""})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    df, tables = ingest([path], IngestConfig())
    assert len(df) == 4 and len(tables[0].frame) == 4
    assert df["source_row"].tolist() == [1, 3, 4, 5]
    assert df["status"].tolist() == ["do analizy", "błąd", "błąd", "pusta"]
    assert "JSON" in df["error"].iloc[1]
    assert df["text"].iloc[1] == "{nie json"  # the raw line is kept for staff to read
    assert df["in_labels"].tolist() == ['["a", "b"]', "", "", ""]  # clashes with an output column -> in_ prefix


def test_repeated_and_clashing_headers_lose_no_column(tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    path.write_text("Treść uwagi;Treść uwagi;status;in_status\npierwsza część;druga część;A;B\n", encoding="utf-8")
    df, _ = ingest([path], IngestConfig(text_cols=()))
    assert df["text"].iloc[0] == "Treść uwagi: pierwsza część\n\nTreść uwagi: druga część"
    assert (df["in_in_status"].iloc[0], df["in_status"].iloc[0]) == ("A", "B")  # "in_status" keeps its name
    df, _ = ingest([path], IngestConfig(text_cols=("Treść uwagi", "Treść uwagi")))
    assert df["text"].iloc[0] == "pierwsza część"  # a column named twice is read once
    other = tmp_path / "k2.csv"
    other.write_text("Uwaga;status\ntrzecia;C\n", encoding="utf-8")
    df, _ = ingest([path, other], IngestConfig())
    assert df["in_in_status"].tolist() == ["A", "C"]  # "status" has one output name across the files


def test_a_json_array_of_objects_is_read_element_by_element(tmp_path: Path) -> None:
    path = tmp_path / "eksport.json"
    path.write_text(json.dumps([{"id": "b1", "text": POLISH}, {"id": "b2", "text": "Druga"}, "nie obiekt"],
                               ensure_ascii=False, indent=2), encoding="utf-8")
    df, _ = ingest([path], IngestConfig(id_col="id"))
    assert df["text"].tolist() == [POLISH, "Druga", '"nie obiekt"'] and df["source_row"].tolist() == [1, 2, 3]
    assert df["status"].tolist() == ["do analizy", "do analizy", "błąd"]
    path.write_text('[{"text": "a"}, {"text": ', encoding="utf-8")
    with pytest.raises(UserError, match="eksport.json.*niepoprawna tablica JSON"):
        ingest([path], IngestConfig())


def test_text_with_many_control_characters_but_no_nul_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "sterujace.csv"
    path.write_text("nr,uwaga\n0,\x1f\x1f\x1f\x08\n1,\x1f\x1f\x1f\x08\x08\x08\n2,\x1f\x1f\x1f\x08\x08\x08\n", encoding="utf-8")
    df, _ = ingest([path], IngestConfig(id_col="nr"))
    assert df["text"].tolist() == ["\x1f\x1f\x1f\x08", "\x1f\x1f\x1f\x08\x08\x08", "\x1f\x1f\x1f\x08\x08\x08"]


def test_json_lines_break_only_at_newlines_and_a_wrapped_array_is_read(tmp_path: Path) -> None:
    lines = tmp_path / "u.jsonl"
    lines.write_text('{"text": "A\u2028B\u0085C"}\r\n{"text": "Druga"}\n', encoding="utf-8")
    df, _ = ingest([lines], IngestConfig())
    assert df["text"].tolist() == ["A\u2028B\u0085C", "Druga"] and df["source_row"].tolist() == [1, 2]
    wrapped = tmp_path / "eksport.json"
    wrapped.write_text(json.dumps({"uwagi": [{"text": "Pierwsza"}, {"text": "Druga"}]}, indent=2), encoding="utf-8")
    df, _ = ingest([wrapped], IngestConfig())
    assert df["text"].tolist() == ["Pierwsza", "Druga"]
    single = tmp_path / "jedna.json"
    single.write_text(json.dumps({"text": "Jedyna", "autor": "A"}, indent=2), encoding="utf-8")
    df, _ = ingest([single], IngestConfig())
    assert df["text"].tolist() == ["Jedyna"]


def test_a_quote_never_closed_swallows_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "cudzyslow.csv"
    path.write_text('Nr;Treść uwagi;Typ\n1;Pierwsza uwaga o grantach;org\n2;"Zielony Gdańsk to dobry pomysł;mieszkaniec\n'
                    '3;Trzecia uwaga;org\n4;"Czwarta" uwaga;org\n5;"Piąta; z cudzysłowem";org\n', encoding="utf-8")
    df, _ = ingest([path], IngestConfig(id_col="Nr"))
    assert df["comment_id"].tolist() == ["1", "2", "3", "4", "5"]
    assert df["text"].tolist() == ["Pierwsza uwaga o grantach", '"Zielony Gdańsk to dobry pomysł', "Trzecia uwaga",
                                   '"Czwarta" uwaga', "Piąta; z cudzysłowem"]  # a quote closed mid-field is kept
    assert df["Typ"].tolist() == ["org", "mieszkaniec", "org", "org", "org"]
    assert df["status"].tolist() == ["do analizy", "błąd", "do analizy", "do analizy", "do analizy"]
    assert "cudzysłów" in df["error"].iloc[1]


@pytest.mark.parametrize(
    ("content", "texts", "errors"),
    [
        # A stray opening quote closed by the ASCII quote ending „Park Oliwski" on the next row.
        ('Nr;Uwaga;Kto\n1;Pierwsza;Jan\n2;"Zielony Gdańsk;Anna\n3;Popieram „Park Oliwski";Zofia\n4;Czwarta;Piotr\n',
         ["Pierwsza", '"Zielony Gdańsk', "Popieram „Park Oliwski\"", "Czwarta"], [False, True, False, False]),
        ('Nr;Uwaga;Typ\n1;"Zaczynam cytat;org\n2;Koniec cytatu"\n3;Trzeci;org\n',
         ['"Zaczynam cytat', 'Koniec cytatu"', "Trzeci"], [True, False, False]),
        # A real cell over two lines, with text after its closing quote: one record, as a spreadsheet reads it.
        ('Nr;Uwaga;Typ\n1;"Linia 1\nLinia 2" dopisek;org\n2;Drugi;org\n', ["Linia 1\nLinia 2 dopisek", "Drugi"],
         [False, False]),
        ('Nr;Uwaga;Typ\n1;"Linia 1\nLinia 2";org\n2;Drugi;org\n', ["Linia 1\nLinia 2", "Drugi"], [False, False]),
        ('Nr;Uwaga;Typ\n1;"Linia 1\nLinia 2; a; b";org\n2;Drugi;org\n', ["Linia 1\nLinia 2; a; b", "Drugi"],
         [False, False]),
        ('Nr,Uwaga\n1,"Linia 1\nLinia 2, z przecinkiem"\n2,Druga\n', ["Linia 1\nLinia 2, z przecinkiem", "Druga"],
         [False, False]),
        # Never closed, on the last line.
        ('Nr;Uwaga;Typ\n1;Pierwsza;org\n2;"Ostatnia;org\n', ["Pierwsza", '"Ostatnia'], [False, True]),
    ],
)
def test_stray_quotes_never_swallow_rows(tmp_path: Path, content: str, texts: list[str], errors: list[bool]) -> None:
    path = tmp_path / "q.csv"
    path.write_text(content, encoding="utf-8")
    df, _ = ingest([path], IngestConfig(text_cols=("Uwaga",)))
    assert df["text"].tolist() == texts
    assert (df["status"] == "błąd").tolist() == errors


def test_a_line_break_typed_without_quotes_is_joined_back(tmp_path: Path) -> None:
    path = tmp_path / "lamanie.csv"
    path.write_text("Nr;Treść uwagi;Typ\n1;Pierwsza linia uwagi\ndruga linia tej samej uwagi;organizacja\n"
                    "2;Druga uwaga;org\n3;Krótki wiersz\n4;Czwarta;osoba\n", encoding="utf-8")
    df, _ = ingest([path], IngestConfig(id_col="Nr"))
    assert df["comment_id"].tolist() == ["1", "2", "3", "4"]
    assert df["text"].iloc[0] == "Pierwsza linia uwagi\ndruga linia tej samej uwagi"
    assert df["Typ"].tolist() == ["organizacja", "org", "", "osoba"]  # a short row alone stays as Excel wrote it


def test_repeated_headers_get_names_no_other_column_has(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("Uwaga;Typ;Typ;Typ_2;;kolumna_5\nTekst;a;b;c;d;e\n", encoding="utf-8")
    df, _ = ingest([path], IngestConfig())
    assert [df[c].iloc[0] for c in ("Typ", "Typ_3", "Typ_2", "kolumna_5_2", "kolumna_5")] == list("abcde")


def test_a_record_that_cannot_be_split_puts_its_line_in_the_text_only(tmp_path: Path) -> None:
    """Its fragments must not land in the id or in personal-data columns, where they would travel on unredacted."""
    path = tmp_path / "r.csv"
    path.write_text("Nr;Treść uwagi;E-mail\nA-1;Dobra uwaga;a@example.com\n"
                    "A-2;Uwaga ze średnikiem; w treści;b@example.com\n", encoding="utf-8")
    df, _ = ingest([path], IngestConfig(id_col="Nr"))
    assert df["text"].iloc[1] == "A-2;Uwaga ze średnikiem; w treści;b@example.com"
    assert df["E-mail"].tolist() == ["a@example.com", ""]
    assert df["comment_id"].iloc[1] == comment_ids(df["text"].tolist())[1]  # the hash id, not a fragment


def test_repeated_ids_take_suffixes_no_other_row_has(tmp_path: Path) -> None:
    path = tmp_path / "id.csv"
    path.write_text("ID;Uwaga\nA1;Więcej grantów\nA1;Dłuższe konsultacje\nA1-2;Inna uwaga\n;Bez id\n", encoding="utf-8")
    df, _ = ingest([path], IngestConfig(id_col="ID"))
    assert df["comment_id"].tolist()[:3] == ["A1", "A1-3", "A1-2"]
    assert df["comment_id"].iloc[3] == comment_ids(df["text"].tolist())[3]


def test_several_text_columns_are_joined_and_labelled(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "f.csv",
        [["Propozycja zmiany", "Uzasadnienie", "Imię"], ["Dodać pkt 3.", "Bo brakuje.", "Jan"], ["", "Tylko to.", ""]],
        encoding="utf-8", delimiter=",",
    )
    df, _ = ingest([path], IngestConfig())
    assert df["text"].tolist() == ["Propozycja zmiany: Dodać pkt 3.\n\nUzasadnienie: Bo brakuje.", "Uzasadnienie: Tylko to."]
    df, _ = ingest([path], IngestConfig(text_cols=("Uzasadnienie",)))
    assert df["text"].tolist() == ["Bo brakuje.", "Tylko to."]
    assert "Propozycja zmiany" in df.columns


def test_text_header_detection_is_case_and_diacritic_insensitive() -> None:
    assert find_text_columns(["Lp.", "TRESC UWAGI", "Data"]) == ["TRESC UWAGI"]
    assert find_text_columns(["id", "Treść uwagi (propozycja zmian)"]) == ["Treść uwagi (propozycja zmian)"]
    with pytest.raises(UserError, match="--text-col"):
        find_text_columns(["id", "data"])


def test_ids_are_stable_distinct_for_repeats_and_position_independent() -> None:
    a = comment_ids(["Popieram.", "Inna uwaga", "popieram"])
    b = comment_ids(["Inna uwaga", "Popieram.", "POPIERAM"])
    assert a[0] != a[2] and a[0].endswith("-1") and a[2].endswith("-2")
    assert a[1] == b[0]  # an id does not depend on the row's position
    assert comment_ids(["Inna uwaga"]) == comment_ids(["Inna uwaga"])


def test_several_inputs_form_one_batch(tmp_path: Path) -> None:
    a = write_csv(tmp_path / "a.csv", [["uwaga"], ["pierwsza"]], encoding="utf-8", delimiter=",")
    b = tmp_path / "b.jsonl"
    b.write_text(json.dumps({"comment": "druga", "kanał": "papier"}) + "\n", encoding="utf-8")
    df, _ = ingest([a, b], IngestConfig())
    assert df["text"].tolist() == ["pierwsza", "druga"]
    assert df["source_file"].tolist() == ["a.csv", "b.jsonl"]
    assert df["kanał"].tolist() == ["", "papier"]


def test_ragged_row_is_an_error_row_that_keeps_its_text(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("id;uwaga\n1;dobra\n2;zła;nadmiarowe pole\n3\n", encoding="utf-8")
    df, _ = ingest([path], IngestConfig())
    assert df["status"].tolist() == ["do analizy", "błąd", "pusta"]
    assert "nadmiarowe pole" in df["text"].iloc[1] and "wiersz ma 3 pola, a nagłówek 2" in df["error"].iloc[1]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (None, "brak.csv", "nie istnieje"),
        (b"", "pusty.csv", "pusty"),
        (b"not a zip at all", "zly.xlsx", "nie jest poprawny skoroszyt"),
        (b"\xff\xfe\x00\x00garbage\x81\x8d\x8f\x90\x9d" * 3, "dziwny.csv", "kodowania|kolumny|binarne"),
        (bytes(range(256)) * 8, "losowe.csv", "znaki binarne"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "obraz.jsonl", "znaki binarne"),
    ],
)
def test_unusable_files_are_user_errors_naming_the_file(tmp_path: Path, content, name, message) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UserError, match=message) as info:
        read_table(path) if "kolumny" not in message else ingest([path], IngestConfig())
    assert name in str(info.value)


cell_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00\r"), max_size=40
).filter(lambda s: s.strip() != "")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    texts=st.lists(
        st.one_of(cell_text, st.sampled_from(['"cytat"', "a;b,c", "wiersz\ndrugi", "  ", '=1+1', "\t"])),
        min_size=1, max_size=25,
    ),
    delimiter=st.sampled_from([",", ";"]),
    blank_every=st.integers(min_value=0, max_value=4),
)
def test_every_record_comes_back_once_in_order(tmp_path_factory, texts, delimiter, blank_every) -> None:
    """Row accounting: N records with quotes, delimiters, newlines and blank lines in between -> the same N texts."""
    path = tmp_path_factory.mktemp("h") / "p.csv"
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(["nr", "uwaga"])
    for i, text in enumerate(texts):
        writer.writerow([str(i), text])
        if blank_every and i % blank_every == 0:
            buf.write("\n")
    path.write_text(buf.getvalue(), encoding="utf-8")
    df, tables = ingest([path], IngestConfig(id_col="nr"))
    assert len(df) == len(texts) == len(tables[0].frame)
    assert df["text"].tolist() == texts
    assert df["comment_id"].tolist() == [str(i) for i in range(len(texts))]
    assert df["source_row"].is_monotonic_increasing


def test_mojibake_header_and_bom_are_handled(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes("\ufeffTreść;x\n\"WspĂłĹ‚praca\";1\n".encode("utf-8"))
    df, _ = ingest([path], IngestConfig())
    assert df["text"].tolist() == ["WspĂłĹ‚praca"]  # ingest keeps the original; cleaning repairs it
    assert isinstance(df, pd.DataFrame)


def test_title_rows_above_the_header_are_skipped_and_counted(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Uwagi do projektu Programu współpracy na 2023 rok"])  # names a text header, but is a title
    ws.append(["Stan na 15.10.2022"])
    ws.append([None])
    ws.append(["Lp.", "Treść uwagi", "Podmiot"])
    ws.append([1, POLISH, "organizacja"])
    ws.append([2, "Popieram.", "osoba"])
    xlsx = tmp_path / "zestawienie.xlsx"
    wb.save(xlsx)
    csv_path = tmp_path / "zestawienie.csv"
    csv_path.write_text("Zestawienie uwag;;\n\nLp.;Treść uwagi;Podmiot\n1;" + POLISH + ";organizacja\n2;Popieram.;osoba\n",
                        encoding="utf-8")
    for path in (xlsx, csv_path):
        df, tables = ingest([path], IngestConfig(id_col="Lp."))
        assert df["text"].tolist() == [POLISH, "Popieram."]
        assert df["Podmiot"].tolist() == ["organizacja", "osoba"]
        assert df["source_row"].tolist() == ([5, 6] if path == xlsx else [4, 5])  # as the spreadsheet shows them
        assert tables[0].preamble_rows == (2 if path == xlsx else 1)
    # With --text-col, that name finds the header.
    df, _ = ingest([csv_path], IngestConfig(text_cols=("Podmiot",)))
    assert df["text"].tolist() == ["organizacja", "osoba"]


# Exports seen in the wild whose header must not be taken from a data row, nor a data row from the header.
@pytest.mark.parametrize(
    ("content", "texts", "title_rows"),
    [
        # A trailing column without a name makes data rows wider than the header; one of them reads like a header.
        ("Lp;Treść uwagi;\r\n1;Proszę o więcej grantów;x\r\n2;Uwaga do § 5 ust. 2;y\r\n3;Więcej wolontariatu;z\r\n",
         ["Proszę o więcej grantów", "Uwaga do § 5 ust. 2", "Więcej wolontariatu"], 0),
        ("Lp;;Treść uwagi\r\n1;a;Proszę o granty\r\n2;b;Uwagi do § 5\r\n",
         ["Proszę o granty", "Uwagi do § 5"], 0),
        # One column whose texts hold commas: the commas are part of the text.
        ("Treść uwagi\r\nProszę, aby zwiększyć, dotacje\r\nDruga, uwaga, z przecinkami\r\nTrzecia uwaga\r\n",
         ["Proszę, aby zwiększyć, dotacje", "Druga, uwaga, z przecinkami", "Trzecia uwaga"], 0),
        ("Opis\r\nUwaga do § 5\r\nDrugi opis\r\n", ["Uwaga do § 5", "Drugi opis"], 0),
        # One column whose first comment reads like a header and holds a delimiter.
        ("Uwaga\nUwaga do § 5; proponuję skreślić ust. 2\nDruga uwaga o grantach\nTrzecia uwaga\n",
         ["Uwaga do § 5; proponuję skreślić ust. 2", "Druga uwaga o grantach", "Trzecia uwaga"], 0),
        ("Uwagi\nUwagi do § 5: proponuję, aby skreślić ust. 2, bo\nDruga uwaga\nTrzecia uwaga, krótka\n",
         ["Uwagi do § 5: proponuję, aby skreślić ust. 2, bo", "Druga uwaga", "Trzecia uwaga, krótka"], 0),
        # A title line with no delimiter at all above a ';' table.
        ("Uwagi do projektu programu 2023\r\n\r\nLp;Treść uwagi;Autor\r\n1;Pierwsza uwaga;A\r\n2;Druga, z przecinkiem;B\r\n",
         ["Pierwsza uwaga", "Druga, z przecinkiem"], 1),
        ("Zestawienie uwag\r\nStan na 15.10.2022\r\nLp;Treść uwagi;Autor\r\n1;Pierwsza uwaga;A\r\n",
         ["Pierwsza uwaga"], 2),
    ],
)
def test_header_and_delimiter_detection_keep_every_record(
    tmp_path: Path, content: str, texts: list[str], title_rows: int
) -> None:
    path = tmp_path / "u.csv"
    path.write_text(content, encoding="utf-8")
    df, tables = ingest([path], IngestConfig())
    assert df["text"].tolist() == texts
    assert set(df["status"]) == {"do analizy"}
    assert tables[0].preamble_rows == title_rows


def test_formula_without_a_stored_value_is_kept_and_marked(tmp_path: Path) -> None:
    """Files written by scripts store no formula values; the cell must not read as empty and its row must not vanish."""
    wb = Workbook()
    for row in (["Treść uwagi", "Suma"], ["Zwykła uwaga", "=1+1"], ['=CONCAT("Więcej ", "grantów")', None]):
        wb.active.append(row)
    path = tmp_path / "skrypt.xlsx"
    wb.save(path)
    df, _ = ingest([path], IngestConfig())
    assert df["text"].tolist() == ["Zwykła uwaga", '=CONCAT("Więcej ", "grantów")']
    assert df["Suma"].tolist() == ["=1+1", ""]  # outside the text the formula is kept and is no error
    assert df["status"].tolist() == ["do analizy", "błąd"]
    assert "formuła bez zapisanej wartości (kolumna 'Treść uwagi')" in df["error"].iloc[1]


def test_workbook_saved_under_a_csv_name_is_read_as_a_workbook(tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.append(["Treść uwagi"])
    wb.active.append([POLISH])
    path = tmp_path / "eksport.csv"
    wb.save(path)
    df, tables = ingest([path], IngestConfig())
    assert df["text"].tolist() == [POLISH] and tables[0].encoding is None


def test_xlsx_data_row_wider_than_the_header_is_not_taken_for_it(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    for row in (["Lp", "Treść uwagi"], [1, "Proszę o granty", "x"], [2, "Uwaga do § 5", "y"]):
        ws.append(row)
    path = tmp_path / "u.xlsx"
    wb.save(path)
    df, tables = ingest([path], IngestConfig())
    assert df["text"].tolist() == ["Proszę o granty", "Uwaga do § 5"] and tables[0].preamble_rows == 0


def test_text_col_finds_the_header_below_any_title(tmp_path: Path) -> None:
    path = tmp_path / "t2.csv"
    path.write_text("Konsultacje;2024-10-01\nNr;Wypowiedź\n1;Tekst\n", encoding="utf-8")
    df, tables = ingest([path], IngestConfig(text_cols=("Wypowiedź",)))
    assert df["text"].tolist() == ["Tekst"] and tables[0].preamble_rows == 1
    one_column = tmp_path / "t3.csv"
    one_column.write_text("Konsultacje 2024\nUwaga\nTekst, z przecinkiem\nDruga\n", encoding="utf-8")
    df, tables = ingest([one_column], IngestConfig(text_cols=("Uwaga",)))
    assert df["text"].tolist() == ["Tekst, z przecinkiem", "Druga"] and tables[0].preamble_rows == 1


def test_title_that_names_no_text_column_gets_an_error_that_says_so(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("Zestawienie 2023\r\nLp;Wypowiedź;Autor\r\n1;Pierwsza;A\r\n", encoding="utf-8")
    with pytest.raises(UserError, match="--text-col") as info:
        ingest([path], IngestConfig())
    assert "t.csv" in str(info.value) and "Zestawienie 2023" in str(info.value)
    df, tables = ingest([path], IngestConfig(text_cols=("Wypowiedź",)))
    assert df["text"].tolist() == ["Pierwsza"] and tables[0].preamble_rows == 1


header_like = st.sampled_from(["Uwaga do § 5 ust. 2", "Uwagi", "Treść", "Opis zmiany", "uwaga, bardzo ważna"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    texts=st.lists(st.one_of(cell_text, header_like), min_size=1, max_size=12),
    title=st.sampled_from(["", "Uwagi do projektu programu", "Zestawienie uwag;;"]),
    extra=st.booleans(),
    delimiter=st.sampled_from([",", ";"]),
)
def test_every_record_survives_titles_and_header_like_texts(tmp_path_factory, texts, title, extra, delimiter) -> None:
    """Data rows that read like headers, an unnamed trailing column and a title above: still the same N records."""
    path = tmp_path_factory.mktemp("t") / "p.csv"
    buf = io.StringIO(newline="")
    if title:
        buf.write(title.replace(";", delimiter) + "\r\n")
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["nr", "Treść uwagi"] + ([""] if extra else []))
    for i, text in enumerate(texts):
        writer.writerow([str(i), text] + (["x"] if extra else []))
    path.write_text(buf.getvalue(), encoding="utf-8")
    df, _ = ingest([path], IngestConfig(id_col="nr"))
    assert df["text"].tolist() == texts
    assert df["comment_id"].tolist() == [str(i) for i in range(len(texts))]
