"""Documents made for the tests: text PDFs, DOCX and ODT letters, form tables, and scans that look like a copier's.

A scan is Polish text rendered with a real TrueType font at 200 dpi, turned by a degree or two, with sensor noise
and toner specks, so OCR is tested on what an office scanner gives, not on a clean bitmap.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
SERIF, SANS = FONT_DIR / "DejaVuSerif.ttf", FONT_DIR / "DejaVuSans.ttf"
DPI = 200
# Every Polish letter, lower and upper case, in running text as a letter to the city has them.
POLISH_LETTER = [
    "Zażółć gęślą jaźń: źródło łąki, ćma i żółw nad rzeką.",
    "ĄĆĘŁŃÓŚŹŻ – tak piszemy w nagłówku: ŻÓŁW, ŚLĄSK, ŁÓDŹ.",
    "Proponujemy, aby w § 5 ust. 2 dodać zapis o współpracy",
    "z organizacjami pozarządowymi przy rewitalizacji dzielnic.",
    "Uzasadnienie: mieszkańcy Śródmieścia zgłaszają potrzebę",
    "świetlic dla młodzieży oraz większego wsparcia seniorów.",
]
FORM_HEADER = ["Lp.", "Część dokumentu", "Treść uwagi", "Proponowane brzmienie", "Uzasadnienie"]
FORM_ROWS = [
    ["1", "§ 3 ust. 1", "Brakuje celu dotyczącego seniorów.", "Dodać cel: wsparcie seniorów.",
     "W dzielnicy mieszka coraz więcej osób starszych."],
    ["2", "§ 5", "Termin naboru jest za krótki.", "Nabór trwa 30 dni.", "Małe organizacje nie zdążą."],
    ["3", "Załącznik nr 1", "Formularz jest nieczytelny.", "", "Trudno go wypełnić odręcznie."],
]


def require_tesseract() -> None:
    """Skip only where OCR cannot be installed by the test run itself: CI runs as root and installs it."""
    if shutil.which("tesseract") is None:
        if os.geteuid() == 0:
            pytest.fail("Tesseract is missing although the tests run as root: `make test` and .ci/run install "
                        "tesseract-ocr and tesseract-ocr-pol")
        pytest.skip("Tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-pol)")


def scan(lines: list[str], *, angle: float = 1.5, seed: int = 0, pt: int = 12) -> Image.Image:
    """A page as an office scanner gives it: 200 dpi, slightly rotated, grey noise and toner specks."""
    font = ImageFont.truetype(str(SERIF), round(pt * DPI / 72))
    line_height = round(pt * DPI / 72 * 1.5)
    width, height = int(8.27 * DPI), DPI + line_height * len(lines) + DPI // 2
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(lines):
        draw.text((int(0.8 * DPI), DPI // 2 + i * line_height), line, font=font, fill=0)
    page = page.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    rng = np.random.default_rng(seed)
    pixels = np.asarray(page).astype(np.int16) + rng.normal(0, 12, (page.height, page.width)).astype(np.int16)
    specks = rng.random(pixels.shape) < 0.01
    pixels[specks] = 255 - pixels[specks]
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def scanned_pdf(path: Path, pages: list[Image.Image]) -> Path:
    """A PDF with only images in it, as a scanner's "scan to PDF" writes."""
    pages[0].save(path, "PDF", resolution=DPI, save_all=True, append_images=pages[1:])
    return path


def text_pdf(path: Path, pages: list[list[str]]) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("dejavu", fname=str(SANS))
    pdf.set_font("dejavu", size=11)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def form_pdf(path: Path) -> Path:
    """The consultation form as a PDF: a title, then the form table with ruled cells."""
    from fpdf import FPDF

    pdf = FPDF(orientation="L")
    pdf.add_font("dejavu", fname=str(SANS))
    pdf.add_font("dejavu", style="B", fname=str(FONT_DIR / "DejaVuSans-Bold.ttf"))  # the header row is bold
    pdf.set_font("dejavu", size=9)
    pdf.add_page()
    pdf.cell(0, 10, "Formularz zgłaszania uwag do projektu programu współpracy", new_x="LMARGIN", new_y="NEXT")
    with pdf.table() as table:
        for cells in [FORM_HEADER, *FORM_ROWS]:
            row = table.row()
            for cell in cells:
                row.cell(cell)
    pdf.output(str(path))
    return path


def docx_letter(path: Path, paragraphs: list[str]) -> Path:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))
    return path


def docx_form(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_paragraph("Formularz zgłaszania uwag")
    table = document.add_table(rows=1 + len(FORM_ROWS), cols=len(FORM_HEADER))
    for r, cells in enumerate([FORM_HEADER, *FORM_ROWS]):
        for c, text in enumerate(cells):
            table.rows[r].cells[c].text = text
    document.save(str(path))
    return path


def odt_letter(path: Path, paragraphs: list[str]) -> Path:
    from odf.opendocument import OpenDocumentText
    from odf.text import P

    document = OpenDocumentText()
    for text in paragraphs:
        document.text.addElement(P(text=text))
    document.save(str(path))
    return path
