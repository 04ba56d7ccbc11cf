"""Readers: one CSV, XLSX or JSON Lines export -> a RawTable of its records, every cell a string.

Exports are hand-edited: a title above the table, a delimiter guessed wrong, a stray quote, a formula never
calculated. The readers find the header and the records so that none is lost, and mark what they cannot trust.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import re
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from pipeline.clean import fold
from pipeline.column_roles import TEXT_HEADERS, ColumnRoles, base_header, header_key
from pipeline.decode import check_text, decode_bytes
from pipeline.errors import UserError, plural

if TYPE_CHECKING:
    from pipeline.documents import DocumentInfo

_CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
_XLSX_SUFFIXES = {".xlsx", ".xlsm"}
_ODS_SUFFIX = ".ods"
# Workbook formats uwagi does not read, and how staff save them as one it does.
UNREADABLE_WORKBOOKS = {
    ".xls": "format .xls (Excel 97-2003) nie jest obsługiwany; otwórz plik w Excelu i zapisz go jako .xlsx "
            "(Plik → Zapisz jako → Skoroszyt programu Excel) albo w LibreOffice jako .ods",
    ".xlsb": "format .xlsb (skoroszyt binarny Excela) nie jest obsługiwany; otwórz plik w Excelu i zapisz go jako "
             ".xlsx (Plik → Zapisz jako → Skoroszyt programu Excel)",
    ".numbers": "format .numbers (Apple Numbers) nie jest obsługiwany; wyeksportuj plik jako .xlsx lub .csv "
                "(Plik → Eksportuj do → Excel)",
}
_JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
# Rows searched for the header: room for a title, a date and a note above the table.
HEADER_SEARCH = 10
_DELIMITERS = ";,\t"  # ties go to ';', what Polish Excel writes
SNIFF_LINES = 200
_PHYSICAL_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")  # the line ends csv counts
# csv's default cap on one cell, 131,072 characters, is below a long letter pasted into a form; this one is far above
# any comment and still refuses a runaway cell with a message rather than exhausting memory.
FIELD_LIMIT = 20_000_000
csv.field_size_limit(FIELD_LIMIT)
_TOO_LONG = f"komórka dłuższa niż {FIELD_LIMIT:,} znaków".replace(",", " ")
NUL_SIGN = "\u2400"  # ␀, SYMBOL FOR NULL: how a NUL byte in a text file is shown
_STRAY_QUOTE = "cudzysłów bez pary: wiersz odczytano bez cudzysłowów, sprawdź jego pola"
# A formula cell whose <v> value element is missing or empty.
_UNCACHED_FORMULA = re.compile(rb"(?:</f>|<f[^>]*/>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>")


@dataclass
class RawTable:
    """A file as read: original headers, every cell a string ('' when empty)."""

    path: Path
    frame: pd.DataFrame
    rows: list[int]  # row number a spreadsheet shows (header = 1), or the JSON Lines line number
    errors: dict[int, str] = field(default_factory=dict)  # frame index -> why that record could not be read
    # frame index -> the record as written, where it could not be split into fields (its cells are then empty): it
    # becomes the text, so nothing is lost and no fragment lands in an id or a personal-data column
    raw: dict[int, str] = field(default_factory=dict)
    encoding: str | None = None  # of a text file; None for a workbook
    preamble_rows: int = 0  # non-blank rows above the header (a title, a date): not records
    document: DocumentInfo | None = None  # pages, extraction and OCR confidence of a PDF, DOCX, scan …
    roles: ColumnRoles | None = None  # which columns ingest took as text, id, personal data, provision
    skipped: str = ""  # why a file found in a folder, or needing OCR that is not installed, was not read


def read_table(
    path: str | Path, *, encoding: str | None = None, sheet: str | None = None, text_cols: Sequence[str] = (),
    max_unpacked_bytes: int = 1 << 30,
) -> RawTable:
    """Read one CSV, XLSX or JSON Lines file into a RawTable (format from the suffix, else from the content).

    In CSV and XLSX the header is the first non-blank row, unless a later one among the first few names the text
    column (`text_cols`, else a known text header): exports often start with a title row above the table. A
    workbook whose parts unpack to more than `max_unpacked_bytes` is refused unread.
    """
    path = Path(path)
    data = read_bytes(path)
    if not data.strip():
        raise UserError("plik jest pusty", path=path)
    kind = _kind(path, data)
    if kind == "ods":
        return _read_ods(path, sheet, text_cols)
    if kind == "xlsx":
        check_unpacked_size(path, data, max_unpacked_bytes)
        return _read_xlsx(path, data, sheet, text_cols)
    text, used = decode_bytes(data, path, encoding)
    check_text(text, path)
    table = _read_jsonl(path, text) if kind == "jsonl" else _read_csv(path, text, text_cols)
    if "\x00" in text or (kind == "jsonl" and "\\u0000" in text):
        _show_nul(table, NUL_SIGN if kind == "csv" else "\x00")
    table.encoding = used
    return table


def _show_nul(table: RawTable, written: str) -> None:
    """Show each NUL byte of the records (read as `written`) as ␀ and mark its record, naming the column: a NUL in
    a text export means a damaged file, and a character dropped without a word could have changed a number."""
    columns = [str(c) for c in table.frame.columns]
    cells = table.frame.to_numpy(dtype=object, copy=True)
    found: dict[int, list[str]] = {}
    for i, row in enumerate(cells):
        for j, value in enumerate(row):
            if written in value:
                cells[i, j] = value.replace(written, NUL_SIGN)
                found.setdefault(i, []).append(columns[j])
    for i, line in table.raw.items():
        if written in line:
            table.raw[i] = line.replace(written, NUL_SIGN)
            found.setdefault(i, [])
    table.frame = pd.DataFrame(cells, columns=table.frame.columns, dtype=object)
    for i, where in found.items():
        reason = (f"bajt zerowy (NUL) {f'w kolumnie {where[0]!r}' if where else 'w wierszu'}, pokazany jako "
                  f"{NUL_SIGN}: plik mógł zostać uszkodzony, porównaj z oryginałem")
        table.errors[i] = f"{table.errors[i]}; {reason}" if i in table.errors else reason


def read_bytes(path: Path) -> bytes:
    """The file's bytes, or a UserError that says why not: missing, a folder, no permission, a symlink loop."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        why = "dowiązanie symboliczne wskazuje nieistniejący plik" if path.is_symlink() else "plik nie istnieje"
        raise UserError(why, path=path) from None
    except IsADirectoryError:
        raise UserError("to jest katalog, a nie plik", path=path) from None
    except PermissionError:
        raise UserError("brak uprawnień do odczytu pliku", path=path) from None
    except OSError as exc:
        why = ("dowiązania symboliczne tworzą pętlę" if exc.errno == errno.ELOOP
               else f"nie można odczytać pliku ({exc.strerror or type(exc).__name__})")
        raise UserError(why, path=path) from None


