"""A big CSV or JSON Lines export ingested part by part (`csv_parts`, `jsonl_parts`, `ingest_parts`): the records, row
numbers, ids and columns of reading the whole file, or, where a part cannot tell, the whole file read as before."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from pipeline.config import IngestConfig
from pipeline.csv_parts import csv_parts
from pipeline.ingest import ingest
from pipeline.ingest_parts import IngestedParts, part_reading
from pipeline.jsonl_parts import jsonl_parts
from pipeline.readers import NotStrict, read_table

HEADER = "Nr;Treść uwagi;E-mail;Data wpływu\n"


def ingest_parts(paths: list[Path], cfg: IngestConfig, rows: int, folder: Path) -> IngestedParts | None:
    """The whole reading into part files, as a run does it; None where the file is ingested whole, no part left."""
    reading = part_reading(paths, cfg, rows, folder)
    if reading is None:
        return None
    try:
        for _ in reading:
            pass
    except NotStrict:
        reading.discard()
        return None
    return reading.ingested


def records(first: int, last: int) -> str:
    """Rows of an export, each comment over two lines (quoted), its text one of four."""
    return "".join(f'{i};"Uwaga {i % 4}: proszę o zmianę zapisu\nw punkcie {i % 3}.";a{i}@x.pl;2023-03-{i % 28 + 1:02d}\n'
                   for i in range(first, last))


# More lines than the first block (the delimiter is sniffed from 200), then blocks of a record or two.
ROWS, MORE = records(1, 130), records(130, 160)
# Files every part of which reads as the whole file does: they are read a part at a time.
STREAMED = {
    "plain": HEADER + ROWS + MORE,
    "title rows and a BOM": "\ufeffUwagi do projektu\n\n" + HEADER + ROWS + MORE,
    "CRLF, blank lines and an empty row": (HEADER + ROWS + "\n;;;\n\n" + MORE).replace("\n", "\r\n"),
    "a row wider than the header": HEADER + ROWS + "99;za dużo;x@y.pl;2023-01-01;nadmiar\n" + MORE,
}
# Files where a record's reading depends on lines around it: read whole.
READ_WHOLE = {
    "a stray quote": HEADER + ROWS + '98;"Niedomknięty cudzysłów;x@y.pl;2023-01-01\n' + MORE,
    "a line break typed into a numbered row": HEADER + ROWS + "97;Początek\ndalszy ciąg;z@y.pl;2023-01-02\n" + MORE,
    "a NUL byte": HEADER + ROWS + "96;zepsuty\x00bajt;n@y.pl;2023-01-03\n" + MORE,
    "cp1250": None,
}


def written(tmp_path: Path, text: str | None) -> Path:
    path = tmp_path / "eksport.csv"
    path.write_bytes((HEADER + ROWS + MORE).encode("cp1250") if text is None else text.encode("utf-8"))
    return path


def joined(path: Path) -> tuple[pd.DataFrame, list[int], dict[int, str], dict[int, str], list]:
    """The parts of `path` (2 records each, read 60 characters at a time after the first block) put together, as one
    file's reading gives."""
    frames, rows, errors, raw, meta = [], [], {}, {}, set()
    for part in csv_parts(path, 2, block_chars=60):
        offset = len(rows)
        frames.append(part.frame)
        rows += part.rows
        errors.update({offset + i: why for i, why in part.errors.items()})
        raw.update({offset + i: line for i, line in part.raw.items()})
        meta.add((part.encoding, part.preamble_rows))
    return pd.concat(frames, ignore_index=True), rows, errors, raw, sorted(meta)


@pytest.mark.parametrize("name", STREAMED)
def test_a_file_read_in_parts_gives_the_records_of_the_whole_file(tmp_path, name):
    path = written(tmp_path, STREAMED[name])
    whole = read_table(path)
    frame, rows, errors, raw, meta = joined(path)
    assert_frame_equal(frame, whole.frame)
    assert (rows, errors, raw) == (whole.rows, whole.errors, whole.raw)
    assert meta == [(whole.encoding, whole.preamble_rows)]


@pytest.mark.parametrize("name", READ_WHOLE)
def test_a_file_whose_records_depend_on_their_neighbours_is_read_whole(tmp_path, name):
    with pytest.raises(NotStrict):
        joined(written(tmp_path, READ_WHOLE[name]))


@pytest.mark.parametrize("id_col", [None, "Nr"])
def test_the_parts_hold_the_rows_and_ids_of_the_whole_batch(tmp_path, id_col):
    # Repeated texts are numbered across the parts; a repeated or empty --id-col value is settled over the batch;
    # a web form's entities are decoded after the ids are hashed, as in a whole reading.
    repeated = '"Uwaga 3: proszę o &quot;zmianę&quot; zapisu"'  # quoted: an entity ends in the delimiter
    rows = records(1, 17) + f"3;{repeated};b@x.pl;2023-04-01\n;Uwaga bez numeru;c@x.pl;2023-04-02\n"
    path = written(tmp_path, HEADER + rows + f"3-2;{repeated};d@x.pl;2023-04-03\n")
    cfg = IngestConfig(id_col=id_col)
    expected, _ = ingest([path], cfg)
    assert (expected["text"] == 'Uwaga 3: proszę o "zmianę" zapisu').sum() == 2
    got = ingest_parts([path], cfg, 4, tmp_path / "parts")
    assert got is not None and got.parts.bounds == [0, 4, 8, 12, 16, 19]
    parts = pd.concat([pd.read_pickle(p) for p in got.parts.paths])
    if got.parts.joined is not None:
        parts = parts.assign(comment_id=got.parts.joined["comment_id"])
    assert_frame_equal(parts, expected)
    assert len(got.table.frame) == len(expected) and got.table.roles == read_roles(path, cfg)
    assert [cells["Data wpływu"] for cells in got.date_cells] == [(4, True)] * 4 + [(3, True)]


