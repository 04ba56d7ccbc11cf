"""Staff work carried between nights: before a run writes, the staff columns of the workbooks in the output folder
(and columns staff added themselves) go into the state with provenance; the new workbook gets them back by comment
id. Two workbooks that changed the same cell differently are a conflict, listed, never resolved silently."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from pipeline.edits import cell_text, sheet_rows
from pipeline.hashing import file_sha256
from pipeline.sheets import H_ANSWER, H_DECISION, H_ID, H_LABEL_FIX, STAFF_HEADERS

# Where each staff header lives in the comments table; a column staff added keeps its header as its name.
STAFF_COLUMNS = {H_LABEL_FIX: "label_fix", H_DECISION: "decision", H_ANSWER: "answer"}
_HEADER_SEARCH_ROWS = 5


@dataclass(frozen=True)
class Cell:
    comment_id: str
    column: str
    value: str
    workbook: str
    sha256: str
    row: int
    who: str
    edited: str


def workbooks(out_dir: Path, name: str) -> list[Path]:
    """The workbook and the copies kept of it (`triage.edytowany-*.xlsx`), oldest first."""
    stem = Path(name).stem
    found = [p for p in out_dir.glob(f"{stem}*.xlsx") if p.name == name or p.name.startswith(f"{stem}.edytowany-")]
    return sorted(found, key=lambda p: p.stat().st_mtime)


def read_staff_cells(path: Path, sha: str, ours: Collection[str], written: Mapping[str, Mapping[str, object]]
                     ) -> list[Cell]:
    """The cells of the staff columns (and of any column not in `ours`) that differ from what uwagi wrote there
    (`written`: comment id → the last run's row)."""
    from openpyxl import load_workbook  # imported when a workbook is read: most nights read none

    wb = load_workbook(path, read_only=True)
    who, modified = wb.properties.lastModifiedBy or wb.properties.creator or "", wb.properties.modified
    wb.close()
    edited = (modified.replace(tzinfo=timezone.utc) if modified else
              datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)).isoformat(timespec="seconds")
    columns: dict[int, str] | None = None
    id_at = 0
    cells = []
    for n, row in sheet_rows(path):
        values = [cell_text(v) for v in row]
        if columns is None:
            if H_ID in values and H_LABEL_FIX in values:
                id_at = values.index(H_ID)
                columns = {j: h for j, h in enumerate(values) if h and (h in STAFF_HEADERS or h not in ours)}
            elif n >= _HEADER_SEARCH_ROWS:
                return []
            continue
        cid = values[id_at] if id_at < len(values) else ""
        if cid not in written:
            continue
        for j, header in columns.items():
            value = values[j] if j < len(values) else ""
            column = STAFF_COLUMNS.get(header, header)
            before = written[cid].get(column)
            if value != ("" if before is None else cell_text(before)):
                cells.append(Cell(cid, column, value, path.name, sha, n, who, edited))
    return cells


def harvest(conn: sqlite3.Connection, paths: list[Path], ours: Collection[str], run_id: int) -> int:
    """Store the staff cells of workbooks not read before, in one transaction; returns how many were new."""
    read = {r[0] for r in conn.execute("SELECT workbook_sha256 FROM workbooks_read")}
    unread = [(path, sha) for path, sha in ((p, file_sha256(p)) for p in paths) if sha not in read]
    written = {cid: json.loads(row) for cid, row in conn.execute("SELECT comment_id, row_json FROM comments")
               } if unread else {}
    by_cell: dict[tuple[str, str], list[Cell]] = {}
    shas = []
    for path, sha in unread:  # oldest first: the newest workbook's value is stored last and wins
        shas.append((sha, path.name))
        for cell in read_staff_cells(path, sha, ours, written):
            by_cell.setdefault((cell.comment_id, cell.column), []).append(cell)
    conn.execute("BEGIN IMMEDIATE")
    try:
        for (cid, column), cells in by_cell.items():
            for cell in cells:
                conn.execute(
                    "INSERT INTO staff_entries (comment_id, column_name, value, who, edited, workbook, "
                    "workbook_sha256, sheet_row, run_id) VALUES (?,?,?,?,?,?,?,?,?)",
                    (cid, column, cell.value, cell.who, cell.edited, cell.workbook, cell.sha256, cell.row, run_id))
            kept = cells[-1]
            for other in cells[:-1]:
                if other.value != kept.value:
                    conn.execute("INSERT INTO conflicts VALUES (?,?,?,?,?,?,?)",
                                 (cid, column, kept.value, other.value, kept.workbook, other.workbook, run_id))
        conn.executemany("INSERT OR IGNORE INTO workbooks_read VALUES (?,?,?)", [(s, n, run_id) for s, n in shas])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return sum(len(c) for c in by_cell.values())


def staff_values(conn: sqlite3.Connection) -> dict[str, dict[str, str]]:
    """Column → comment id → the latest value staff entered."""
    out: dict[str, dict[str, str]] = {}
    for cid, column, value in conn.execute(
            "SELECT comment_id, column_name, value FROM staff_entries ORDER BY entry_id"):
        out.setdefault(column, {})[cid] = value
    return out


def apply_staff(df: pd.DataFrame, values: Mapping[str, Mapping[str, str]]) -> pd.DataFrame:
    """The staff values back in their columns, by comment id (a column staff added becomes a column of the table)."""
    out = df.copy()
    ids = out["comment_id"].astype(str)
    for column, by_id in values.items():
        current = out[column] if column in out.columns else pd.Series([""] * len(out), index=out.index)
        entered = ids.map(by_id)
        out[column] = entered.where(entered.notna(), current.fillna("").astype(object))
    return out


def conflicts(conn: sqlite3.Connection) -> pd.DataFrame:
    """Every conflict found, as the workbook's "Konflikty" sheet lists them."""
    header = {STAFF_COLUMNS[h]: h for h in STAFF_COLUMNS}
    rows = [{"ID": cid, "Kolumna": header.get(col, col), "Wpisano (zachowano)": kept, "Z arkusza": kept_wb,
             "Inna wartość": other, "Z arkusza (inna)": other_wb, "Przebieg": run}
            for cid, col, kept, other, kept_wb, other_wb, run in conn.execute(
                "SELECT comment_id, column_name, kept, other, kept_workbook, other_workbook, run_id FROM conflicts "
                "ORDER BY run_id, rowid")]
    return pd.DataFrame(rows, columns=["ID", "Kolumna", "Wpisano (zachowano)", "Z arkusza", "Inna wartość",
                                       "Z arkusza (inna)", "Przebieg"])