def check_unpacked_size(path: Path, data: bytes, limit: int) -> None:
    """Refuse a workbook whose parts declare more than `limit` bytes unpacked (a decompression bomb) before any is
    unpacked. zipfile never yields more than an entry's declared size, so the declaration bounds what is read."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UserError(f"to nie jest poprawny skoroszyt XLSX ({type(exc).__name__})", path=path) from None
    if unpacked > limit:
        raise UserError(f"skoroszyt po rozpakowaniu zajmuje {unpacked / 2**20:,.0f} MB, więcej niż dozwolone "
                        f"{limit / 2**20:,.0f} MB (czy to na pewno eksport uwag?)".replace(",", " "), path=path)


def _kind(path: Path, data: bytes) -> str:
    suffix = path.suffix.lower()
    if suffix in UNREADABLE_WORKBOOKS:
        raise UserError(UNREADABLE_WORKBOOKS[suffix], path=path)
    if suffix == _ODS_SUFFIX:
        return "ods"
    if suffix in _XLSX_SUFFIXES or data.startswith(b"PK\x03\x04"):  # a zip is never text, whatever its name
        return "xlsx"
    if suffix in _JSONL_SUFFIXES:
        return "jsonl"
    if suffix in _CSV_SUFFIXES:
        return "csv"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "jsonl"
    return "csv"


def sniff_delimiter(text: str) -> tuple[str | None, int]:
    """The delimiter that splits most lines into the same number of fields, and that number; (None, 1) for a
    one-column file.

    Lines with a single field (a title above the table) say nothing, so they are left out. csv.Sniffer is not used:
    it guesses ',' for a one-column file whose texts hold commas, and gives up when a title line is above the table.
    """
    sample = [m.group() for m in islice(_PHYSICAL_LINE.finditer(text), SNIFF_LINES)]
    best: tuple[int, str, list[int]] | None = None  # (lines of the modal width, delimiter, width of each line)
    for delimiter in _DELIMITERS:
        lines = [len(f) for f in csv.reader(sample, delimiter=delimiter) if any(f)]
        multi = Counter(w for w in lines if w > 1)
        if multi and (best is None or multi.most_common(1)[0][1] > best[0]):
            best = (multi.most_common(1)[0][1], delimiter, lines)
    if best is None:
        return None, 1
    count, delimiter, lines = best
    width = Counter(w for w in lines if w > 1).most_common(1)[0][0]
    # Below any one-field title lines, a table has most rows this wide; comments with a stray comma do not.
    body = lines[next((i for i, w in enumerate(lines) if w > 1), len(lines)):]
    return (None, 1) if body.count(1) >= count else (delimiter, width)


class NotStrict(Exception):
    """A part of a CSV file holds a record strict CSV does not read as it is: how it is read depends on lines
    outside the part, so the file is read whole."""


def csv_lines(text: str, delimiter: str | None, width: int, path: Path | None = None, *, after_row: int = 0,
               strict: bool = False) -> list[tuple[int, list[str], str | None]]:
    """Non-blank records: the row a spreadsheet shows each on (blank lines are rows too, but not records), its
    fields, and why it is suspect, if it is.

    Hand-made files break the quoting rules. A quote closed mid-field (`"Program" powinien…`) is read as a
    spreadsheet reads it. A quote opened and never closed, or closed lines later by another stray quote, would
    swallow the rows below into one cell: when its record then has the wrong width (`width` fields), or the cell
    holds the next numbered row of the table, the line that opens it is read as written and marked suspect, and
    reading goes on from the next line.

    `text` may be a part of a file, starting with spreadsheet row `after_row` + 1; with `strict`, a record that is
    not strict CSV raises NotStrict (what reading it leniently gives can depend on lines beyond the part).
    """
    physical = _PHYSICAL_LINE.findall(text)
    records: list[tuple[int, list[str], str | None]] = []
    start, number = 0, after_row  # next physical line to read; spreadsheet rows read so far

    def as_written(i: int) -> list[str]:
        line = physical[i].rstrip("\r\n")
        return line.split(delimiter) if delimiter else [line]

    def numbered(i: int) -> int | None:
        """The row's number when line `i`, as written, is a numbered row as wide as the table ("3;Popieram…")."""
        # Asked of the first line of every record over several lines: its first cell and its delimiters, not the
        # line split (a comment's first paragraph).
        line = physical[i]
        first = (line.partition(delimiter)[0] if delimiter else line).strip()
        if not first.isdecimal() or (line.count(delimiter) + 1 if delimiter else 1) != width:
            return None
        return int(first)

    def swallows(first: int, last: int, fields: list[str]) -> bool:
        # A valid CSV record always has the table's width; a cell that holds the next numbered row is no text either.
        own = numbered(first)
        return width > 1 and ((len(fields) != width and len(as_written(first)) == width)
                              or (own is not None and any(numbered(i) == own + 1 for i in range(first + 1, last))))

    while start < len(physical):
        # NUL never occurs (it is shown as ␀), so as the delimiter it reads each line as one field.
        reader = csv.reader(islice(physical, start, None), delimiter=delimiter or "\x00", strict=True)
        done = 0  # physical lines of this pass behind the last whole record
        stray = False  # whether the record that stopped this pass swallowed rows
        try:
            for fields in reader:
                if reader.line_num - done > 1 and swallows(start + done, start + reader.line_num, fields):
                    stray = True
                    break
                number, done = number + 1, reader.line_num
                if "".join(fields).strip():  # a field with content (cheaper than asking each field)
                    records.append((number, fields, None))
            else:
                break
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise UserError(_TOO_LONG, path=path, row=number + 1) from None
            stray = "unexpected end of data" in str(exc)  # a quote never closed
        if strict:
            raise NotStrict(path)
        first, last = start + done, start + reader.line_num
        number += 1
        if stray or (last - first > 1 and swallows(first, last, [])):
            records.append((number, as_written(first), _STRAY_QUOTE))
            start = first + 1
        elif last - first > 1:  # a cell over several lines with text after its closing quote: read leniently
            lenient = csv.reader(islice(physical, first, None), delimiter=delimiter or "\x00")
            records.append((number, next(lenient), None))
            start = first + lenient.line_num
        else:  # a quote closed mid-field on one line: the line as written
            records.append((number, as_written(first), None))
            start = first + 1
    return records


