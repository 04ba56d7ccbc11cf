"""Ingest: consultation exports (CSV, XLSX, JSON Lines) -> one comments table.

Every record in a file becomes exactly one row: a record that cannot be read becomes a row with status `błąd` and
the reason in `error`, never a dropped row. Blank lines and wholly empty spreadsheet rows are not records.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import islice
from datetime import datetime, time
from pathlib import Path

import pandas as pd

from pipeline.clean import fold
from pipeline.columns import INGEST_COLUMNS, OUTPUT_COLUMNS
from pipeline.config import IngestConfig
from pipeline.errors import UserError
from pipeline.redact import detect_pii_columns

STATUS_OK, STATUS_EMPTY, STATUS_ERROR = "do analizy", "pusta", "błąd"

# Headers that name the comment text, most specific first; matched on folded headers.
TEXT_HEADERS = (
    "tresc uwagi", "tresc", "uwaga", "uwagi", "komentarz", "opis", "propozycja zmiany", "proponowany zapis",
    "uzasadnienie", "text", "comment",
)
_CANDIDATE_ENCODINGS = ["utf_8", "cp1250", "iso8859_2"]
_POLISH = set("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ")
_CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
_XLSX_SUFFIXES = {".xlsx", ".xlsm"}
_JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
# Rows searched for the header: room for a title, a date and a note above the table.
_HEADER_SEARCH = 10
_DELIMITERS = ";,\t"  # ties go to ';', what Polish Excel writes
_SNIFF_LINES = 200
# Text has at most a stray control character; random bytes have 10% of them.
_BINARY_SAMPLE, _BINARY_SHARE, _BINARY_MIN = 10_000, 0.05, 16
_PHYSICAL_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")  # the line ends csv counts
_REPEAT_SUFFIX = re.compile(r"_\d+$")
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


# ---------------------------------------------------------------------------------------------------------------
# Decoding


def decode_bytes(data: bytes, path: Path, encoding: str | None = None) -> tuple[str, str]:
    """Decode a text file; returns (text, encoding). UTF-8 (with or without BOM), cp1250 and ISO-8859-2."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise UserError(f"nieznane kodowanie {encoding!r}", path=path) from None
        except UnicodeDecodeError as exc:
            raise UserError(
                f"plik nie jest w kodowaniu {encoding} (bajt {exc.start}, wiersz {_line_of(data, exc.start)})", path=path
            ) from None
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data, "utf-8-sig", path), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export
        return _strict(data, "utf-16", path), "utf-16"
    # Without a BOM, UTF-16 shows itself by a NUL in every other byte (the high byte of ASCII letters).
    for encoding, highs in (("utf-16-le", data[1::2]), ("utf-16-be", data[0::2])):
        if len(data) % 2 == 0 and highs.count(0) > len(highs) * 0.3 and _decodes(data, encoding):
            return data.decode(encoding), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    mixed = _decode_mixed(data)
    if mixed:
        return mixed
    from charset_normalizer import from_bytes

    # A lenient threshold: comments dense in ą, ś, ź read as "chaotic" to the detector's default of 0.2.
    detected = [m.encoding for m in from_bytes(data, cp_isolation=_CANDIDATE_ENCODINGS, threshold=0.6)]
    # cp1250 and ISO-8859-2 differ exactly on ą ś ź Ą Ś Ź, and short files fool statistical detectors, so between
    # those two the decoding that yields more Polish letters (and no C1 control characters) wins.
    candidates = [enc for enc in ("cp1250", "iso8859_2") if _decodes(data, enc)]
    if not candidates:
        raise UserError(
            "nie udało się rozpoznać kodowania pliku (oczekiwano UTF-8, cp1250 lub ISO-8859-2)", path=path
        )
    best = max(candidates, key=lambda enc: (_polish_score(data, enc), enc in detected))
    return data.decode(best), best


