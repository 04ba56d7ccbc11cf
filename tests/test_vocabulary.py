"""The data dictionary staff and researchers read names every value uwagi writes into its tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.vocabulary import DECISIONS, PLACEHOLDER, PLACEHOLDERS, ROLES, STATUSES

DICTIONARY = Path(__file__).resolve().parents[1] / "docs" / "data-dictionary.md"


def _row(column: str) -> str:
    """The data dictionary's table row of a comments-table column."""
    return next(line for line in DICTIONARY.read_text(encoding="utf-8").splitlines()
                if line.startswith(f"| `{column}` |"))


@pytest.mark.parametrize(("column", "values"), [
    ("status", STATUSES), ("cluster_role", ROLES), ("decision", DECISIONS), ("text_clean", PLACEHOLDERS.values()),
])
def test_data_dictionary_names_every_value(column: str, values: tuple[str, ...]) -> None:
    row = _row(column)
    assert [v for v in values if f"`{v}`" not in row] == []


def test_every_placeholder_matches_the_placeholder_pattern() -> None:
    # Clustering, triage and the Polish layer find placeholders by the pattern, not by the list.
    assert all(PLACEHOLDER.fullmatch(p) for p in PLACEHOLDERS.values())
    assert PLACEHOLDER.fullmatch("[KOD_POCZTOWY]") and not PLACEHOLDER.fullmatch("[a]")