def _read_csv(path: Path, text: str, text_cols: Sequence[str] = ()) -> RawTable:
    text = text.replace("\x00", NUL_SIGN)  # shown, and its record marked (`_show_nul`)
    delimiter, width = sniff_delimiter(text)
    lines = csv_lines(text, delimiter, width, path)
    if not lines:
        raise UserError("plik nie zawiera nagłówka", path=path)
    at = header_index([fields for _, fields, _ in lines[:HEADER_SEARCH]], text_cols)
    if delimiter and len(lines[at][1]) == 1:
        # A one-column table: a delimiter inside a text is part of that text, not a second field.
        delimiter = None
        lines = csv_lines(text, delimiter, 1, path)
    header = unique_headers(lines[at][1], path)
    return records_table(path, header, _rejoin_broken_lines(lines[at + 1:], len(header)), delimiter, at)


def records_table(path: Path, header: list[str], lines: Sequence[tuple[int, list[str], str | None]],
                  delimiter: str | None, preamble_rows: int = 0) -> RawTable:
    """The RawTable of the CSV records `lines` (`csv_lines`) below `header`: a record wider than the header is
    kept as written, its cells empty, and marked."""
    records: list[list[str]] = []
    rows: list[int] = []
    errors: dict[int, str] = {}
    raw: dict[int, str] = {}
    for number, fields, suspect in lines:
        if len(fields) > len(header) and any(f.strip() for f in fields[len(header):]):
            errors[len(records)] = f"wiersz ma {plural(len(fields), 'pole', 'pola', 'pól')}, a nagłówek {len(header)}"
            raw[len(records)] = (delimiter or "").join(fields)
            fields = []
        elif suspect:
            errors[len(records)] = suspect
        records.append((fields + [""] * len(header))[: len(header)])
        rows.append(number)
    return RawTable(path, pd.DataFrame(records, columns=header, dtype=object), rows, errors, raw=raw,
                    preamble_rows=preamble_rows)