def _decode_mixed(data: bytes) -> tuple[str, str] | None:
    """Lines in UTF-8 among lines in cp1250 or ISO-8859-2: two exports pasted together, or mojibake saved in cp1250
    ("WspĂłĹ‚praca" there is the UTF-8 bytes of "Współpraca"). Decoded whole in either encoding, one part would be
    mojibake, so each line is decoded in its own. UTF-8 is recognised by Polish letters it yields: one-byte Polish
    text practically never decodes as UTF-8 into them."""
    lines = data.splitlines(keepends=True)
    in_utf8, other = False, []
    for i, line in enumerate(lines):
        try:
            decoded = line.decode("utf-8")
        except UnicodeDecodeError:
            other.append(i)
            continue
        in_utf8 = in_utf8 or any(ch in _POLISH for ch in decoded)
    rest = b"".join(lines[i] for i in other)
    candidates = [enc for enc in ("cp1250", "iso8859_2") if _decodes(rest, enc)]
    if not in_utf8 or not candidates:
        return None
    single = max(candidates, key=lambda enc: _polish_score(rest, enc))
    legacy = set(other)
    text = "".join(line.decode(single if i in legacy else "utf-8") for i, line in enumerate(lines))
    return text, f"utf-8+{single}"


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _strict(data: bytes, encoding: str, path: Path) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UserError(
            f"niepoprawne bajty {encoding.upper().removesuffix('-SIG')} (bajt {exc.start}, wiersz "
            f"{_line_of(data, exc.start)})", path=path
        ) from None


def _check_text(text: str, path: Path) -> None:
    """Refuse binary content (an image, a .doc renamed .csv) instead of reading noise as comments."""
    sample = text[:_BINARY_SAMPLE]
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\r\n\v\f")
    if controls >= max(_BINARY_MIN, len(sample) * _BINARY_SHARE):
        raise UserError("plik zawiera znaki binarne: to nie jest tekst CSV ani JSON Lines w obsługiwanym kodowaniu "
                        "(UTF-8, UTF-16, cp1250, ISO-8859-2)", path=path)


def _polish_score(data: bytes, encoding: str) -> int:
    text = data.decode(encoding, errors="replace")
    controls = sum(1 for ch in text if "\x80" <= ch <= "\x9f" or ch == "\ufffd")
    return sum(1 for ch in text if ch in _POLISH) - 5 * controls


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


# ---------------------------------------------------------------------------------------------------------------
# Readers: file -> RawTable


def read_table(
    path: str | Path, *, encoding: str | None = None, sheet: str | None = None, text_cols: Sequence[str] = ()
) -> RawTable:
    """Read one CSV, XLSX or JSON Lines file into a RawTable (format from the suffix, else from the content).

    In CSV and XLSX the header is the first non-blank row, unless a later one among the first few names the text
    column (`text_cols`, else a known text header): exports often start with a title row above the table.
    """
    path = Path(path)
    if not path.exists():
        raise UserError("plik nie istnieje", path=path)
    if path.is_dir():
        raise UserError("to jest katalog, a nie plik", path=path)
    data = path.read_bytes()
    if not data.strip():
        raise UserError("plik jest pusty", path=path)
    kind = _kind(path, data)
    if kind == "xlsx":
        return _read_xlsx(path, data, sheet, text_cols)
    text, used = decode_bytes(data, path, encoding)
    _check_text(text, path)
    table = _read_jsonl(path, text) if kind == "jsonl" else _read_csv(path, text, text_cols)
    table.encoding = used
    return table


def _kind(path: Path, data: bytes) -> str:
    suffix = path.suffix.lower()
    if suffix in _XLSX_SUFFIXES or data.startswith(b"PK\x03\x04"):  # a zip is never text, whatever its name
        return "xlsx"
    if suffix in _JSONL_SUFFIXES:
        return "jsonl"
    if suffix in _CSV_SUFFIXES:
        return "csv"
    if suffix == ".xls":
        raise UserError("format .xls (Excel 97-2003) nie jest obsługiwany; zapisz plik jako .xlsx lub .csv", path=path)
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "jsonl"
    return "csv"


