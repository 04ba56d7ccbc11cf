"""A big CSV export read a part at a time: the records `readers.read_table` reads from the whole file, with the same
fields and row numbers, while only a block of lines is in memory at once.

Only what reads the same from a part as from the whole file is read this way: UTF-8 text (with or without a BOM)
with no NUL byte, every record strict CSV (`readers.csv_lines(strict=True)`), and no short record that the next
one completes (a line break typed into a numbered table, `readers.completes`). Anything else raises
`readers.NotStrict`, and the file is read whole, as before.
"""

from __future__ import annotations

import io
import itertools
import math
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from pipeline.readers import (
    HEADER_SEARCH, SNIFF_LINES, NotStrict, RawTable, completes, csv_lines, header_index, records_table, sniff_delimiter,
    unique_headers,
)

# Characters read at a time, about a block's (a few thousand records): far more than the delimiter's sniffing and the
# header's search need.
BLOCK_CHARS = 1 << 21
# A line ending a block holds a character no candidate delimiter or quote is, so the record it ends is not blank.
_CONTENT = re.compile(r'[^\s";,]')
Record = tuple[int, list[str], str | None]  # a record as `readers.csv_lines` gives it


def csv_parts(path: Path, rows: int, text_cols: Sequence[str] = (), block_chars: int = BLOCK_CHARS
              ) -> Iterator[RawTable]:
    """The records of the CSV file `path` as RawTables of `rows` records each (the last one fewer; each frame
    indexed from 0), read `block_chars` characters at a time. Raises NotStrict where the file must be read whole."""
    with path.open("rb") as raw:
        start = raw.read(4)
        if start.startswith((b"\xff\xfe", b"\xfe\xff", b"PK\x03\x04")):  # UTF-16, or a workbook named .csv
            raise NotStrict(path)
        raw.seek(0)
        encoding = "utf-8-sig" if start.startswith(b"\xef\xbb\xbf") else "utf-8"
        try:
            for table in _tables(path, _blocks(io.TextIOWrapper(raw, encoding=encoding, newline=""), block_chars),
                                 rows, text_cols):
                table.encoding = encoding
                yield table
        except UnicodeDecodeError:  # another encoding is told from the whole file's bytes
            raise NotStrict(path) from None


def _blocks(text: TextIO, size: int) -> Iterator[str]:
    """The text in blocks of about `size` characters or more (the first holding at least the lines the delimiter is
    sniffed from), each ending where a strict CSV record ends: after a line with content, an even number of quotes
    since the block began."""
    # Read `size` characters at a time and cut at the last such line end: no Python step per physical line (a
    # comment's paragraphs are lines of its record: 684,000 lines for 100,000 comments of the benchmark's export).
    block: list[str] = []  # whole lines of the block so far
    quotes = lines = 0  # in them (the lines counted for the first block only)
    tail = ""  # the text after them: a line not yet ended
    least = SNIFF_LINES
    while chunk := text.read(size):
        if "\x00" in chunk:  # shown as ␀ and its record marked by the whole file's reading
            raise NotStrict()
        window = tail + chunk
        cut = _after_line_end(window, len(window) - window.endswith("\r"))  # a "\r" may be half of "\r\n"
        whole, tail = window[:cut], window[cut:]
        quotes += whole.count('"')
        lines += _line_count(whole) if least else 0
        if end := _record_end(whole, quotes, lines - least if least else math.inf):
            yield "".join(block) + whole[:end]
            block, least, lines = [], 0, 0
            whole = whole[end:]
            quotes = whole.count('"')
        block.append(whole)
    if rest := "".join(block) + tail:
        yield rest


def _line_count(text: str) -> int:
    """Physical lines ended in `text` (as csv counts them: "\r\n", "\r" or "\n")."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _after_line_end(text: str, stop: int) -> int:
    """The position after the last line end in `text[:stop]`; 0 if none."""
    at = text.rfind("\n", 0, stop)
    return max(at, text.rfind("\r", at + 1, stop)) + 1  # a "\r" searched for in the last line only


def _record_end(whole: str, quotes: int, spare: float) -> int:
    """The last line end in `whole` (whole lines, the end of a block's text that holds `quotes` quotes) where the
    block may end, leaving out at most `spare` lines of its end (so that it keeps the lines it must hold); 0 if
    none."""
    end = len(whole)
    while end and spare >= 0:
        terminator = end - 2 if whole.endswith("\r\n", 0, end) else end - 1
        start = _after_line_end(whole, terminator)
        if quotes % 2 == 0 and _CONTENT.search(whole, start, end):
            return end
        quotes -= whole.count('"', start, end)
        spare -= 1
        end = start
    return 0


def _tables(path: Path, blocks: Iterator[str], rows: int, text_cols: Sequence[str]) -> Iterator[RawTable]:
    head = next(blocks, "")
    delimiter, width = sniff_delimiter(head)
    lines = csv_lines(head, delimiter, width, path, strict=True)
    ahead = next(blocks, None)
    # Without the header search's rows in the first block, or with a table of one column (read again without a
    # delimiter), the whole file's reading decides.
    if not lines or (len(lines) < HEADER_SEARCH and ahead is not None):
        raise NotStrict(path)
    at = header_index([fields for _, fields, _ in lines[:HEADER_SEARCH]], text_cols)
    if delimiter and len(lines[at][1]) == 1:
        raise NotStrict(path)
    header = unique_headers(lines[at][1], path)
    rest = itertools.chain([ahead] if ahead is not None else [], blocks)
    records = _records(path, lines[at + 1:], lines[-1][0], rest, delimiter, width, len(header))
    while part := list(itertools.islice(records, rows)):
        yield records_table(path, header, part, delimiter, at)


def _records(path: Path, lines: list[Record], after_row: int, blocks: Iterator[str], delimiter: str | None,
             width: int, columns: int) -> Iterator[Record]:
    """Every record below the header, block after block; NotStrict at a record that completes the one before."""
    previous: list[str] | None = None
    while True:
        for record in lines:
            if previous is not None and columns > 1 and completes(previous, record[1], columns):
                raise NotStrict(path)
            previous = record[1]
            yield record
        block = next(blocks, None)
        if block is None:
            return
        lines = csv_lines(block, delimiter, width, path, after_row=after_row, strict=True)
        after_row = lines[-1][0] if lines else after_row  # the last block may be blank lines only