def _rejoin_broken_lines(lines: list[tuple[int, list[str], str | None]], width: int
                         ) -> list[tuple[int, list[str], str | None]]:
    """Join a line break typed into a comment without quotes: in a table whose rows are numbered, a short row
    followed by a short one that is not numbered and whose fields complete the row. (Short rows alone are left
    short: Excel omits trailing empty fields.)"""
    numbered = sum(1 for _, fields, _ in lines if fields and fields[0].strip().isdecimal())
    if width < 2 or numbered < 0.8 * len(lines):
        return lines
    out: list[tuple[int, list[str], str | None]] = []
    for number, fields, suspect in lines:
        if out and completes(out[-1][1], fields, width):
            prev_number, prev, prev_suspect = out[-1]
            out[-1] = (prev_number, [*prev[:-1], f"{prev[-1]}\n{fields[0]}", *fields[1:]], prev_suspect or suspect)
            continue
        out.append((number, fields, suspect))
    return out


def completes(prev: Sequence[str], fields: Sequence[str], width: int) -> bool:
    """Whether the record `fields`, not numbered, is the rest of the short record `prev` broken by a line break."""
    return not fields[0].strip().isdecimal() and len(prev) < width and len(prev) + len(fields) - 1 == width


def unique_headers(fields: Sequence[object], path: Path) -> list[str]:
    """Headers as written; an empty one is `kolumna_N`, a repeated one gets `_2`, `_3`, never a name in use."""
    given = [str(f).strip().lstrip("\ufeff") if f is not None else "" for f in fields]
    taken = set(given)
    # Linear in the columns however many repeat one header: names found so far in a dict (ordered, looked up in
    # constant time), and each repeated header's count resumed from the suffix it last got.
    names: dict[str, None] = {}
    last: dict[str, int] = {}
    for i, name in enumerate(given, start=1):
        base = name or f"kolumna_{i}"
        candidate, n = base, 1
        while candidate in names or (candidate != name and candidate in taken):
            n = max(n, last.get(base, 1)) + 1
            candidate = f"{base}_{n}"
        names[candidate], last[base] = None, max(n, last.get(base, 1))
    return list(names)


