"""Reading letters and scans: pages per second for text PDFs and for OCR (Tesseract, Polish), on one core.

    .venv/bin/python bench/bench_documents.py [--text-pages 200] [--ocr-pages 6]

Generates a text PDF of `--text-pages` A4 pages of Polish prose and a scanned PDF of `--ocr-pages` pages (200 dpi,
rotated, noisy, as tests/document_fixtures.py makes them), reads each with `pipeline.documents.read_document` and
prints one table: pages, seconds, pages/s, and for OCR the mean confidence and character accuracy.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from document_fixtures import POLISH_LETTER, scan, scanned_pdf, text_pdf  # noqa: E402
from rapidfuzz.distance import Levenshtein  # noqa: E402

from pipeline.documents import read_document  # noqa: E402

# A full page of text: the letter repeated, about 40 lines as an office letter has.
PAGE = (POLISH_LETTER * 7)[:40]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text-pages", type=int, default=200)
    parser.add_argument("--ocr-pages", type=int, default=6)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        text = text_pdf(Path(tmp) / "text.pdf", [PAGE] * args.text_pages)
        start = time.perf_counter()
        read_document(text)
        seconds = time.perf_counter() - start
        rows.append(("text PDF", args.text_pages, seconds, "", ""))

        lines = POLISH_LETTER * 3  # 18 lines: a short scanned letter page
        pages = [scan(lines, angle=(-1) ** i * 1.2, seed=i) for i in range(args.ocr_pages)]
        scanned = scanned_pdf(Path(tmp) / "scan.pdf", pages)
        start = time.perf_counter()
        table = read_document(scanned)
        seconds = time.perf_counter() - start
        confidences = [p.ocr_confidence for p in table.document.pages]
        expected = " ".join(" ".join(lines) for _ in pages)
        accuracy = Levenshtein.normalized_similarity(expected, " ".join(table.frame["Treść"][0].split()))
        rows.append(("scanned PDF (OCR)", args.ocr_pages, seconds, f"{sum(confidences) / len(confidences):.3f}",
                     f"{accuracy:.4f}"))
    print(f"{'what':<20} {'pages':>6} {'seconds':>8} {'pages/s':>8} {'OCR conf.':>10} {'char acc.':>10}")
    for what, n, seconds, conf, acc in rows:
        print(f"{what:<20} {n:>6} {seconds:>8.2f} {n / seconds:>8.2f} {conf:>10} {acc:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
