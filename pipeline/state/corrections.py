"""Staff entries kept in the state, as the corrections `uwagi learn` retrains on: the same ones the latest workbook
would give, each with the provenance of the entry (which workbook, row and when staff made it)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

import pandas as pd

from pipeline.corrections import Correction, fingerprint
from pipeline.edits import Edits, corrections_from, redacted
from pipeline.sheets import H_ANSWER, H_DECISION, H_FINGERPRINT, H_ID, H_LABEL_FIX, H_TEXT
from pipeline.state.staff import STAFF_COLUMNS, apply_staff, staff_values
from pipeline.taxonomy import Taxonomy


def _latest_entries(conn: sqlite3.Connection) -> dict[str, tuple[str, str, int, str]]:
    """Comment id → (workbook, its SHA-256, sheet row, when edited) of the latest entry in a staff column."""
    out: dict[str, tuple[str, str, int, str]] = {}
    marks = ",".join("?" * len(STAFF_COLUMNS))
    for cid, workbook, sha, row, edited in conn.execute(
            f"SELECT comment_id, workbook, workbook_sha256, sheet_row, edited FROM staff_entries "
            f"WHERE column_name IN ({marks}) ORDER BY entry_id", tuple(STAFF_COLUMNS.values())):
        out[cid] = (workbook, sha, row, edited)
    return out


def state_corrections(conn: sqlite3.Connection, taxonomy: Taxonomy) -> list[Correction]:
    """The corrections staff made in the workbooks the nightly runs read: per comment with an entry in a staff
    column, its label, decision and answer as the next workbook shows them (the stored row, the entries on top).
    An unknown label or decision is a UserError naming the workbook, row and column staff typed it in."""
    latest = _latest_entries(conn)
    if not latest:
        return []
    rows = {cid: json.loads(row) for cid, row in conn.execute("SELECT comment_id, row_json FROM comments")
            if cid in latest}
    df = apply_staff(pd.DataFrame.from_records(list(rows.values()), index=list(rows)).assign(comment_id=list(rows)),
                     staff_values(conn))
    by_source: dict[tuple[str, str, str], list[tuple[int, dict[str, str]]]] = {}
    for cid, row in df.iterrows():
        text = "" if pd.isna(row.get("text_clean")) else str(row.get("text_clean", ""))
        cells = {H_ID: str(cid), H_TEXT: text,
                 **{h: "" if pd.isna(row.get(c)) else str(row.get(c, "")).strip() for h, c in STAFF_COLUMNS.items()}}
        if not any(cells[h] for h in (H_LABEL_FIX, H_DECISION, H_ANSWER)):
            continue  # staff cleared every staff cell of the comment: nothing to learn, as in the workbook
        stored = row.get("fingerprint")
        cells[H_FINGERPRINT] = str(stored) if isinstance(stored, str) and stored else fingerprint(redacted(text))
        workbook, sha, sheet_row, edited = latest[str(cid)]
        by_source.setdefault((workbook, sha, edited), []).append((sheet_row, cells))
    out = [rec for (workbook, sha, edited), found in by_source.items()
           for rec in corrections_from(Edits(Path(workbook), sha, found), taxonomy, datetime.fromisoformat(edited))]
    return sorted(out, key=lambda r: r.fingerprint)