def _read_jsonl(path: Path, text: str) -> RawTable:
    """JSON Lines, one object per line. A `.json` file holding one JSON document is read too: an array of objects
    element by element (`source_row` is the element's number), an object wrapping one such array (`{"uwagi": […]}`)
    likewise, any other object as one record."""
    text = text.lstrip("\ufeff")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        if text.lstrip().startswith("["):
            raise UserError(f"niepoprawna tablica JSON ({_JSON_MESSAGES.get(exc.msg, exc.msg)})", path=path,
                            row=exc.lineno) from None
        # Only "\n" ends a line: U+2028 and U+0085 may stand inside a JSON string.
        lines = [line.removesuffix("\r") for line in text.split("\n")]
        entries = [(number, parse_json_line(line), line) for number, line in enumerate(lines, 1) if line.strip()]
    else:
        if isinstance(document, dict):
            arrays = [v for v in document.values() if isinstance(v, list)]
            document = arrays[0] if len(arrays) == 1 and len(document) == 1 else [document]
        items = document if isinstance(document, list) else [document]
        entries = [(number, item, json.dumps(item, ensure_ascii=False)) for number, item in enumerate(items, 1)]
    if not entries:
        raise UserError("plik nie zawiera żadnych rekordów", path=path)
    return jsonl_table(path, entries)


def jsonl_table(path: Path, entries: Sequence[tuple[int, object, str]], columns: Sequence[str] | None = None
                ) -> RawTable:
    """The records of JSON Lines entries (line number, the parsed line or why it is unreadable, the line), in
    `columns` (default: every key of theirs, in the order first seen)."""
    records: list[dict[str, str]] = []
    errors: dict[int, str] = {}
    raw: dict[int, str] = {}
    for i, (number, obj, written) in enumerate(entries):
        if isinstance(obj, dict):
            records.append({str(k): _cell(v) for k, v in obj.items()})
            _check_cells(records[-1], path, number)
        else:
            errors[i] = obj if isinstance(obj, _Unreadable) else "rekord nie jest obiektem JSON"
            raw[i] = written
            records.append({})
    if columns is None:
        columns = list(dict.fromkeys(key for record in records for key in record))
    frame = pd.DataFrame([{c: r.get(c, "") for c in columns} for r in records], columns=columns, dtype=object)
    return RawTable(path, frame, [number for number, _, _ in entries], errors, raw=raw)


def _check_cells(record: dict[str, str], path: Path, number: int) -> None:
    """JSON Lines has no cell limit of its own: the CSV one holds, so a runaway value is refused, not analysed."""
    column = next((name for name, value in record.items() if len(value) > FIELD_LIMIT), None)
    if column is not None:
        raise UserError(_TOO_LONG, path=path, row=number, column=column)


