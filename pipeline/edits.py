"""Staff edits read back from a triage.xlsx they saved: the filled-in staff columns of "Uwagi", as corrections.

The workbook may have been saved by Excel or LibreOffice, re-sorted or filtered: rows are found by the headers of
"Uwagi", never by position, and each comment is keyed by its content fingerprint (the hidden column the export
writes; recomputed from the text when a person deleted that column).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pipeline.campaign_spread import Member
from pipeline.clean import clean_text, fold
from pipeline.corrections import Correction, fingerprint, resolve_decision
from pipeline.errors import UserError
from pipeline.hashing import file_sha256
from pipeline.redact import redact_text
from pipeline.sheets import (
    H_ANSWER, H_CAMPAIGN, H_DECISION, H_FINGERPRINT, H_ID, H_LABEL, H_LABEL_FIX, H_TEXT, SHEET_COMMENTS,
    SHEET_INFO, SHEET_TAXONOMY, STAFF_HEADERS, read_campaign_cell,
)
from pipeline.taxonomy import Taxonomy
from pipeline.vocabulary import DECISIONS

REQUIRED_HEADERS = (H_ID, H_TEXT, *STAFF_HEADERS)
# Staff sometimes add a title row above the header before saving; look a few rows down for it.
_HEADER_SEARCH_ROWS = 5


def cell_text(v: Any) -> str:
    """A cell as staff typed it: stripped text, whole numbers without '.0', '' for an empty cell."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def redacted(text: str) -> str:
    """The run's `text_clean` for a text shown in the workbook: cleaned, then redacted."""
    return redact_text(clean_text(text))[0]


