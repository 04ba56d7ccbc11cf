"""A night's per-comment results kept in the state by a fingerprint of their inputs: clustering's row keys
(`cluster_reuse`) and triage's text findings (`triage_reuse`). A comment whose inputs' fingerprint is the stored one
takes its stored result; the others' are computed again."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

import pandas as pd

T = TypeVar("T")


def fingerprints(df: pd.DataFrame, columns: Sequence[str], settings: str) -> list[str]:
    """Per row, a fingerprint of its `columns` (empty where the table lacks one) and `settings`."""
    values = [df[c].astype(object).where(df[c].notna(), "").astype(str).tolist() if c in df.columns
              else [""] * len(df) for c in columns]
    # JSON, not a separator: no text can make two different rows read alike.
    return [hashlib.sha256(json.dumps((settings, *row), ensure_ascii=False).encode()).hexdigest()[:32]
            for row in zip(*values)]


def stored_results(df: pd.DataFrame, keys: Sequence[str], stored_keys: Mapping[str, str],
                   stored: Mapping[str, str], loads: Callable[[str], T]) -> list[T | None]:
    """Per row, its stored result (`stored`, comment id → dumped result, read with `loads`) when its fingerprint
    (`keys`) is the stored one (`stored_keys`, comment id → fingerprint); None where it must be computed."""
    ids = df["comment_id"].astype(str).tolist()
    return [loads(stored[i]) if stored_keys.get(i) == k and stored.get(i) else None for i, k in zip(ids, keys)]
