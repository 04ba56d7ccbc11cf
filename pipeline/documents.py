"""Documents: a letter or a form on paper or in a file (PDF, DOCX, ODT, RTF, TXT, a scan) -> a RawTable of comments.

One file is one comment. A file holding the consultation form's table (a header row naming the comment text,
e.g. "Lp. | Część dokumentu | Treść uwagi | Proponowane brzmienie | Uzasadnienie") gives one comment per table row,
its columns handled as a spreadsheet's. A letter with numbered points may be split into one comment per point
(`split_points`). Pages without a text layer (scans) and images are read by OCR (`pipeline.ocr`).

A file that cannot be read (a damaged PDF, an encrypted one) is one record with status `błąd` and the reason,
never a stop of the whole batch; only a missing OCR installation raises (`OcrUnavailable`), so that the caller
can skip the file and say which package to install.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from pipeline.clean import fold
from pipeline.decode import check_text, decode_bytes
from pipeline.ocr import read_page
from pipeline.points import split_points
from pipeline.readers import RawTable, header_index, header_key, is_text_header, unique_headers

if TYPE_CHECKING:  # Pillow is imported by the readers of scans only (`pipeline.ocr`)
    from PIL import Image

PDF_SUFFIXES = {".pdf"}
WORD_SUFFIXES = {".docx", ".odt", ".rtf"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
DOCUMENT_SUFFIXES = PDF_SUFFIXES | WORD_SUFFIXES | IMAGE_SUFFIXES
# `extraction`: how a document's text was obtained.
EXTRACTION_TEXT, EXTRACTION_OCR = "text", "ocr"
# The column a document's text is read into (the one a form table would call it).
TEXT_COLUMN = "Treść"
# A PDF page with fewer letters than this in its text layer is a scan (a stamp or a page number is not text).
_MIN_TEXT_LETTERS = 20
# Scans are rendered for OCR at this resolution: Tesseract reads 10–12 pt print best at about 300 dpi.
_OCR_DPI = 300
_PDF_POINTS_PER_INCH = 72
_FORM_COLUMNS = ("tresc uwagi", "proponowane brzmienie", "proponowany zapis", "propozycja zmiany", "uzasadnienie")
# A line break that pdfium marks as a word hyphenated at the line's end.
_PDF_SOFT_HYPHEN = "\x02"


_RTF_CODE_PAGE = re.compile(rb"\\ansicpg(\d+)")


@dataclass
class DocumentPage:
    number: int | None  # 1-based; None in formats without pages (DOCX, ODT, RTF, TXT)
    text: str
    extraction: str  # EXTRACTION_TEXT or EXTRACTION_OCR
    ocr_confidence: float | None = None


@dataclass
class DocumentInfo:
    """What a document adds to its RawTable: per record its pages, how its text was read and the OCR
    confidence (`records`, aligned with the frame), the text columns, and every page for run.json."""

    records: pd.DataFrame  # columns source_page, extraction, ocr_confidence
    text_columns: tuple[str, ...]
    pages: list[DocumentPage] = field(default_factory=list)


@dataclass
class _FormTable:
    header: list[str]
    rows: list[tuple[int, int, list[str]]]  # (page number or 0, table row number with header = 1, cells)


class _Unreadable(Exception):
    """The file is damaged or locked: one `błąd` record carries this reason."""


def read_document(path: Path, *, split: bool = False, text_cols: Sequence[str] = ()) -> RawTable:
    """Read one document into a RawTable: one record per file, per form-table row or (with `split`) per point."""
    try:
        pages, forms = _read_pages(path)
    except _Unreadable as exc:
        return _table(path, [""], [(1, "", "", None)], {0: str(exc)})
    if forms:
        return _form_table(path, forms, pages, text_cols)
    return _letter_table(path, pages, split)


def _read_pages(path: Path) -> tuple[list[DocumentPage], list[_FormTable]]:
    suffix = path.suffix.lower()
    data = path.read_bytes()
    if suffix in PDF_SUFFIXES:
        return _read_pdf(data)
    if suffix in IMAGE_SUFFIXES:
        return _read_image(data), []
    if suffix == ".docx":
        return _read_docx(data)
    if suffix == ".odt":
        return _read_odt(data)
    if suffix == ".rtf":
        return [DocumentPage(None, _read_rtf(data), EXTRACTION_TEXT)], []
    text, _ = decode_bytes(data, path)
    check_text(text, path)
    return [DocumentPage(None, text.lstrip("\ufeff"), EXTRACTION_TEXT)], []


# --- formats ---------------------------------------------------------------------------------------------------

def _read_pdf(data: bytes) -> tuple[list[DocumentPage], list[_FormTable]]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        reason = "plik PDF jest zaszyfrowany (chroniony hasłem)" if "password" in str(exc).lower() else \
            "uszkodzony plik PDF: nie da się go otworzyć"
        raise _Unreadable(reason) from None
    pages: list[DocumentPage] = []
    form_pages: list[int] = []
    try:
        for number, page in enumerate(pdf, start=1):
            text = page.get_textpage().get_text_bounded().replace("\r\n", "\n").replace("\r", "\n")
            text = text.replace(_PDF_SOFT_HYPHEN + "\n", "").replace(_PDF_SOFT_HYPHEN, "-")
            if sum(ch.isalpha() for ch in text) >= _MIN_TEXT_LETTERS:
                pages.append(DocumentPage(number, text, EXTRACTION_TEXT))
                if _mentions_form(text):
                    form_pages.append(number)
            else:
                image = page.render(scale=_OCR_DPI / _PDF_POINTS_PER_INCH, grayscale=True).to_pil()
                pages.append(_ocr(number, image))
    finally:
        pdf.close()
    return pages, (_pdf_forms(data, form_pages) if form_pages else [])


def _mentions_form(text: str) -> bool:
    """Cheap test before looking for table lines (the slow part of reading a PDF): does the page name two of the
    form's comment columns, as its header row does? A letter may say "Uzasadnienie" once."""
    folded = fold(text)
    return sum(name in folded for name in _FORM_COLUMNS) >= 2


