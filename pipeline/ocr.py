"""OCR: a scanned page (an image) -> its Polish text and a confidence, through Tesseract.

Scans from an office copier are slightly rotated and speckled. The page is straightened first (Tesseract reads
text lines that are off by a degree or two noticeably worse), then read with the Polish language data. The
confidence is Tesseract's own per-word confidence, averaged over the page's characters, on a 0–1 scale.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # Pillow costs 0.25 s to import (its EXIF tag enums): only a run that reads a scan pays for it
    from PIL import Image

LANGUAGE = "pol"
# Debian packages that provide what OCR needs; named to the user when one is missing.
TESSERACT_PACKAGE, POLISH_PACKAGE = "tesseract-ocr", "tesseract-ocr-pol"
# Skew searched, in degrees: a page fed by hand is off by a few degrees at most; more is a page turned sideways.
_MAX_SKEW, _COARSE_STEP, _FINE_STEP = 5.0, 0.5, 0.1
# The skew is estimated on a copy this wide: enough lines to measure, fast on a full page.
_SKEW_WIDTH = 800


# Tesseract reads "§" as "$" in most fonts; in a Polish letter a "$" before a number is a section sign.
_SECTION_SIGN = re.compile(r"\$(?=\s?\d)")


class OcrUnavailable(Exception):
    """Tesseract or its Polish data is not installed; the message names the Debian package to install."""


@dataclass(frozen=True)
class OcrPage:
    text: str
    confidence: float  # 0–1, mean of the words' confidences weighted by their length; 0 when no word was read
    skew: float  # degrees the page was turned back by before reading


@lru_cache(maxsize=1)
def check_available() -> None:
    """Raise OcrUnavailable naming the missing Debian package; a found installation is remembered."""
    if shutil.which("tesseract") is None:
        raise OcrUnavailable(f"brak programu Tesseract do rozpoznawania skanów (zainstaluj pakiet {TESSERACT_PACKAGE}"
                             f" i {POLISH_PACKAGE})")
    import pytesseract

    if LANGUAGE not in pytesseract.get_languages(config=""):
        raise OcrUnavailable(f"brak danych języka polskiego dla Tesseracta (zainstaluj pakiet {POLISH_PACKAGE})")


def _ink(image: Image.Image, width: int) -> np.ndarray:
    """A small binary copy of the page: 1 where there is ink."""
    from PIL import Image, ImageOps

    gray = ImageOps.grayscale(image)
    if gray.width > width:
        gray = gray.resize((width, max(1, round(gray.height * width / gray.width))), Image.Resampling.BILINEAR)
    pixels = np.asarray(gray, dtype=np.float32)
    return (pixels < min(128.0, float(pixels.mean()) - 30.0)).astype(np.float32)


def _profile_score(ink: np.ndarray, angle: float) -> float:
    """How sharply the rows of ink separate into lines when the page is turned by `angle`: text lines aligned with
    the rows give rows full of ink between empty ones, so the row sums vary most."""
    from PIL import Image

    turned = Image.fromarray((ink * 255).astype(np.uint8)).rotate(angle, resample=Image.Resampling.NEAREST,
                                                                  fillcolor=0)
    rows = np.asarray(turned, dtype=np.float32).sum(axis=1)
    return float(np.var(np.diff(rows)))


def estimate_skew(image: Image.Image) -> float:
    """The angle (degrees, counter-clockwise) that straightens the text lines, by projection profiles."""
    ink = _ink(image, _SKEW_WIDTH)
    if ink.sum() == 0:
        return 0.0
    coarse = np.arange(-_MAX_SKEW, _MAX_SKEW + 1e-9, _COARSE_STEP)
    best = max(coarse, key=lambda a: _profile_score(ink, float(a)))
    fine = np.arange(best - _COARSE_STEP, best + _COARSE_STEP + 1e-9, _FINE_STEP)
    return round(float(max(fine, key=lambda a: _profile_score(ink, float(a)))), 2)


def deskew(image: Image.Image) -> tuple[Image.Image, float]:
    """The page turned straight, and the angle it was turned by."""
    from PIL import Image, ImageOps

    angle = estimate_skew(image)
    gray = ImageOps.grayscale(image)
    if abs(angle) < _FINE_STEP:
        return gray, 0.0
    return gray.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255), angle


def _otsu(pixels: np.ndarray) -> int:
    """The grey level that best separates ink from paper (Otsu's method)."""
    hist = np.bincount(pixels.ravel(), minlength=256).astype(np.float64)
    weight = np.cumsum(hist)
    mean = np.cumsum(hist * np.arange(256))
    total, total_mean = weight[-1], mean[-1]
    between = (total_mean * weight - mean * total) ** 2 / np.maximum(weight * (total - weight), 1e-9)
    return int(np.argmax(between[:-1]))


def clean_scan(gray: Image.Image) -> Image.Image:
    """Specks removed (a 3×3 median keeps strokes, drops dust and toner dots) and the page made black on white,
    which Tesseract's own thresholding does worse on uneven copier grey."""
    from PIL import Image, ImageFilter

    smooth = gray.filter(ImageFilter.MedianFilter(3))
    pixels = np.asarray(smooth, dtype=np.uint8)
    return Image.fromarray(np.where(pixels > _otsu(pixels), 255, 0).astype(np.uint8))


def read_page(image: Image.Image) -> OcrPage:
    """OCR one page in Polish: straightened, read as blocks of text, with the confidence of what was read."""
    check_available()
    import pytesseract

    # Tesseract's OpenMP threads fight over a busy machine's cores: one thread read a page 3.4 times faster here
    # (1.96 s against 6.7 s with 2 cores under load), and pages of a batch are many anyway.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    straight, angle = deskew(image)
    data = pytesseract.image_to_data(clean_scan(straight), lang=LANGUAGE, config="--psm 3",
                                     output_type=pytesseract.Output.DICT)
    lines: dict[tuple[int, int, int], list[str]] = {}
    paragraphs: list[tuple[int, int]] = []
    weighted, chars = 0.0, 0
    for word, conf, block, par, line in zip(data["text"], data["conf"], data["block_num"], data["par_num"],
                                            data["line_num"]):
        word = word.strip()
        if not word:
            continue
        lines.setdefault((block, par, line), []).append(word)
        if (block, par) not in paragraphs:
            paragraphs.append((block, par))
        weighted += max(float(conf), 0.0) * len(word)
        chars += len(word)
    # Lines of one paragraph are joined by a line break, paragraphs by a blank line, as clean keeps them.
    text = "\n\n".join(
        "\n".join(" ".join(words) for (b, p, _), words in lines.items() if (b, p) == key) for key in paragraphs
    )
    return OcrPage(_SECTION_SIGN.sub("§", text), round(weighted / chars / 100, 3) if chars else 0.0, angle)