def _sniff_delimiter(text: str) -> tuple[str | None, int]:
    """The delimiter that splits most lines into the same number of fields, and that number; (None, 1) for a
    one-column file.

    Lines with a single field (a title above the table) say nothing, so they are left out. csv.Sniffer is not used:
    it guesses ',' for a one-column file whose texts hold commas, and gives up when a title line is above the table.
    """
    sample = "".join(m.group() for m in islice(_PHYSICAL_LINE.finditer(text), _SNIFF_LINES))
    best, best_widths = None, Counter[int]()
    for delimiter in _DELIMITERS:
        widths = Counter(len(f) for f in csv.reader(io.StringIO(sample), delimiter=delimiter) if any(f))
        multi = Counter({w: n for w, n in widths.items() if w > 1})
        if multi and (not best or max(multi.values()) > max(n for w, n in best_widths.items() if w > 1)):
            best, best_widths = delimiter, widths
    if best is None:
        return None, 1
    width, count = max(((w, n) for w, n in best_widths.items() if w > 1), key=lambda wn: wn[1])
    # Below any one-field title lines, a table has most rows this wide; comments with a stray comma do not.
    lines = [len(f) for f in csv.reader(io.StringIO(sample), delimiter=best) if any(f)]
    body = lines[next((i for i, w in enumerate(lines) if w > 1), len(lines)):]
    return (None, 1) if body.count(1) >= count else (best, width)


def _csv_lines(text: str, delimiter: str | None, width: int) -> list[tuple[int, list[str], str | None]]:
    """Non-blank records: the row a spreadsheet shows each on (blank lines are rows too, but not records), its
    fields, and why it is suspect, if it is.

    Hand-made files break the quoting rules. A quote closed mid-field (`"Program" powinien…`) is read as a
    spreadsheet reads it. A quote opened and never closed, or closed lines later by another stray quote, would
    swallow the rows below into one cell: when its record then has the wrong width (`width` fields), or the cell
    holds the next numbered row of the table, the line that opens it is read as written and marked suspect, and
    reading goes on from the next line.
    """
    physical = _PHYSICAL_LINE.findall(text)
    records: list[tuple[int, list[str], str | None]] = []
    start, number = 0, 0  # next physical line to read; spreadsheet rows read so far

    def as_written(i: int) -> list[str]:
        line = physical[i].rstrip("\r\n")
        return line.split(delimiter) if delimiter else [line]

    def numbered(i: int) -> int | None:
        """The row's number when line `i`, as written, is a numbered row as wide as the table ("3;Popieram…")."""
        cells = as_written(i)
        return int(cells[0]) if len(cells) == width and cells[0].strip().isdigit() else None

    def swallows(first: int, last: int, fields: list[str]) -> bool:
        # A valid CSV record always has the table's width; a cell that holds the next numbered row is no text either.
        own = numbered(first)
        return width > 1 and ((len(fields) != width and len(as_written(first)) == width)
                              or (own is not None and any(numbered(i) == own + 1 for i in range(first + 1, last))))

    while start < len(physical):
        # NUL never occurs (it is stripped), so as the delimiter it reads each line as one field.
        reader = csv.reader(islice(physical, start, None), delimiter=delimiter or "\x00", strict=True)
        done = 0  # physical lines of this pass behind the last whole record
        stray = False  # whether the record that stopped this pass swallowed rows
        try:
            for fields in reader:
                if reader.line_num - done > 1 and swallows(start + done, start + reader.line_num, fields):
                    stray = True
                    break
                number, done = number + 1, reader.line_num
                if any(f.strip() for f in fields):
                    records.append((number, fields, None))
            else:
                break
        except csv.Error as exc:
            stray = "unexpected end of data" in str(exc)  # a quote never closed
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
    text = text.replace("\x00", "")
    delimiter, width = _sniff_delimiter(text)
    lines = _csv_lines(text, delimiter, width)
    if not lines:
        raise UserError("plik nie zawiera nagłówka", path=path)
    at = header_index([fields for _, fields, _ in lines[:_HEADER_SEARCH]], text_cols)
    if delimiter and len(lines[at][1]) == 1:
        # A one-column table: a delimiter inside a text is part of that text, not a second field.
        delimiter = None
        lines = _csv_lines(text, delimiter, 1)
    header = _unique_headers(lines[at][1], path)
    records: list[list[str]] = []
    rows: list[int] = []
    errors: dict[int, str] = {}
    raw: dict[int, str] = {}
    for number, fields, suspect in lines[at + 1:]:
        if len(fields) > len(header) and any(f.strip() for f in fields[len(header):]):
            errors[len(records)] = f"wiersz ma {_fields(len(fields))}, a nagłówek {len(header)}"
            raw[len(records)] = (delimiter or "").join(fields)
            fields = []
        elif suspect:
            errors[len(records)] = suspect
        records.append((fields + [""] * len(header))[: len(header)])
        rows.append(number)
    return RawTable(path, pd.DataFrame(records, columns=header, dtype=object), rows, errors, raw=raw,
                    preamble_rows=at)