def _pdf_forms(data: bytes, numbers: Sequence[int]) -> list[_FormTable]:
    """Form tables on the given pages (drawn table lines), a table continued on the next page without its header
    joining the one above."""
    import pdfplumber

    forms: list[_FormTable] = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for number in numbers:
            for rows in pdf.pages[number - 1].extract_tables():
                cells = [[" ".join((c or "").split()) if c else "" for c in row] for row in rows]
                _add_rows(forms, cells, number)
    return forms


def _read_image(data: bytes) -> list[DocumentPage]:
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        frames = [frame.copy() for frame in ImageSequence.Iterator(image)]
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise _Unreadable(f"uszkodzony lub nieobsługiwany obraz ({type(exc).__name__})") from None
    return [_ocr(number, frame) for number, frame in enumerate(frames, start=1)]


def _ocr(number: int, image: Image.Image) -> DocumentPage:
    import pytesseract

    try:
        page = read_page(image)
    except pytesseract.TesseractError as exc:
        raise _Unreadable(f"Tesseract nie odczytał strony {number} ({exc.message or exc.status})") from None
    return DocumentPage(number, page.text, EXTRACTION_OCR, page.confidence)


def _read_docx(data: bytes) -> tuple[list[DocumentPage], list[_FormTable]]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise _Unreadable(f"uszkodzony plik DOCX ({type(exc).__name__})") from None
    parts: list[str] = []
    forms: list[_FormTable] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            parts.append(block.text)
        elif isinstance(block, Table):
            rows = [[cell.text.strip() for cell in _unique_cells(row.cells)] for row in block.rows]
            if not _add_rows(forms, rows, 0):
                parts.extend("\t".join(row) for row in rows)
    return [DocumentPage(None, "\n".join(parts), EXTRACTION_TEXT)], forms


def _unique_cells(cells: Sequence[object]) -> list[object]:
    """python-docx repeats a merged cell once per grid column it spans; the text is there once."""
    out: list[object] = []
    for cell in cells:
        if not out or cell is not out[-1] and getattr(cell, "_tc", None) is not getattr(out[-1], "_tc", None):
            out.append(cell)
    return out


def _read_odt(data: bytes) -> tuple[list[DocumentPage], list[_FormTable]]:
    from odf import teletype
    from odf.namespaces import TABLENS, TEXTNS
    from odf.opendocument import load

    try:
        document = load(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, AttributeError) as exc:
        raise _Unreadable(f"uszkodzony plik ODT ({type(exc).__name__})") from None
    parts: list[str] = []
    forms: list[_FormTable] = []

    def walk(node: object) -> None:
        for child in getattr(node, "childNodes", ()):
            name = getattr(child, "qname", None)
            if name in ((TEXTNS, "p"), (TEXTNS, "h")):
                parts.append(teletype.extractText(child))
            elif name == (TABLENS, "table"):
                rows = [[teletype.extractText(cell).strip() for cell in row.childNodes
                         if getattr(cell, "qname", None) == (TABLENS, "table-cell")]
                        for row in _odt_rows(child)]
                if not _add_rows(forms, rows, 0):
                    parts.extend("\t".join(row) for row in rows)
            else:
                walk(child)

    walk(document.text)
    return [DocumentPage(None, "\n".join(parts), EXTRACTION_TEXT)], forms


def _odt_rows(table: object) -> Iterator[object]:
    from odf.namespaces import TABLENS

    for child in getattr(table, "childNodes", ()):
        name = getattr(child, "qname", None)
        if name == (TABLENS, "table-row"):
            yield child
        elif name in ((TABLENS, "table-header-rows"), (TABLENS, "table-rows")):
            yield from _odt_rows(child)


