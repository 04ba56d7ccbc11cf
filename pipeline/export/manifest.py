"""run.json: what was read, what was written, how long each stage took, and with which configuration."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import __version__
from pipeline.config import Config
from pipeline.hashing import file_sha256
from pipeline.export.atomic import write_text_atomic
from pipeline.vocabulary import STATUS_EMPTY, STATUS_ERROR
from pipeline.readers import RawTable


def build_manifest(
    tables: Sequence[RawTable], df: pd.DataFrame, timings: dict[str, float], cfg: Config, **extra: Any
) -> dict[str, Any]:
    ingest_status = df["error"].ne("")  # triage may refine `status`; `error` marks unreadable rows for good
    skipped = [t for t in tables if t.skipped]
    tables = [t for t in tables if not t.skipped]
    return {
        "version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "inputs": [
            {"path": str(t.path), "sha256": file_sha256(t.path), "rows": len(t.frame), "encoding": t.encoding,
             "title_rows": t.preamble_rows, **({"columns": t.roles.to_dict()} if t.roles else {}),
             **_document_entry(t)}
            for t in tables
        ],
        "skipped": [{"path": str(t.path), "reason": t.skipped} for t in skipped],
        "counts": {
            "skipped_files": len(skipped),
            "read": sum(len(t.frame) for t in tables),
            "written": len(df),
            "empty": int((df["status"] == STATUS_EMPTY).sum()),
            "errors": int(((df["status"] == STATUS_ERROR) | ingest_status).sum()),
        },
        "timings_s": timings,
        "config": cfg.to_dict(),
        **extra,
    }


def _document_entry(table: RawTable) -> dict[str, Any]:
    """A PDF's or a scan's pages: how each was read and, for a scan, Tesseract's confidence (0–1)."""
    if table.document is None:
        return {}
    return {"pages": [{"page": p.number, "extraction": p.extraction, "ocr_confidence": p.ocr_confidence}
                      for p in table.document.pages if p.number is not None]}


def write_manifest(manifest: dict[str, Any], path: Path) -> Path:
    return write_text_atomic(path, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
