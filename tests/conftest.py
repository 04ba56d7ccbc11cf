from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]

# The same examples on every run: a property test must not turn CI red by chance on an input it never met before.
# `pytest --hypothesis-profile default` explores new examples.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.load_profile("repeatable")
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared, or a clean skip where it is absent (it is read-only material, not shipped)."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED


@pytest.fixture(scope="session")
def gdansk_dev(shared_dir: Path) -> list[dict]:
    path = shared_dir / "data" / "gdansk_ngo_2023" / "dev.jsonl"
    if not path.exists():
        pytest.skip(f"{path} is not present")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
