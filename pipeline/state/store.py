"""Reading and writing the state's tables. A night's results are written in one transaction, after its output
files are in place: a run killed before that leaves the state of the night before, and its rerun repeats it."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipeline.state.changes import WITHDRAWN, Known, content_sha
from pipeline.state.theme_fit import ThemeFit
from pipeline.vocabulary import CHANGE_CHANGED

ACTIVE, CHANGED = "active", "changed"
# Below SQLite's oldest limit of bound parameters (999).
_IDS_PER_QUERY = 900


def json_rows(df: pd.DataFrame) -> list[str]:
    """One JSON object per row; pandas turns numpy values, NaN and timestamps into JSON."""
    if df.empty:
        return []
    text = df.to_json(orient="records", force_ascii=False, date_format="iso")
    # Cut the list between records ourselves: pandas' `lines=True` walks every character in a loop that cost more
    # than the dump, and `splitlines` would also cut a text at U+2028 (JSON leaves it unescaped). A quote inside a
    # string is always escaped, so `},{` and the first key in quotes occur only between two records; any other
    # match would show as one record too many.
    key = text[2:text.index('":', 2) + 2]
    if '"' not in key[1:-2] and "\\" not in key:
        rows = text[1:-1].split("},{" + key)
        if len(rows) == len(df):
            return [("{" + key if n else "") + row + ("}" if n < len(rows) - 1 else "") for n, row in enumerate(rows)]
    return [df.iloc[[n]].to_json(orient="records", force_ascii=False, date_format="iso")[1:-1] for n in range(len(df))]


def frame_of(rows: Sequence[str], index: pd.Index) -> pd.DataFrame:
    return pd.DataFrame.from_records([json.loads(r) for r in rows], index=index).infer_objects()


@dataclass(frozen=True)
class Stored:
    known: Known
    cluster: dict[str, str]  # comment id → cluster id
    outputs: dict[str, str]  # comment id → the costly stages' columns as JSON
    theme: dict[str, str]  # comment id → its theme in the last run
    theme_fit: ThemeFit | None
    triage_key: dict[str, str]  # comment id → the fingerprint of its triage findings' inputs in the last run
    triage_found: dict[str, str]  # comment id → its triage findings (`triage_reuse.dumps`) in the last run
    cluster_key: dict[str, str]  # comment id → the fingerprint of its cluster keys' inputs in the last run
    cluster_found: dict[str, str]  # comment id → its cluster keys (`cluster_reuse.dumps`) in the last run
    fingerprint: dict[str, str | None]  # comment id → its corrections' fingerprint in the last run


def load(conn: sqlite3.Connection) -> Stored:
    sha, source, status, key, text, cluster, outputs, theme = {}, {}, {}, {}, {}, {}, {}, {}
    triage_key, triage_found, cluster_key, cluster_found, fingerprint = {}, {}, {}, {}, {}
    # SQLite picks the text, theme and fingerprint out of each stored row: parsing every row in Python cost more
    # than the rest. The rows themselves, half the state's bytes, are read for the withdrawn only (`stored_rows`).
    for cid, s, src, st, k, cl, out, tk, tf, ck, cf, tx, th, fp in conn.execute(
            "SELECT comment_id, content_sha, source_file, status, config_key, cluster_id, outputs, "
            "triage_key, triage_found, cluster_key, cluster_found, json_extract(row_json, '$.text'), "
            "json_extract(row_json, '$.theme'), json_extract(row_json, '$.fingerprint') FROM comments "
            "ORDER BY first_seen, rowid"):
        sha[cid], source[cid], status[cid], key[cid], cluster[cid], outputs[cid] = s, src, st, k, cl, out
        text[cid], theme[cid], triage_key[cid], triage_found[cid] = tx or "", th or "", tk, tf
        cluster_key[cid], cluster_found[cid], fingerprint[cid] = ck, cf, fp
    fit = conn.execute("SELECT run_id, fit_key, themes, members FROM theme_fit").fetchone()
    return Stored(Known(sha, source, status, key, text), cluster, outputs, theme,
                  fit and ThemeFit(fit[0], fit[1], json.loads(fit[2]), frozenset(json.loads(fit[3]))), triage_key,
                  triage_found, cluster_key, cluster_found, fingerprint)


def stored_rows(conn: sqlite3.Connection, ids: Sequence[str]) -> list[str]:
    """The last run's full rows of `ids` (known comment ids) as JSON, in that order."""
    found: dict[str, str] = {}
    for lo in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[lo:lo + _IDS_PER_QUERY]
        found.update(conn.execute(f"SELECT comment_id, row_json FROM comments WHERE comment_id IN "
                                  f"({','.join('?' * len(chunk))})", chunk))
    return [found[i] for i in ids]


def cluster_memo(conn: sqlite3.Connection) -> dict[str, str]:
    """What clustering derived from each cluster's texts last night, by fingerprint (`pipeline.cluster_memo`)."""
    return dict(conn.execute("SELECT key, value FROM cluster_memo"))


def next_run_id(conn: sqlite3.Connection) -> int:
    return (conn.execute("SELECT max(run_id) FROM runs").fetchone()[0] or 0) + 1


def last_run_id(conn: sqlite3.Connection) -> int | None:
    return conn.execute("SELECT max(run_id) FROM runs WHERE exit_status = 0").fetchone()[0]


