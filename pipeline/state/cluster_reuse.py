"""Clustering's row keys on a night with a state. What each comment brings to clustering, its folded core's key and its
MinHash signature (`cluster_keys.row_keys`), depends on its `text_clean` and `status`, the cluster settings and
uwagi's version alone. The state keeps both with a fingerprint of those inputs; a comment whose fingerprint is the
stored one takes its stored keys, the others are computed, so a night keys its new and changed comments only.
Grouping (`cluster`) still runs over every row: a new comment may join any cluster."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Mapping

import numpy as np
import pandas as pd

from pipeline import __version__
from pipeline.cluster_keys import CORE_COLUMN, SIGNATURE_COLUMN, row_keys
from pipeline.config import Config
from pipeline.state.reuse import fingerprints, stored_results

_INPUTS = ("text_clean", "status")


def key_inputs(df: pd.DataFrame, cfg: Config) -> list[str]:
    """Per row, a fingerprint of everything its cluster keys depend on: `_INPUTS`, the cluster settings, the
    version."""
    return fingerprints(df, _INPUTS, repr((__version__, dataclasses.astuple(cfg.cluster))))


def dumps(core: int, signature: bytes | None) -> str:
    return json.dumps([int(core), None if signature is None else base64.b64encode(signature).decode("ascii")],
                      ensure_ascii=False)


def loads(stored: str) -> tuple[int, bytes | None]:
    core, signature = json.loads(stored)
    return core, None if signature is None else base64.b64decode(signature)


def night_cluster_keys(df: pd.DataFrame, cfg: Config, stored_keys: Mapping[str, str], stored: Mapping[str, str]
                       ) -> tuple[pd.DataFrame, list[str], list[str], int]:
    """`df` with the `cluster_keys` stage's columns: rows whose fingerprint is the stored one (`stored_keys`,
    comment id → fingerprint) take their stored keys (`stored`, comment id → `dumps` of them), the others' are
    computed. Returns the table, tonight's fingerprints and keys (to be stored) and the number of rows keyed."""
    keys = key_inputs(df, cfg)
    found = stored_results(df, keys, stored_keys, stored, loads)
    todo = [n for n, f in enumerate(found) if f is None]
    if todo:
        for n, core, signature in zip(todo, *row_keys(df.iloc[todo], cfg)):
            found[n] = (core, signature)
    out = df.copy(deep=False)  # copy-on-write: only adds columns
    out[CORE_COLUMN] = pd.Series([f[0] for f in found], index=df.index, dtype=np.int64)
    out[SIGNATURE_COLUMN] = pd.Series([f[1] for f in found], index=df.index, dtype=object)
    return out, keys, [dumps(*f) for f in found], len(todo)
