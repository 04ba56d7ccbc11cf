"""Inputs: the files and folders given to `uwagi run` -> one RawTable per file, each read by its kind.

A folder is read recursively, files in path order. What in it is not an export or a document (a `.doc`, a
spreadsheet's lock file, a hidden file) is skipped with the reason, never read as noise. A document that needs
OCR while Tesseract is not installed is skipped too, with the Debian package to install; the rest is processed.
A skipped file is a RawTable with no records and its `skipped` reason, so every file is accounted for.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from pipeline.config import IngestConfig
from pipeline.documents import DOCUMENT_SUFFIXES, read_document
from pipeline.errors import UserError
from pipeline.ocr import OcrUnavailable
from pipeline.readers import TEXT_HEADERS, UNREADABLE_WORKBOOKS, RawTable, header_key, is_text_header, read_table

TABLE_SUFFIXES = {".csv", ".tsv", ".xlsx", ".xlsm", ".ods", ".jsonl", ".ndjson", ".json"}
# A .txt is Excel's "Unicode text" export (a table) or a letter saved as plain text.
_TEXT_SUFFIX = ".txt"


def input_files(paths: Sequence[str | Path]) -> Iterator[tuple[Path, str]]:
    """Every file to read, with the reason it is skipped ('' when it is read): given files as they are, folders
    walked recursively in path order."""
    if not paths:
        raise UserError("nie podano plików wejściowych")
    for given in map(Path, paths):
        if not given.is_dir():
            yield given, ""
            continue
        found = sorted(Path(root, name) for root, dirs, names in os.walk(given) for name in names)
        if not found:
            raise UserError("katalog nie zawiera żadnych plików", path=given)
        for path in found:
            yield path, _skip_reason(path)


def _skip_reason(path: Path) -> str:
    name, suffix = path.name, path.suffix.lower()
    if name.startswith("~$"):
        return "plik blokady otwartego dokumentu (Word, Excel), nie uwaga"
    if name.startswith("."):
        return "plik ukryty"
    if suffix in UNREADABLE_WORKBOOKS:
        return UNREADABLE_WORKBOOKS[suffix]
    if suffix == ".doc":
        return "format .doc (Word 97-2003) nie jest obsługiwany; zapisz plik jako .docx, .odt lub .pdf"
    if suffix not in TABLE_SUFFIXES | DOCUMENT_SUFFIXES | {_TEXT_SUFFIX}:
        return f"nieobsługiwany rodzaj pliku ({suffix or 'bez rozszerzenia'})"
    return ""


def read_input(path: Path, cfg: IngestConfig) -> RawTable:
    """One file as a RawTable: a document (PDF, DOCX, ODT, RTF, scan) or a table export (CSV, XLSX, JSON Lines);
    a .txt is a table when its header names the comment text, else a letter."""
    suffix = path.suffix.lower()
    if suffix in DOCUMENT_SUFFIXES and path.is_file():
        return read_document(path, split=cfg.split_points, text_cols=cfg.text_cols)
    if suffix != _TEXT_SUFFIX:
        return read_table(path, encoding=cfg.encoding, sheet=cfg.sheet, text_cols=cfg.text_cols,
                          max_unpacked_bytes=cfg.max_unpacked_bytes)
    try:
        table = read_table(path, encoding=cfg.encoding, sheet=cfg.sheet, text_cols=cfg.text_cols,
                          max_unpacked_bytes=cfg.max_unpacked_bytes)
    except UserError:
        if not path.is_file():
            raise
        return read_document(path, split=cfg.split_points)
    return table if _is_table(table, cfg.text_cols) else read_document(path, split=cfg.split_points)


def _is_table(table: RawTable, text_cols: Sequence[str]) -> bool:
    """Whether a .txt read as CSV is a table: it has the --text-col columns, or a header naming the comment text
    (in a one-column file the header must be exactly such a name: "Uwagi do projektu…" opens a letter)."""
    columns = [str(c) for c in table.frame.columns]
    if text_cols:
        return set(text_cols) <= set(columns)
    if len(columns) == 1:
        return header_key(columns[0]) in TEXT_HEADERS
    return any(is_text_header(header_key(c)) for c in columns)


def read_inputs(paths: Sequence[str | Path], cfg: IngestConfig) -> list[RawTable]:
    """Every input file read, or recorded as skipped with the reason."""
    return [read_or_skip(path, reason, cfg) for path, reason in input_files(paths)]


def read_or_skip(path: Path, reason: str, cfg: IngestConfig) -> RawTable:
    """One file of `input_files` read, or recorded as skipped with the reason (`reason`, or OCR not installed)."""
    if not reason:
        try:
            return read_input(path, cfg)
        except OcrUnavailable as exc:
            reason = str(exc)
    return RawTable(path, pd.DataFrame(), [], skipped=reason)