class _Unreadable(str):
    """Why a JSON Lines line is not valid JSON."""


_JSON_MESSAGES = {
    "Expecting value": "oczekiwano wartości", "Unterminated string starting at": "niezamknięty napis",
    "Expecting ',' delimiter": "brak przecinka", "Expecting ':' delimiter": "brak dwukropka",
    "Extra data": "nadmiarowe znaki po obiekcie", "Invalid control character at": "niedozwolony znak sterujący",
    "Expecting property name enclosed in double quotes": "nazwa pola musi być w cudzysłowie",
    "Invalid \\escape": "niepoprawna sekwencja ze znakiem \\",
}


def parse_json_line(line: str) -> object:
    """One JSON Lines line parsed, or why it cannot be (a marker the records show as an unreadable row)."""
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        return _Unreadable(f"niepoprawny JSON ({_JSON_MESSAGES.get(exc.msg, exc.msg)}, znak {exc.colno})")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime) and value.time() == time():  # Excel stores a date as midnight of that day
        return value.date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _read_xlsx(path: Path, data: bytes, sheet: str | None, text_cols: Sequence[str] = ()) -> RawTable:
    grid, names = _sheet_cells(path, data, sheet, formulas=False)
    uncached: dict[int, list[int]] = {}  # row number -> the columns whose formula has no stored value
    if _has_uncached_formula(data):
        # Excel and LibreOffice store each formula's value; files written by scripts may not. Such a cell reads as
        # empty, so its formula is kept as the text and the record is marked, rather than lost.
        for number, (values, formulas) in enumerate(zip(grid, _sheet_cells(path, data, sheet, formulas=True)[0]), 1):
            for col, (value, formula) in enumerate(zip(values, formulas)):
                if not value.strip() and formula.startswith("="):
                    values[col] = formula
                    uncached.setdefault(number, []).append(col)
    return _grid_table(path, grid, names, sheet, text_cols, uncached)


def _read_ods(path: Path, sheet: str | None, text_cols: Sequence[str] = ()) -> RawTable:
    """A LibreOffice Calc workbook (pandas with odfpy), its cells as the XLSX reader gives them."""
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object, engine="odf")
    except Exception as exc:  # odfpy raises bare zip, XML and key errors for a damaged file
        raise UserError(f"to nie jest poprawny skoroszyt ODS ({type(exc).__name__})", path=path) from None
    names = list(sheets)
    if sheet is not None and sheet not in sheets:
        raise UserError(f"brak arkusza {sheet!r} (są: {', '.join(map(repr, names))})", path=path)
    if not names:
        raise UserError("skoroszyt nie ma arkuszy", path=path)
    frame = sheets[sheet if sheet is not None else names[0]]
    grid = [["" if pd.isna(v) else _cell(v.to_pydatetime() if isinstance(v, pd.Timestamp) else v) for v in row]
            for row in frame.itertuples(index=False, name=None)]
    return _grid_table(path, grid, names, sheet, text_cols, {})


def _grid_table(path: Path, grid: list[list[str]], names: list[str], sheet: str | None, text_cols: Sequence[str],
                uncached: dict[int, list[int]]) -> RawTable:
    """A workbook sheet's rows (every row, blank ones too, so numbers hold) as a RawTable below its header."""
    lines = [(number, cells) for number, cells in enumerate(grid, start=1) if any(c.strip() for c in cells)]
    if not lines:
        raise UserError("arkusz jest pusty", path=path)
    at = header_index([cells for _, cells in lines[:HEADER_SEARCH]], text_cols)
    header = unique_headers(lines[at][1], path)
    if sheet is None and len(names) > 1 and not _names_text(header, text_cols):
        raise UserError(f"pierwszy arkusz, „{names[0]}”, nie ma kolumny z treścią uwag; wskaż arkusz opcją --sheet "
                        f"(są: {', '.join(f'„{n}”' for n in names)})", path=path)
    records = [(cells + [""] * len(header))[: len(header)] for _, cells in lines[at + 1:]]
    rows = [number for number, _ in lines[at + 1:]]
    errors: dict[int, str] = {}
    for i, number in enumerate(rows):
        # Only a text cell makes the record unreadable; elsewhere the formula as written is all the value there is.
        in_text = [header[c] for c in uncached.get(number, ()) if c < len(header)
                   and _text_column(header[c], text_cols)]
        if in_text:
            errors[i] = (f"formuła bez zapisanej wartości (kolumna {in_text[0]!r}); otwórz plik w Excelu i zapisz "
                         "go ponownie")
    return RawTable(path, pd.DataFrame(records, columns=header, dtype=object), rows, errors, preamble_rows=at)


