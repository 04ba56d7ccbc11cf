"""Triage on a night with a state. Triage has a costly half, what it reads in a comment's own text
(`triage.text_findings`: cited provisions, readability, proposal phrases), and a cheap one, what it makes of those
with the rest of the row (status at ingest, OCR, cluster size and role, label). The state keeps each comment's
findings with a fingerprint of what they were read from (`triage.TEXT_INPUTS`, the rules, uwagi's version); a
comment whose fingerprint is the stored one takes its stored findings, and the cheap half runs on every row. A
campaign that grew, whose members' status reasons name its new size, thus costs them no text rules again, and the
results are those a full run gives."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pandas as pd

from pipeline import __version__
from pipeline.config import Config
from pipeline.state.reuse import fingerprints, stored_results
from pipeline.triage import TEXT_INPUTS, TextFindings, load_rules, triage_with


def text_keys(df: pd.DataFrame, cfg: Config) -> list[str]:
    """Per row, a fingerprint of everything its `text_findings` depend on: `TEXT_INPUTS`, the rules, the version."""
    return fingerprints(df, TEXT_INPUTS, repr((__version__, load_rules(cfg.triage.rules))))


def dumps(found: TextFindings) -> str:
    return json.dumps([found.citations, found.unreadable, found.phrases], ensure_ascii=False)


def loads(stored: str) -> TextFindings:
    citations, unreadable, phrases = json.loads(stored)
    return TextFindings(tuple(citations), unreadable, tuple(phrases))


def night_triage(df: pd.DataFrame, cfg: Config, stored_keys: Mapping[str, str], stored: Mapping[str, str]
                 ) -> tuple[pd.DataFrame, list[str], list[str], int]:
    """`df` triaged: rows whose fingerprint is the stored one (`stored_keys`, comment id → fingerprint) take their
    stored findings (`stored`, comment id → `dumps` of them), the others' are read from their text. Returns the
    table, tonight's fingerprints and findings (to be stored) and the number of rows whose text was read."""
    keys = text_keys(df, cfg)
    known = stored_results(df, keys, stored_keys, stored, loads)
    triaged, found = triage_with(df, cfg, known)
    return triaged, keys, list(map(dumps, found)), known.count(None)
