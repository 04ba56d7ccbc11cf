"""A big JSON Lines export read a part at a time: the records `readers.read_table` reads from the whole file (the
same columns, cells, line numbers, and unreadable lines marked alike), while only a part's lines are held at once.

The whole file's columns are every key in the order first seen, so the file is read twice: once for its keys, then
a part at a time. What a part cannot read as the whole file would raises `readers.NotStrict`, and the file is read
whole, as before: not UTF-8, a NUL byte (raw or escaped), or a first line that is not a JSON object on its own (a
JSON document over several lines, an array).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.readers import NotStrict, RawTable, parse_json_line, jsonl_table

JSONL_SUFFIXES = (".jsonl", ".ndjson")
Entry = tuple[int, object, str]  # (line number, the parsed line or why it is unreadable, the line)


def jsonl_parts(path: Path, rows: int) -> Iterator[RawTable]:
    """The records of the JSON Lines file `path` as RawTables of `rows` records each (the last one fewer). Raises
    NotStrict where the file must be read whole."""
    lines = _Lines(path)
    columns = list(dict.fromkeys(str(key) for _, obj, _ in lines if isinstance(obj, dict) for key in obj))
    part: list[Entry] = []
    for entry in lines:
        part.append(entry)
        if len(part) == rows:
            yield _table(path, part, columns, lines.encoding)
            part = []
    if part:
        yield _table(path, part, columns, lines.encoding)


def _table(path: Path, entries: list[Entry], columns: list[str], encoding: str) -> RawTable:
    table = jsonl_table(path, entries, columns)
    table.encoding = encoding
    return table


@dataclass
class _Lines:
    """Every non-blank line of `path`, as `readers._read_jsonl` reads the lines of a file that is no single JSON
    document; once line 1 is read, `encoding` says whether the file begins with a BOM ("utf-8-sig")."""

    path: Path
    encoding: str = "utf-8"

    def __iter__(self) -> Iterator[Entry]:
        with self.path.open("rb") as f:
            first = True
            for number, data in enumerate(f, 1):
                try:
                    line = data.decode("utf-8")
                except UnicodeDecodeError:  # another encoding is told from the whole file's bytes
                    raise NotStrict(self.path) from None
                if number == 1 and line.startswith("\ufeff"):
                    self.encoding, line = "utf-8-sig", line.lstrip("\ufeff")
                # Only "\n" ends a line (binary lines split there alone): U+2028 may stand inside a JSON string.
                line = line.removesuffix("\n").removesuffix("\r")
                # Shown as ␀ and its record marked by the whole file's reading.
                if "\x00" in line or "\\u0000" in line:
                    raise NotStrict(self.path)
                if not line.strip():
                    continue
                parsed = parse_json_line(line)
                # Lines that each parse are no one document, so the whole file is read line by line too.
                if first and not isinstance(parsed, dict):
                    raise NotStrict(self.path)
                first = False
                yield number, parsed, line
