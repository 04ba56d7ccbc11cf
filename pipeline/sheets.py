"""The workbook's contract: the sheet names and headers of triage.xlsx that staff work in and `uwagi learn` reads.

The XLSX writer lays the workbook out with these names and the edits reader finds its rows by them, so renaming
one here renames it on both sides; a workbook staff saved keeps working as long as these stay the same.
"""

from __future__ import annotations

from pipeline.taxonomy import Taxonomy
from pipeline.vocabulary import KIND_CAMPAIGN, KIND_DUPLICATE, ROLE_REPRESENTATIVE

SHEET_SUMMARY = "Podsumowanie"
SHEET_COMMENTS = "Uwagi"
SHEET_CAMPAIGNS = "Kampanie"
SHEET_THEMES = "Tematy"
SHEET_REVIEW = "Do weryfikacji"
SHEET_TAXONOMY = "Słownik celów"
SHEET_INFO = "Informacje"
# Runs with a state (`--state`): the runs so far, and staff entries two workbooks disagree on.
SHEET_HISTORY = "Historia"
SHEET_CONFLICTS = "Konflikty"

# Headers of "Uwagi" that identify a comment.
H_ID = "ID"
H_TEXT = "Treść"
H_LABEL = "Cel"
H_CAMPAIGN = "Kampania"  # the group of a campaign or duplicate member: "K1", "K1 – reprezentant", "D2"
H_FINGERPRINT = "Odcisk treści"  # hidden: the content key, so a row is found after staff re-sort or clear its ID
# The columns staff fill in; everything else in the workbook is uwagi's own output.
H_LABEL_FIX = "Cel – korekta"
H_DECISION = "Status – decyzja"
H_ANSWER = "Odpowiedź"
STAFF_HEADERS = (H_LABEL_FIX, H_DECISION, H_ANSWER)
# Runs with a state: "tak" on comments new since the last run (a filter), and what changed about a comment.
H_NEW = "Nowe"
H_CHANGE = "Zmiana"

# Rows of "Informacje" naming the model the workbook was made with, which `uwagi learn` starts from by default.
INFO_MODEL = "Model klasyfikacji"
INFO_MODEL_SHA256 = "Model klasyfikacji – SHA-256"
# A row of "Informacje" naming the layout version, so a future reader can tell old workbooks apart.
FORMAT_KEY = "Format arkusza"
FORMAT_VALUE = "uwagi triage.xlsx, wersja 1"


def label_names(taxonomy: Taxonomy | None) -> dict[str, str]:
    """Goal id → the name the workbook shows (and staff may type back instead of the id)."""
    return {lb.id: lb.name for lb in taxonomy.labels} if taxonomy else {}


# A group's name on the sheets is its kind's letter and its rank by size: "K1" (a campaign), "D1" (duplicates).
GROUP_PREFIX = {KIND_CAMPAIGN: "K", KIND_DUPLICATE: "D"}
_REPRESENTATIVE_MARK = f" – {ROLE_REPRESENTATIVE}"


def campaign_cell(group: str, representative: bool) -> str:
    """The "Kampania" cell of a member of `group` ("K1"): "K1 – reprezentant" on the representative's row."""
    return group + _REPRESENTATIVE_MARK if group and representative else group


def read_campaign_cell(value: str) -> tuple[str, bool]:
    """The group a "Kampania" cell names and whether the row is its representative; ("", False) when none."""
    value = value.strip()
    if value.endswith(_REPRESENTATIVE_MARK):
        return value[: -len(_REPRESENTATIVE_MARK)].strip(), True
    return value, False


def group_kind(group: str) -> str:
    """The kind of the group a sheet names ("K1" → kampania), the campaign kind for a name of another form."""
    return next((kind for kind, prefix in GROUP_PREFIX.items() if group.startswith(prefix)), KIND_CAMPAIGN)