def _sheet_cells(path: Path, data: bytes, sheet: str | None, *, formulas: bool) -> tuple[list[list[str]], list[str]]:
    """Every row of the sheet (blank ones too, so row numbers hold), each cell as text, formulas as written when
    `formulas`, else their stored values; and the workbook's sheet names."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=not formulas)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UserError(f"to nie jest poprawny skoroszyt XLSX ({type(exc).__name__})", path=path) from None
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise UserError(f"brak arkusza {sheet!r} (są: {', '.join(map(repr, wb.sheetnames))})", path=path)
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        return [[_cell(v) for v in values] for values in ws.iter_rows(values_only=True)], list(wb.sheetnames)
    finally:
        wb.close()


def _has_uncached_formula(data: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return any(_streamed_search(archive, name) for name in archive.namelist()
                   if name.startswith("xl/worksheets/") and name.endswith(".xml"))


_CHUNK, _OVERLAP = 1 << 20, 4096  # a formula cell's XML is far shorter than the overlap


def _streamed_search(archive: zipfile.ZipFile, name: str) -> bool:
    """Whether a sheet holds a formula without a stored value, read in chunks: memory stays flat however large the
    sheet unpacks."""
    tail = b""
    with archive.open(name) as part:
        while chunk := part.read(_CHUNK):
            window = tail + chunk
            if _UNCACHED_FORMULA.search(window):
                return True
            tail = window[-_OVERLAP:]
    return False


def is_text_header(key: str) -> bool:
    return key in TEXT_HEADERS or any(key.startswith(h + " ") for h in TEXT_HEADERS)


def _text_column(name: str, text_cols: Sequence[str] = ()) -> bool:
    """Whether a column holds comment text: one of `text_cols`, else a known text header."""
    return name in text_cols if text_cols else is_text_header(header_key(name))


def _names_text(cells: Sequence[str], text_cols: Sequence[str] = ()) -> bool:
    """Whether a header row has the text columns (`text_cols`, else a known text header)."""
    names = {str(c).strip() for c in cells}
    return (set(text_cols) <= names) if text_cols else any(is_text_header(header_key(c)) for c in names if c)


def header_index(rows: Sequence[Sequence[str]], text_cols: Sequence[str] = ()) -> int:
    """Which of the first non-blank rows is the header: the first that holds every `text_cols` name; without
    them, the first that names a known text header if every row above it is a title, else the first row.

    A title is a row with one filled cell above a wider row ("Uwagi do projektu", "Stan na 15.10.2022"); it may name
    a text header itself. Only titles are ever skipped: a data row that reads like a header ("Uwaga do § 5") below
    a wider row is never taken for the header, so no record above it is lost. Names given with --text-col are
    trusted further: any rows above the row holding them (a title and a date in two cells) are titles.
    """
    if text_cols:
        return next((i for i, cells in enumerate(rows) if _names_text(cells, text_cols)), 0)
    widths = [sum(1 for c in cells if str(c).strip()) for cells in rows]
    for i, cells in enumerate(rows):
        if i and widths[i - 1] != 1:
            break  # a row above is not a title
        if i and widths[i] == 1:
            continue  # below a title only a wider row can be the header (in a one-column file, the first row is)
        if _names_text(cells) and not (widths[i] == 1 and max(widths) > 1):
            return i
    return 0