def read_roles(path: Path, cfg: IngestConfig):
    _, tables = ingest([path], cfg)
    return tables[0].roles


def test_a_batch_of_one_part_or_several_files_is_ingested_whole(tmp_path):
    path = written(tmp_path, HEADER + ROWS)
    other = tmp_path / "drugi.csv"
    other.write_text(HEADER + ROWS, encoding="utf-8")
    assert ingest_parts([path], IngestConfig(), 129, tmp_path / "parts") is None  # 129 records: one part
    assert ingest_parts([path, other], IngestConfig(), 4, tmp_path / "parts") is None
    assert not (tmp_path / "parts").exists()


def test_a_file_of_at_most_a_parts_lines_is_read_once_whole(tmp_path, monkeypatch):
    path = written(tmp_path, HEADER + "".join(f"{i};Uwaga {i};a{i}@x.pl;2023-03-01\n" for i in range(1, 100)))
    monkeypatch.setattr("pipeline.ingest_parts.csv_parts", lambda *_, **__: pytest.fail("read into a part first"))
    assert ingest_parts([path], IngestConfig(), 100, tmp_path / "parts") is None  # 100 lines: never past a part
    assert not (tmp_path / "parts").exists()


def jsonl_records(first: int, last: int) -> str:
    """JSON Lines of an export: a text with a line break, a number, a key the first lines lack from line 150 on."""
    return "".join(json.dumps({"Nr": i, "Treść uwagi": f"Uwaga {i % 4}: proszę o zmianę\nw punkcie {i % 3}.",
                               "E-mail": f"a{i}@x.pl", **({"Dzielnica": "Oliwa"} if i >= 150 else {})},
                              ensure_ascii=False) + "\n" for i in range(first, last))


JSONL_ROWS, JSONL_MORE = jsonl_records(1, 130), jsonl_records(130, 160)
JSONL_STREAMED = {
    "plain": JSONL_ROWS + JSONL_MORE,
    "a BOM, CRLF, blank lines, an unreadable line and an array": ("\ufeff" + JSONL_ROWS + "\n{zepsuty\n[1, 2]\n"
                                                                   + JSONL_MORE).replace("\n", "\r\n"),
}
JSONL_READ_WHOLE = {
    "one document over several lines": "[\n" + JSONL_ROWS.replace("}\n", "},\n") + "{}]\n",
    "an escaped NUL": JSONL_ROWS + '{"Nr": 0, "Treść uwagi": "zepsuty\\u0000bajt"}\n' + JSONL_MORE,
    "cp1250": None,
}


def jsonl_written(tmp_path: Path, text: str | None) -> Path:
    path = tmp_path / "eksport.jsonl"
    path.write_bytes(JSONL_ROWS.encode("cp1250") if text is None else text.encode("utf-8"))
    return path


@pytest.mark.parametrize("name", JSONL_STREAMED)
def test_a_json_lines_file_read_in_parts_gives_the_records_of_the_whole_file(tmp_path, name):
    path = jsonl_written(tmp_path, JSONL_STREAMED[name])
    whole = read_table(path)
    parts = list(jsonl_parts(path, 40))
    assert [len(p.frame) for p in parts][:-1] == [40] * (len(parts) - 1) and len(parts) > 3
    assert_frame_equal(pd.concat([p.frame for p in parts], ignore_index=True), whole.frame)
    offsets = [sum(len(p.frame) for p in parts[:i]) for i in range(len(parts))]
    assert [r for p in parts for r in p.rows] == whole.rows
    assert {o + i: why for o, p in zip(offsets, parts) for i, why in p.errors.items()} == whole.errors
    assert {o + i: line for o, p in zip(offsets, parts) for i, line in p.raw.items()} == whole.raw
    assert {p.encoding for p in parts} == {whole.encoding}


@pytest.mark.parametrize("name", JSONL_READ_WHOLE)
def test_a_json_lines_file_a_part_cannot_read_as_the_whole_is_read_whole(tmp_path, name):
    with pytest.raises(NotStrict):
        list(jsonl_parts(jsonl_written(tmp_path, JSONL_READ_WHOLE[name]), 40))


def test_a_big_json_lines_file_is_ingested_in_parts_as_whole(tmp_path):
    path = jsonl_written(tmp_path, JSONL_STREAMED["a BOM, CRLF, blank lines, an unreadable line and an array"])
    cfg = IngestConfig(id_col="Nr")
    expected, _ = ingest([path], cfg)
    got = ingest_parts([path], cfg, 40, tmp_path / "parts")
    assert got is not None and len(got.parts.paths) == 5
    parts = pd.concat([pd.read_pickle(p) for p in got.parts.paths]).assign(comment_id=got.parts.joined["comment_id"])
    assert_frame_equal(parts, expected)
    assert got.table.roles == read_roles(path, cfg)