def sheet_rows(path: Path, sheet: str = SHEET_COMMENTS, required: bool = True
               ) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(row number, values) of a sheet of a saved workbook; a missing or damaged file is a UserError."""
    # Imported when a workbook is read: a night whose workbook staff did not touch reads none.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise UserError("nie ma takiego pliku", path=path) from None
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise UserError(f"plik nie jest skoroszytem .xlsx albo jest uszkodzony ({type(exc).__name__})",
                        path=path) from None
    try:
        if sheet not in wb.sheetnames:
            if required:
                raise UserError(f"to nie jest arkusz triage.xlsx programu uwagi: brak arkusza „{sheet}”", path=path)
            return
        for n, row in enumerate(wb[sheet].iter_rows(values_only=True), start=1):
            yield n, row
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise UserError(f"uszkodzony skoroszyt ({type(exc).__name__}: {exc})", path=path) from None
    finally:
        wb.close()


def _header_positions(row: Sequence[Any]) -> dict[str, int]:
    by_key = {fold(cell_text(v)): j for j, v in enumerate(row) if cell_text(v)}
    return {h: by_key[fold(h)] for h in (*REQUIRED_HEADERS, H_FINGERPRINT, H_CAMPAIGN, H_LABEL) if fold(h) in by_key}


@dataclass(frozen=True)
class Edits:
    """The rows of "Uwagi" where a person filled a staff column, as typed: (sheet row, cells by header), each with
    its fingerprint filled in."""

    path: Path
    sha256: str
    rows: list[tuple[int, dict[str, str]]]
    labels: frozenset[str] = frozenset()  # folded ids and names of the goals the workbook was made with
    # Every row of a campaign or group of duplicates ("Kampania"), edited or not: group → (sheet row, cells).
    groups: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)


def _workbook_labels(path: Path) -> frozenset[str]:
    """The goals in "Słownik celów": its rows below the header up to the first blank one (the decisions follow)."""
    labels: set[str] = set()
    for n, row in sheet_rows(path, SHEET_TAXONOMY, required=False):
        if n == 1:
            continue
        if not row or not cell_text(row[0]):
            break
        labels.update(fold(cell_text(v)) for v in row[:2] if cell_text(v))
    return frozenset(labels)


def read_edits(path: Path | str) -> Edits:
    """Check the workbook is a triage.xlsx and collect its edited rows; a foreign or damaged file is a UserError.

    Rows are matched by `ID`: one comment filled in twice with different values is refused, naming both rows.
    """
    path = Path(path)
    pos: dict[str, int] | None = None
    seen: dict[str, tuple[int, tuple[str, ...]]] = {}
    rows: list[tuple[int, dict[str, str]]] = []
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for n, row in sheet_rows(path):
        if pos is None:
            found = _header_positions(row)
            if H_ID in found and H_LABEL_FIX in found:
                missing = [h for h in REQUIRED_HEADERS if h not in found]
                if missing:
                    raise UserError(f"w arkuszu „{SHEET_COMMENTS}” brak kolumn: {', '.join(missing)}", path=path)
                pos = found
            elif n >= _HEADER_SEARCH_ROWS:
                break
            continue
        cells = {h: cell_text(row[j]) if j < len(row) else "" for h, j in pos.items()}
        values = (fold(cells[H_LABEL_FIX]), fold(cells[H_DECISION]), cells[H_ANSWER])
        group = read_campaign_cell(cells.get(H_CAMPAIGN, ""))[0]
        if not (any(values) or group) or not (cells[H_ID] or cells[H_TEXT] or cells.get(H_FINGERPRINT)):
            continue
        # Which comment it is, once per row: the hidden fingerprint, else that of the text (a workbook without it).
        cells[H_FINGERPRINT] = cells.get(H_FINGERPRINT) or fingerprint(redacted(cells[H_TEXT]))
        if group:
            groups.setdefault(group, []).append((n, cells))
        if not any(values):
            continue
        key = cells[H_ID] or cells[H_FINGERPRINT]  # a cleared ID cell loses nothing
        if key in seen:
            first_row, first_values = seen[key]
            if first_values != values:
                raise UserError(f"uwaga {key!r} występuje też w wierszu {first_row} z inną poprawką",
                                path=path, row=n, column=H_ID)
            continue
        seen[key] = (n, values)
        rows.append((n, cells))
    if pos is None:
        raise UserError(f"to nie jest arkusz triage.xlsx programu uwagi: w arkuszu „{SHEET_COMMENTS}” nie ma "
                        f"kolumn „{H_ID}” i „{H_LABEL_FIX}”", path=path)
    # The sheet's order is the staff's sorting, and its ID cells may be cleared: the new model depends on neither.
    rows.sort(key=lambda r: r[1][H_FINGERPRINT])
    return Edits(path, file_sha256(path), rows, _workbook_labels(path), groups)


def corrections_from(edits: Edits, taxonomy: Taxonomy, now: datetime | None = None) -> list[Correction]:
    """The edits as corrections with provenance. Labels may be given by name (the dropdown) or id, decisions
    without Polish letters; an unknown one is a UserError naming the row and column."""
    date = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    out = []
    for n, cells in edits.rows:
        label_raw, decision_raw, answer = cells[H_LABEL_FIX], cells[H_DECISION], cells[H_ANSWER]
        label = taxonomy.resolve(label_raw) if label_raw else None
        if label_raw and label is None and fold(label_raw) in edits.labels:
            raise UserError(f"cel {label_raw!r} pochodzi z taksonomii, z którą powstał arkusz, a model jest dla "
                            f"taksonomii {taxonomy.name!r}; podaj --model wytrenowany dla tamtej taksonomii",
                            path=edits.path, row=n, column=H_LABEL_FIX)
        if label_raw and label is None:
            raise UserError(f"nieznany cel {label_raw!r} (dozwolone nazwy i identyfikatory z arkusza "
                            f"„{SHEET_TAXONOMY}”)", path=edits.path, row=n, column=H_LABEL_FIX)
        # The workbook shows a comment's decision and answer filled in from earlier rounds, so an empty cell in an
        # edited row means staff cleared it: "" (not None, which would keep the earlier value).
        decision = resolve_decision(decision_raw) if decision_raw else ""
        if decision_raw and decision is None:
            raise UserError(f"nieznana decyzja {decision_raw!r} (dozwolone: {', '.join(DECISIONS)})",
                            path=edits.path, row=n, column=H_DECISION)
        text = redacted(cells[H_TEXT])
        out.append(Correction(
            fingerprint=cells[H_FINGERPRINT], comment_id=cells[H_ID], text=text,
            label=label, decision=decision, answer=answer,
            workbook=edits.path.name, workbook_sha256=edits.sha256, sheet=SHEET_COMMENTS, row=n, date=date,
        ))
    return out


def read_info(path: Path | str) -> dict[str, str]:
    """The label/value rows of "Informacje" (empty for a workbook without the sheet)."""
    return {cell_text(row[0]): cell_text(row[1]) for _, row in sheet_rows(Path(path), SHEET_INFO, required=False)
            if len(row) > 1 and cell_text(row[0])}


def group_members(edits: Edits, taxonomy: Taxonomy) -> dict[str, list[Member]]:
    """The workbook's campaigns and groups of duplicates, each member with the goal the workbook shows for it."""
    return {
        group: [Member(cells[H_FINGERPRINT], cells[H_ID], redacted(cells[H_TEXT]), n,
                       read_campaign_cell(cells[H_CAMPAIGN])[1], taxonomy.resolve(cells.get(H_LABEL, "")) or "")
                for n, cells in rows]
        for group, rows in edits.groups.items()
    }


def read_workbook(path: Path | str, taxonomy: Taxonomy, now: datetime | None = None) -> list[Correction]:
    """Every row of "Uwagi" where a person set a label, a decision or an answer, as corrections with provenance."""
    return corrections_from(read_edits(path), taxonomy, now)