def _fields(n: int) -> str:
    """'3 pola', '5 pól', '22 pola': Polish plural of a field count (never 1 here: it is always too many)."""
    return f"{n} {'pola' if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14) else 'pól'}"


def _unique_headers(fields: Sequence[object], path: Path) -> list[str]:
    """Headers as written; an empty one is `kolumna_N`, a repeated one gets `_2`, `_3`, never a name in use."""
    given = [str(f).strip().lstrip("\ufeff") if f is not None else "" for f in fields]
    taken = set(given)
    names: list[str] = []
    for i, name in enumerate(given, start=1):
        candidate, n = name or f"kolumna_{i}", 1
        while candidate in names or (candidate != name and candidate in taken):
            n += 1
            candidate = f"{name or f'kolumna_{i}'}_{n}"
        names.append(candidate)
    return names


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
        entries = [(number, _parse_line(line), line) for number, line in enumerate(lines, 1) if line.strip()]
    else:
        if isinstance(document, dict):
            arrays = [v for v in document.values() if isinstance(v, list)]
            document = arrays[0] if len(arrays) == 1 and len(document) == 1 else [document]
        items = document if isinstance(document, list) else [document]
        entries = [(number, item, json.dumps(item, ensure_ascii=False)) for number, item in enumerate(items, 1)]
    records: list[dict[str, str]] = []
    errors: dict[int, str] = {}
    raw: dict[int, str] = {}
    for i, (_, obj, written) in enumerate(entries):
        if isinstance(obj, dict):
            records.append({str(k): _cell(v) for k, v in obj.items()})
        else:
            errors[i] = obj if isinstance(obj, _Unreadable) else "rekord nie jest obiektem JSON"
            raw[i] = written
            records.append({})
    if not records:
        raise UserError("plik nie zawiera żadnych rekordów", path=path)
    columns = list(dict.fromkeys(key for record in records for key in record))
    frame = pd.DataFrame([{c: r.get(c, "") for c in columns} for r in records], columns=columns, dtype=object)
    return RawTable(path, frame, [number for number, _, _ in entries], errors, raw=raw)


class _Unreadable(str):
    """Why a JSON Lines line is not valid JSON."""


_JSON_MESSAGES = {
    "Expecting value": "oczekiwano wartości", "Unterminated string starting at": "niezamknięty napis",
    "Expecting ',' delimiter": "brak przecinka", "Expecting ':' delimiter": "brak dwukropka",
    "Extra data": "nadmiarowe znaki po obiekcie", "Invalid control character at": "niedozwolony znak sterujący",
    "Expecting property name enclosed in double quotes": "nazwa pola musi być w cudzysłowie",
    "Invalid \\escape": "niepoprawna sekwencja ze znakiem \\",
}


def _parse_line(line: str) -> object:
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
    lines = [(number, cells) for number, cells in enumerate(grid, start=1) if any(c.strip() for c in cells)]
    if not lines:
        raise UserError("arkusz jest pusty", path=path)
    at = header_index([cells for _, cells in lines[:_HEADER_SEARCH]], text_cols)
    header = _unique_headers(lines[at][1], path)
    if sheet is None and len(names) > 1 and not _names_text(header, text_cols):
        raise UserError(f"pierwszy arkusz, „{names[0]}”, nie ma kolumny z treścią uwag; wskaż arkusz opcją --sheet "
                        f"(są: {', '.join(f'„{n}”' for n in names)})", path=path)
    records = [(cells + [""] * len(header))[: len(header)] for _, cells in lines[at + 1:]]
    rows = [number for number, _ in lines[at + 1:]]
    errors: dict[int, str] = {}
    for i, number in enumerate(rows):
        # Only a text cell makes the record unreadable; elsewhere the formula as written is all the value there is.
        text_col = next((col for col in uncached.get(number, ()) if col < len(header)
                         and (header[col] in text_cols if text_cols else _is_text_header(_header_key(header[col])))),
                        None)
        if text_col is not None:
            errors[i] = (f"formuła bez zapisanej wartości (kolumna {header[text_col]!r}); otwórz plik w Excelu i "
                         "zapisz go ponownie")
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
        return any(_UNCACHED_FORMULA.search(archive.read(name)) for name in archive.namelist()
                   if name.startswith("xl/worksheets/") and name.endswith(".xml"))


