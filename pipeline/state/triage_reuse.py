"""Triage on a night with a state: a comment whose row before triage (text, label, cluster columns and every other
column triage could read) and triage rules are those of its last run keeps the triage results stored with it; only
the others are triaged. Triage looks at nothing but the row and the rules, so the results are those a full run
gives."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from pipeline import __version__
from pipeline.config import Config
from pipeline.state.store import json_rows
from pipeline.triage import load_rules, triage

# What triage writes: its own columns, and `needs_review`, which it raises for a text read by OCR unsurely.
TRIAGE_COLUMNS = (*triage.info.assigns, "needs_review")


def triage_keys(df: pd.DataFrame, cfg: Config) -> list[str]:
    """Per row, a fingerprint of everything its triage depends on: the whole row, the rules and uwagi's version."""
    rules = repr((__version__, load_rules(cfg.triage.rules)))
    return [hashlib.sha256(f"{rules}\n{row}".encode()).hexdigest()[:32] for row in json_rows(df)]


def reuse_triage(df: pd.DataFrame, cfg: Config, stored_keys: Mapping[str, str],
                 stored: Mapping[str, Mapping[str, Any]], run: Callable[[pd.DataFrame], pd.DataFrame]
                 ) -> tuple[pd.DataFrame, list[str], int]:
    """`df` triaged: rows whose fingerprint is the stored one (`stored_keys`, comment id → fingerprint) take their
    stored results (`stored`, comment id → `TRIAGE_COLUMNS`), the rest go through `run` (the triage stage). Returns
    the table, tonight's fingerprints (to be stored) and the number of rows triaged."""
    keys = triage_keys(df, cfg)
    ids = df["comment_id"].astype(str).tolist()
    same = pd.Series([stored_keys.get(i) == k for i, k in zip(ids, keys)], index=df.index)
    parts = []
    if not same.all() or df.empty:
        parts.append(run(df[~same])[list(TRIAGE_COLUMNS)])
    if same.any():
        reused = pd.DataFrame.from_records([stored[i] for i, s in zip(ids, same) if s], index=df.index[same],
                                           columns=list(TRIAGE_COLUMNS))
        parts.append(reused.astype(parts[0].dtypes.to_dict()) if parts else reused)
    results = pd.concat(parts).loc[df.index] if len(parts) > 1 else parts[0]
    out = df.copy()
    for column in TRIAGE_COLUMNS:
        out[column] = results[column]
    return out, keys, int((~same).sum())
