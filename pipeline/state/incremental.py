"""A night's processing against the state: the costly stages (the Polish layer, redaction, classification) only for
new and changed comments, stored results for the rest, then the batch-wide stages over all of them."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline import __version__
from pipeline.config import Config
from pipeline.corrections import apply_corrections, corrections_for
from pipeline.hashing import file_sha256
from pipeline.process import STAGES, Stage
from pipeline.runlog import now
from pipeline.state.changes import plan_night, stable_cluster_ids
from pipeline.state.cluster_reuse import night_cluster_keys
from pipeline.state.staff import apply_staff, staff_values
from pipeline.state.store import frame_of, json_rows, load, stored_rows
from pipeline.state.theme_fit import NightThemes, fit_key, night_themes
from pipeline.state.triage_reuse import night_triage
from pipeline.themes import CONTENT_COLUMN, content_lemmas
from pipeline.vocabulary import (
    CHANGE_CHANGED, CHANGE_NEW, CHANGE_UNCHANGED, CHANGE_WITHDRAWN, ROLE_UNIQUE,
)

# Stages whose results depend on nothing but the comment and the model: stored, and reused while both stay the same.
COSTLY_STAGES = ("clean", "redact", "classify")

RunStages = Callable[[pd.DataFrame, Config, Sequence[Stage], dict[str, float], Any], pd.DataFrame]


def config_key(cfg: Config, model: dict[str, Any]) -> str:
    """What the costly stages' results depend on besides the text: a change here makes every comment new work.
    A model in memory has no hash, so its results are never reused."""
    if model.get("kind") == "trained" and model.get("sha256") is None:
        return f"in-memory-{now()}"
    taxonomy = cfg.classify.taxonomy
    parts = {"version": __version__, "nlp": cfg.to_dict()["nlp"], "classify": cfg.to_dict()["classify"],
             "model": model.get("sha256"),
             "taxonomy": file_sha256(Path(taxonomy)) if isinstance(taxonomy, (str, Path)) else None}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


@dataclass
class NightResult:
    shown: pd.DataFrame  # tonight's comments and the withdrawn ones, as comments.csv and the workbook list them
    outputs: list[str]  # per comment of the batch: its costly-stage columns as JSON, for the state
    change: list[str]
    withdrawn: list[str]
    config_key: str
    counts: dict[str, int] = field(default_factory=dict)
    themes: NightThemes | None = None  # tonight's themes from the last fit or a new one (None: --no-themes)
    triage_keys: list[str] = field(default_factory=list)  # per comment of the batch: its triage findings' inputs
    triage_found: list[str] = field(default_factory=list)  # per comment of the batch: its triage findings
    cluster_keys: list[str] = field(default_factory=list)  # per comment of the batch: its cluster keys' inputs
    cluster_found: list[str] = field(default_factory=list)  # per comment of the batch: its cluster keys

    def run_record(self, started: str, out: Path, batch: Any, run_id: int) -> dict[str, Any]:
        return {"run_id": run_id, "started": started, "finished": now(), "exit_status": 0, "version": __version__,
                "out_dir": str(out), "inputs": [{"path": str(t.path), "rows": len(t.frame)} for t in batch.tables
                                                if not t.skipped],
                "counts": self.counts, "timings": batch.timings}


def _restore(rows: Sequence[str], index: pd.Index, columns: Sequence[str], like: pd.DataFrame | None) -> pd.DataFrame:
    """Stored results as a frame of `columns`, with the dtypes freshly computed ones have (`like`)."""
    restored = frame_of(rows, index).reindex(columns=list(columns))
    if like is not None:
        for col in columns:
            try:
                restored[col] = restored[col].astype(like[col].dtype)
            except (TypeError, ValueError):
                pass  # e.g. missing values in an integer column: keep what pandas inferred
    return restored


def _timed(name: str, started: float, rows: int, timings: dict[str, float], log: Any) -> None:
    timings[name] = round(time.perf_counter() - started, 3)
    if log is not None:
        log.stage(name, rows, timings[name])


def incremental(batch: Any, cfg: Config, conn: sqlite3.Connection, model: dict[str, Any], run_stages: RunStages,
                log: Any, order: Callable[[pd.DataFrame], pd.DataFrame], run_id: int) -> NightResult:
    """Process `batch.df` against the state as run `run_id`; sets `batch.df` to tonight's comments (final rows)."""
    stored = load(conn)
    key = config_key(cfg, model)
    df = batch.df.copy()
    night = plan_night(df["comment_id"].astype(str).tolist(), df["source_file"].astype(str).tolist(),
                       df["text"].fillna("").astype(str).tolist(), stored.known, key,
                       link_edits=cfg.ingest.id_col is None)
    df["comment_id"] = night.ids
    reuse = np.array(night.reuse, dtype=bool)
    costly = [s for s in STAGES if s.info.name in COSTLY_STAGES]
    # Themes come from the last fit (`night_themes`) unless switched off; their content lemmas are computed below.
    batch_wide = COSTLY_STAGES + (("theme_content", "themes") if cfg.themes.enabled else ())
    rest = [s for s in STAGES if s.info.name not in batch_wide]
    fresh = run_stages(df[~reuse], cfg, costly, batch.timings, log) if (~reuse).any() or not reuse.any() else None
    if fresh is not None and cfg.themes.enabled:  # the Polish layer of the themes stage, stored like the rest
        missing = fresh.index[fresh[CONTENT_COLUMN].isna().to_numpy()]  # those classify's analysis did not give
        fresh.loc[missing, CONTENT_COLUMN] = content_lemmas(
            fresh.loc[missing, "text_clean"].fillna("").astype(str).tolist(), cfg)
    elif fresh is not None:
        fresh = fresh.drop(columns=CONTENT_COLUMN)
    if fresh is not None:
        columns = [c for c in fresh.columns if c not in df.columns]
    else:
        columns = list(json.loads(stored.outputs[night.ids[0]]))
    parts = [] if fresh is None else [fresh[columns]]
    if reuse.any():
        ids = [i for i, r in zip(night.ids, reuse) if r]
        parts.append(_restore([stored.outputs[i] for i in ids], df.index[reuse], columns, fresh))
    computed = pd.concat(parts).loc[df.index] if len(parts) > 1 else parts[0]
    df = pd.concat([df, computed], axis=1)
    if fresh is not None:  # what the costly stages report about the rows they ran on (the encoder's use)
        df.attrs.update(fresh.attrs)
    # A reused row's columns are the ones stored (same config key, so same version and columns): its stored JSON.
    dumped = iter(json_rows(df.loc[~reuse, columns]))
    outputs = [stored.outputs[i] if r else next(dumped) for i, r in zip(night.ids, reuse)]
    # The other stages run in this process: corrections and triage cost a fraction of a millisecond a row, clustering
    # runs here anyway, and a worker process spends seconds of CPU starting (importing uwagi, warming the stages), more
    # than it would save them on a night's rows (measured: `docs/operations.md`, nightly runs).
    here = cfg.with_(engine=replace(cfg.engine, jobs=1))
    names = [s.info.name for s in rest]
    fixes_at, keys_at, at = names.index("corrections"), names.index("cluster_keys"), names.index("triage")
    df = run_stages(df, here, rest[:fixes_at], batch.timings, log)
    started = time.perf_counter()
    # A reused row's `text_clean` is last night's, so is its fingerprint: folding every known text again cost more
    # than the rest of the stage.
    df = apply_corrections(df, corrections_for(cfg.classify.model), cfg.classify.use_corrections,
                           [stored.fingerprint.get(i) if r else None for i, r in zip(night.ids, reuse)])
    _timed("corrections", started, len(df), batch.timings, log)
    df = run_stages(df, here, rest[fixes_at + 1:keys_at], batch.timings, log)
    started = time.perf_counter()
    df, cluster_keys, cluster_found, keyed = night_cluster_keys(df, cfg, stored.cluster_key, stored.cluster_found)
    _timed("cluster_keys", started, len(df), batch.timings, log)
    df = run_stages(df, here, rest[keys_at + 1:at], batch.timings, log)
    started = time.perf_counter()
    df, triage_keys, triage_found, triaged = night_triage(df, cfg, stored.triage_key, stored.triage_found)
    _timed("triage", started, len(df), batch.timings, log)
    if rest[at + 1:]:
        df = run_stages(df, here, rest[at + 1:], batch.timings, log)
    themes = None
    if cfg.themes.enabled:
        started = time.perf_counter()
        themes = night_themes(df, cfg, night.change, stored.theme, stored.theme_fit, fit_key(cfg, key), run_id,
                              cfg.state.theme_refit_share)
        df["theme"] = themes.theme
        df.attrs["themes"] = themes.table.to_dict(orient="records")
        _timed("themes", started, len(df), batch.timings, log)
    df = df.drop(columns=CONTENT_COLUMN, errors="ignore")
    if "cluster_id" in df.columns:
        df["cluster_id"] = stable_cluster_ids(df["comment_id"].tolist(), df["cluster_id"].astype(str).tolist(),
                                              stored.cluster)
    values = staff_values(conn)
    df = apply_staff(df, values)
    df["change"] = night.change
    batch.df = order(df)
    shown = batch.df
    if night.withdrawn:
        gone = frame_of(stored_rows(conn, night.withdrawn), pd.RangeIndex(len(night.withdrawn)))
        gone = gone.assign(change=CHANGE_WITHDRAWN)
        if "cluster_id" in gone.columns:  # a withdrawn comment takes no part in tonight's clusters
            gone = gone.assign(cluster_id="", cluster_size=1, cluster_role=ROLE_UNIQUE, cluster_representative="",
                               added_text="")
        shown = order(pd.concat([batch.df, apply_staff(gone, values)], ignore_index=True))
    counts = {"new": night.change.count(CHANGE_NEW), "changed": night.change.count(CHANGE_CHANGED),
              "unchanged": night.change.count(CHANGE_UNCHANGED), "withdrawn": len(night.withdrawn),
              "processed": 0 if fresh is None else len(fresh), "triaged": triaged, "keyed": keyed}
    return NightResult(shown, outputs, night.change, night.withdrawn, key, counts, themes, triage_keys,
                       triage_found, cluster_keys, cluster_found)
