"""Where the quality tests' data lives in the repository, so a fresh clone runs them without ../shared.

Provenance of each copy: data/gdansk_ngo_2023/README.md and tests/data/README.md.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
# The Gdańsk dev set ships as the training split plus the held-out demo slice, which together are all of it.
GDANSK_DEV_SPLITS = [ROOT / "data" / "gdansk_ngo_2023" / name for name in ("train.jsonl", "demo_gold.jsonl")]
# Only the columns the tests read (id, nazwa, kategoria, opis), every row.
LODZ_PROPOSALS = ROOT / "tests" / "data" / "lodz_bo_2025" / "proposals.csv"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def gdansk_dev_rows() -> list[dict]:
    """The 520 labelled Gdańsk dev comments in the dev set's order (by id)."""
    return sorted((row for path in GDANSK_DEV_SPLITS for row in read_jsonl(path)), key=lambda row: row["id"])
