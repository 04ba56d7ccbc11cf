"""Opening the state file: a damaged file or one from a newer uwagi is refused untouched; older ones are migrated.

The schema version is SQLite's `user_version`; `MIGRATIONS[i]` takes a file from version i to i + 1. Checks run on
a read-only connection first, so a file this version cannot use is never written to (not even by switching to WAL).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pipeline.errors import UserError

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE runs (
        run_id INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT NOT NULL, exit_status INTEGER NOT NULL,
        version TEXT NOT NULL, out_dir TEXT NOT NULL, inputs TEXT NOT NULL, counts TEXT NOT NULL,
        timings TEXT NOT NULL, message TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE comments (
        comment_id TEXT PRIMARY KEY, content_sha TEXT NOT NULL, source_file TEXT NOT NULL, source_row TEXT NOT NULL,
        first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, status TEXT NOT NULL, config_key TEXT NOT NULL,
        label TEXT NOT NULL, confidence REAL, cluster_id TEXT NOT NULL,
        outputs TEXT NOT NULL, row_json TEXT NOT NULL
    );
    CREATE TABLE staff_entries (
        entry_id INTEGER PRIMARY KEY, comment_id TEXT NOT NULL, column_name TEXT NOT NULL, value TEXT NOT NULL,
        who TEXT NOT NULL, edited TEXT NOT NULL, workbook TEXT NOT NULL, workbook_sha256 TEXT NOT NULL,
        sheet_row INTEGER NOT NULL, run_id INTEGER NOT NULL
    );
    CREATE INDEX staff_entries_comment ON staff_entries (comment_id, column_name);
    CREATE TABLE workbooks_read (workbook_sha256 TEXT PRIMARY KEY, workbook TEXT NOT NULL, run_id INTEGER NOT NULL);
    CREATE TABLE conflicts (
        comment_id TEXT NOT NULL, column_name TEXT NOT NULL, kept TEXT NOT NULL, other TEXT NOT NULL,
        kept_workbook TEXT NOT NULL, other_workbook TEXT NOT NULL, run_id INTEGER NOT NULL
    );
    """,
    # What lets a night skip work over known comments: the last full fit of the themes (state/theme_fit.py) and
    # each comment's triage fingerprint (state/triage_reuse.py).
    """
    CREATE TABLE theme_fit (
        run_id INTEGER NOT NULL, fit_key TEXT NOT NULL, themes TEXT NOT NULL, members TEXT NOT NULL
    );
    ALTER TABLE comments ADD COLUMN triage_key TEXT NOT NULL DEFAULT '';
    """,
    # Triage keeps what it read in each comment's text (state/triage_reuse.py); `triage_key` now fingerprints the
    # inputs of those findings, so the keys of version 2 match none and the first night reads every text again.
    """
    ALTER TABLE comments ADD COLUMN triage_found TEXT NOT NULL DEFAULT '';
    """,
    # Clustering's row keys (state/cluster_reuse.py), with the fingerprint of their inputs; a file migrated from
    # version 3 has none, so its first night keys every comment once.
    """
    ALTER TABLE comments ADD COLUMN cluster_key TEXT NOT NULL DEFAULT '';
    ALTER TABLE comments ADD COLUMN cluster_found TEXT NOT NULL DEFAULT '';
    """,
    # What clustering derived from each cluster's texts last night (pipeline/cluster_memo.py), by the fingerprint
    # of those texts; a file migrated from version 4 has none, so its first night derives every cluster's once.
    """
    CREATE TABLE cluster_memo (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def _check(path: Path) -> int:
    """The file's schema version, read without writing; a damaged or foreign file is a UserError."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            problems = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise UserError(f"plik stanu jest uszkodzony albo nie jest plikiem stanu uwagi ({exc}); nie zmieniono go, "
                        "przywróć kopię zapasową", path=path) from None
    if problems != ["ok"]:
        raise UserError(f"plik stanu jest uszkodzony ({problems[0]}); nie zmieniono go, przywróć kopię zapasową",
                        path=path)
    if version > SCHEMA_VERSION:
        raise UserError(f"plik stanu zapisała nowsza wersja uwagi (schemat {version}, ta wersja zna {SCHEMA_VERSION}); "
                        "nie zmieniono go, użyj nowszej wersji", path=path)
    return version


def read_state(path: Path) -> sqlite3.Connection:
    """Open an existing state file read-only (`uwagi learn`): it is checked as for a run and never written to."""
    if not path.is_file():
        raise UserError("nie ma takiego pliku stanu", path=path)
    version = _check(path)
    if version < 1:  # `learn` reads the comments and staff entries, there since the first version
        raise UserError(f"to nie jest plik stanu po nocnym przebiegu (schemat {version}, potrzebny co najmniej 1); "
                        "najpierw uruchom z nim uwagi run --state", path=path)
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def open_state(path: Path) -> sqlite3.Connection:
    """Open (or create) the state file in WAL mode, migrated to `SCHEMA_VERSION`."""
    if path.is_dir():
        raise UserError("to jest katalog, a plik stanu musi być plikiem", path=path)
    version = _check(path) if path.exists() and path.stat().st_size else 0
    try:
        conn = sqlite3.connect(path, isolation_level=None)
    except sqlite3.OperationalError as exc:
        raise UserError(f"nie można otworzyć pliku stanu ({exc})", path=path) from None
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")  # a night's results survive a power cut once the run says it is done
    for n in range(version, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        # executescript would commit on its own; one transaction per step keeps a half-migrated file impossible
        for statement in MIGRATIONS[n].split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {n + 1}")
        conn.execute("COMMIT")
    return conn