# ---------------------------------------------------------------------------------------------------------------
# Columns


def _header_key(name: str) -> str:
    return fold(_REPEAT_SUFFIX.sub("", name))  # a repeated "Treść uwagi" is named "Treść uwagi_2" on reading


def _is_text_header(key: str) -> bool:
    return key in TEXT_HEADERS or any(key.startswith(h + " ") for h in TEXT_HEADERS)


def _names_text(cells: Sequence[str], text_cols: Sequence[str] = ()) -> bool:
    """Whether a header row has the text columns (`text_cols`, else a known text header)."""
    names = {str(c).strip() for c in cells}
    return (set(text_cols) <= names) if text_cols else any(_is_text_header(_header_key(c)) for c in names if c)


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


def find_text_columns(columns: Sequence[str], explicit: Sequence[str] = (), path: Path | None = None) -> list[str]:
    """The text columns: the explicit ones (which must exist), else every column with a known text header."""
    if explicit:
        missing = [c for c in explicit if c not in columns]
        if missing:
            raise UserError(
                f"brak kolumny tekstu (są: {_listing(columns)})", path=path, column=missing[0]
            )
        return list(dict.fromkeys(explicit))
    keys = {c: _header_key(c) for c in columns}
    exact = [c for c in columns if keys[c] in TEXT_HEADERS]
    if exact:
        return exact
    prefixed = [c for c in columns if _is_text_header(keys[c])]
    if prefixed:
        return prefixed
    raise UserError(
        f"nie znaleziono kolumny z treścią uwag (są: {_listing(columns)}); wskaż ją opcją --text-col",
        path=path,
    )


def _listing(columns: Sequence[str], limit: int = 12) -> str:
    """Column names for an error message: a long cell read as a header must not flood the one line."""
    names = [c if len(c) <= 40 else c[:39] + "…" for c in map(str, columns)]
    return ", ".join(names[:limit]) + (f" i {len(names) - limit} innych" if len(names) > limit else "")