def _read_rtf(data: bytes) -> str:
    from striprtf.striprtf import rtf_to_text

    # The escaped bytes (\'b9 for ą) are in the code page the header names; Polish Word writes \ansicpg1250.
    declared = _RTF_CODE_PAGE.search(data[:4000])
    encoding = f"cp{declared.group(1).decode()}" if declared else "cp1250"
    try:
        return rtf_to_text(data.decode("latin-1"), encoding=encoding, errors="replace")
    except LookupError:
        return rtf_to_text(data.decode("latin-1"), encoding="cp1250", errors="replace")


# --- records -----------------------------------------------------------------------------------------------------

def _add_rows(forms: list[_FormTable], rows: list[list[str]], page: int) -> bool:
    """Take a table as (part of) a form: a header naming the comment text starts a form table; a table as wide as
    the last form table, without a header, continues it (a form broken across pages). False if it is neither."""
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return False
    at = header_index(rows[:3])
    header = rows[at]
    if len(header) > 1 and any(is_text_header(header_key(c)) for c in header if c):
        forms.append(_FormTable(header, []))
        body, first = rows[at + 1:], at + 2
    elif forms and len(rows[0]) == len(forms[-1].header):
        body, first = rows, (forms[-1].rows[-1][1] + 1 if forms[-1].rows else 2)
    else:
        return False
    forms[-1].rows.extend((page, first + i, row) for i, row in enumerate(body))
    return True


def _form_table(path: Path, forms: list[_FormTable], pages: list[DocumentPage],
                text_cols: Sequence[str]) -> RawTable:
    header = unique_headers(forms[0].header, path)
    records, meta = [], []
    for form in forms:
        names = unique_headers(form.header, path)
        for page, row_number, cells in form.rows:
            by_name = dict(zip(names, cells))
            records.append([by_name.get(name, "") for name in header])
            meta.append((row_number, str(page) if page else "", EXTRACTION_TEXT, None))
    frame = pd.DataFrame(records, columns=header, dtype=object)
    text = tuple(text_cols) if text_cols and set(text_cols) <= set(header) else tuple(
        c for c in header if is_text_header(header_key(c)))
    return _frame_table(path, frame, meta, {}, text, pages)


def _letter_table(path: Path, pages: list[DocumentPage], split: bool) -> RawTable:
    """The whole text as one record, or one per numbered point; each with the pages it spans."""
    text, starts = "", []
    for page in pages:
        if text:
            text += "\n\n"
        starts.append((len(text), page))
        text += page.text.strip("\n")
    spans = split_points(text) if split else []
    spans = spans or [(0, len(text))]
    texts, meta = [], []
    for number, (start, end) in enumerate(spans, start=1):
        covered = [p for i, (at, p) in enumerate(starts)
                   if at < end and (i + 1 == len(starts) or starts[i + 1][0] > start)] or pages[:1]
        texts.append(text[start:end].strip())
        meta.append((number, _page_range(covered), _extraction(covered), _min_confidence(covered)))
    return _table(path, texts, meta, {}, pages)


def _page_range(pages: Sequence[DocumentPage]) -> str:
    if not pages or pages[0].number is None:
        return ""
    first, last = pages[0].number, pages[-1].number
    return str(first) if first == last else f"{first}-{last}"


def _extraction(pages: Sequence[DocumentPage]) -> str:
    return EXTRACTION_OCR if any(p.extraction == EXTRACTION_OCR for p in pages) else EXTRACTION_TEXT


def _min_confidence(pages: Sequence[DocumentPage]) -> float | None:
    """A comment is as trustworthy as its worst-read page."""
    found = [p.ocr_confidence for p in pages if p.ocr_confidence is not None]
    return min(found) if found else None


def _table(path: Path, texts: list[str], meta: list[tuple[int, str, str, float | None]], errors: dict[int, str],
           pages: list[DocumentPage] | None = None) -> RawTable:
    frame = pd.DataFrame({TEXT_COLUMN: texts}, dtype=object)
    return _frame_table(path, frame, meta, errors, (TEXT_COLUMN,), pages or [])


def _frame_table(path: Path, frame: pd.DataFrame, meta: list[tuple[int, str, str, float | None]],
                 errors: dict[int, str], text_columns: tuple[str, ...], pages: list[DocumentPage]) -> RawTable:
    records = pd.DataFrame({
        "source_page": [m[1] for m in meta],
        "extraction": [m[2] for m in meta],
        "ocr_confidence": pd.array([math.nan if m[3] is None else m[3] for m in meta], dtype="float64"),
    })
    return RawTable(path, frame, [m[0] for m in meta], errors,
                    document=DocumentInfo(records, text_columns, pages))