def save_night(conn: sqlite3.Connection, run_id: int, df: pd.DataFrame, outputs: Sequence[str],
               change: Sequence[str], withdrawn: Sequence[str], config_key: str, run: dict[str, Any],
               workbook: tuple[str, str], theme_fit: ThemeFit | None = None,
               triage_keys: Sequence[str] | None = None, triage_found: Sequence[str] | None = None,
               cluster_keys: Sequence[str] | None = None, cluster_found: Sequence[str] | None = None,
               memo: Mapping[str, str] | None = None) -> None:
    """Tonight's comments (`df`, final rows; `outputs`, their costly-stage columns as JSON; `triage_found` and
    `triage_keys`, their triage findings and the fingerprint of those findings' inputs; `cluster_found` and
    `cluster_keys`, the same of their cluster keys), the withdrawn ids, the run's record, tonight's workbook
    (SHA-256, name), the themes' fit and what clustering derived from tonight's clusters (`memo`, which replaces
    last night's: it holds tonight's clusters only), in one transaction. The workbook counts as read: it holds what the state
    holds, so the next night reads it only once staff have changed it."""
    rows = json_rows(df)
    records = [
        (cid, content_sha(str(text)), str(src), str(row), run_id, run_id,
         CHANGED if ch == CHANGE_CHANGED else ACTIVE, config_key, str(label or ""),
         None if pd.isna(conf) else float(conf), str(cluster or ""), out, full, tk, tf, ck, cf)
        for cid, text, src, row, ch, label, conf, cluster, out, full, tk, tf, ck, cf in zip(
            df["comment_id"], df["text"], df["source_file"], df["source_row"], change,
            df.get("label", pd.Series([""] * len(df))), df.get("confidence", pd.Series([None] * len(df))),
            df.get("cluster_id", pd.Series([""] * len(df))), outputs, rows, triage_keys or [""] * len(df),
            triage_found or [""] * len(df), cluster_keys or [""] * len(df), cluster_found or [""] * len(df))
    ]
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            "INSERT INTO comments (comment_id, content_sha, source_file, source_row, first_seen, last_seen, status, "
            "config_key, label, confidence, cluster_id, outputs, row_json, triage_key, triage_found, cluster_key, "
            "cluster_found) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT (comment_id) DO UPDATE SET content_sha = excluded.content_sha, "
            "source_file = excluded.source_file, source_row = excluded.source_row, last_seen = excluded.last_seen, "
            "status = excluded.status, config_key = excluded.config_key, label = excluded.label, "
            "confidence = excluded.confidence, cluster_id = excluded.cluster_id, outputs = excluded.outputs, "
            "row_json = excluded.row_json, triage_key = excluded.triage_key, "
            "triage_found = excluded.triage_found, cluster_key = excluded.cluster_key, "
            "cluster_found = excluded.cluster_found", records)
        conn.executemany("UPDATE comments SET status = ? WHERE comment_id = ?", [(WITHDRAWN, i) for i in withdrawn])
        record_run(conn, run_id, run)
        conn.execute("INSERT OR IGNORE INTO workbooks_read VALUES (?,?,?)", (*workbook, run_id))
        if memo is not None:
            conn.execute("DELETE FROM cluster_memo")
            conn.executemany("INSERT INTO cluster_memo VALUES (?,?)", memo.items())
        if theme_fit is not None:
            conn.execute("DELETE FROM theme_fit")
            conn.execute("INSERT INTO theme_fit VALUES (?,?,?,?)",
                         (theme_fit.run_id, theme_fit.key, json.dumps(theme_fit.themes, ensure_ascii=False),
                          json.dumps(sorted(theme_fit.members), ensure_ascii=False)))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def record_run(conn: sqlite3.Connection, run_id: int, run: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO runs (run_id, started, finished, exit_status, version, out_dir, inputs, counts, timings, message) "
        "VALUES (?,?,?,?,?,?,?,?,?,?)",
        (run_id, run["started"], run["finished"], run["exit_status"], run["version"], run["out_dir"],
         json.dumps(run.get("inputs", []), ensure_ascii=False), json.dumps(run.get("counts", {})),
         json.dumps(run.get("timings", {})), run.get("message", "")))


def history(conn: sqlite3.Connection, current: dict[str, Any]) -> pd.DataFrame:
    """The runs, newest (`current`, tonight's, not stored yet) first, as the workbook's "Historia" sheet shows them."""
    rows = []
    tonight = (current["run_id"], current["started"], current["finished"], 0, current["version"], "",
               json.dumps(current["counts"]), json.dumps(current["timings"]), "")
    for run_id, started, finished, status, version, _, counts, timings, message in [tonight, *conn.execute(
            "SELECT run_id, started, finished, exit_status, version, inputs, counts, timings, message FROM runs "
            "ORDER BY run_id DESC")]:
        c = json.loads(counts)
        rows.append({"Przebieg": run_id, "Początek": started, "Koniec": finished, "Kod wyjścia": status,
                     "Nowe": c.get("new", ""), "Zmienione": c.get("changed", ""), "Bez zmian": c.get("unchanged", ""),
                     "Wycofane": c.get("withdrawn", ""), "Przetworzone": c.get("processed", ""),
                     "Czas [s]": json.loads(timings).get("total", ""), "Wersja": version, "Uwagi": message})
    return pd.DataFrame(rows, columns=["Przebieg", "Początek", "Koniec", "Kod wyjścia", "Nowe", "Zmienione",
                                       "Bez zmian", "Wycofane", "Przetworzone", "Czas [s]", "Wersja", "Uwagi"])