def join_text(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """One text per row; several columns are joined, each non-empty part labelled with its header."""
    if len(columns) == 1:
        return [str(v) for v in frame[columns[0]].tolist()]
    texts = []
    for values in zip(*(frame[c].tolist() for c in columns)):
        parts = [f"{_REPEAT_SUFFIX.sub('', c)}: {str(v).strip()}" for c, v in zip(columns, values) if str(v).strip()]
        texts.append("\n\n".join(parts))
    return texts


def comment_ids(texts: Sequence[str]) -> list[str]:
    """Short hash of the folded text plus its occurrence number within the batch: stable, position-independent."""
    seen: Counter[str] = Counter()
    ids = []
    for text in texts:
        digest = hashlib.sha1(fold(text).encode("utf-8")).hexdigest()[:10]
        seen[digest] += 1
        ids.append(f"{digest}-{seen[digest]}")
    return ids


def _unique_ids(values: Sequence[str], fallback: Sequence[str]) -> list[str]:
    """--id-col values; an empty one takes the hash id, a repeated one the first free -2, -3 suffix (never a value
    given elsewhere in the batch), so ids stay unique."""
    given = {v.strip() for v in values}
    used: set[str] = set()
    out = []
    for value, alt in zip(values, fallback):
        value = value.strip() or alt
        candidate, n = value, 1
        while candidate in used or (n > 1 and candidate in given):
            n += 1
            candidate = f"{value}-{n}"
        used.add(candidate)
        out.append(candidate)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Tables -> the comments table


def to_comments(table: RawTable, cfg: IngestConfig, source_file: str, personal_id: bool = False,
                names: dict[str, str] | None = None) -> pd.DataFrame:
    """Map one RawTable to comment rows (ids are assigned later, over the whole batch). A `personal_id` column
    passes through like any other column instead of giving the ids; `names` are the pass-through columns' output
    names (`passthrough_names`)."""
    frame = table.frame
    text_cols = find_text_columns(list(frame.columns), cfg.text_cols, table.path)
    if cfg.id_col and cfg.id_col not in frame.columns:
        raise UserError("brak kolumny identyfikatora", path=table.path, column=cfg.id_col)
    if cfg.submitter_col and cfg.submitter_col not in frame.columns:
        raise UserError("brak kolumny z typem zgłaszającego", path=table.path, column=cfg.submitter_col)
    texts = join_text(frame, text_cols)
    for i, line in table.raw.items():
        texts[i] = line
    status = [STATUS_OK if t.strip() else STATUS_EMPTY for t in texts]
    errors = [""] * len(texts)
    for i, reason in table.errors.items():
        status[i], errors[i] = STATUS_ERROR, reason
    out = pd.DataFrame(
        {
            "source_file": source_file,
            "source_row": pd.array(table.rows, dtype="int64"),
            "text": texts,
            "status": status,
            "error": errors,
            "_id_value": frame[cfg.id_col].tolist() if cfg.id_col and not personal_id else [""] * len(texts),
        }
    )
    used = set(text_cols) | ({cfg.id_col} if cfg.id_col and not personal_id else set())
    names = names or passthrough_names([list(frame.columns)])
    for col in frame.columns:
        if col not in used:
            out[names[col]] = frame[col].tolist()
    return out


def passthrough_names(headers: Sequence[Sequence[str]]) -> dict[str, str]:
    """Output name of every input column, the same for all files of a batch: a name of an output column gets `in_`,
    and `in_` again while that is an input column too ("status" next to another file's "in_status")."""
    taken = set(OUTPUT_COLUMNS) | {c for cols in headers for c in cols}
    names: dict[str, str] = {}
    for col in dict.fromkeys(c for cols in headers for c in cols):
        name = col
        if col in OUTPUT_COLUMNS or col.startswith("_"):
            name = f"in_{col}"
            while name in taken:
                name = f"in_{name}"
            taken.add(name)
        names[col] = name
    return names


def ingest(paths: Sequence[str | Path], cfg: IngestConfig) -> tuple[pd.DataFrame, list[RawTable]]:
    """Read every input into one batch, in input order, with stable comment ids."""
    if not paths:
        raise UserError("nie podano plików wejściowych")
    tables = [read_table(p, encoding=cfg.encoding, sheet=cfg.sheet, text_cols=cfg.text_cols) for p in paths]
    if cfg.sheet is not None and all(t.encoding is not None for t in tables):
        raise UserError(f"--sheet {cfg.sheet!r} wybiera arkusz skoroszytu XLSX, a żaden plik wejściowy nim nie jest")
    # An id that is personal data (e-mails, names) would travel into research.* as every id, cluster id and reason:
    # the hash id takes its place, and the column stays in the staff table as a personal-data column.
    personal_id = cfg.id_col is not None and (cfg.id_col in cfg.pii_cols or bool(detect_pii_columns([cfg.id_col])))
    names = [t.path.name for t in tables]
    clashes = {n for n, k in Counter(names).items() if k > 1}
    columns = passthrough_names([list(t.frame.columns) for t in tables])
    parts = [to_comments(t, cfg, str(t.path) if n in clashes else n, personal_id, columns)
             for t, n in zip(tables, names)]
    df = pd.concat(parts, ignore_index=True, sort=False) if len(parts) > 1 else parts[0]
    passthrough = [c for c in df.columns if c not in INGEST_COLUMNS and c != "_id_value"]
    df[passthrough] = df[passthrough].fillna("")
    given, hashed = df.pop("_id_value").tolist(), comment_ids(df["text"].tolist())
    df.insert(0, "comment_id", _unique_ids(given, hashed) if cfg.id_col and not personal_id else hashed)
    return df[[*INGEST_COLUMNS, *passthrough]], tables
