"""The labelled-data reader as a Python function: what it returns, what it skips, and that it prints nothing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.errors import UserError
from pipeline.labelled import card_entry, card_files, combine_labelled, read_labelled, skipped_summary
from pipeline.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
GDANSK = load_taxonomy(ROOT / "data" / "taxonomies" / "gdansk_ngo_2023.toml")
ROWS = [
    ("Więcej środków na dotacje, pisze jan.kowalski@example.com.", "finansowanie", "K1"),
    ("Więcej środków na dotacje, pisze jan.kowalski@example.com.", "finansowanie", ""),
    ("Prosimy o wyższą kwotę na granty wieloletnie.", "Finansowe formy współpracy i środki", "K2"),
    ("Wolontariusze potrzebują ubezpieczenia i szkoleń.", "wolontariat", "K2"),
    ("Bez etykiety.", "", ""),
    ("", "wolontariat", ""),
]


def write(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    pd.DataFrame(rows, columns=["tekst", "cel", "kampania"]).to_csv(path, index=False)
    return path


def test_skipped_rows_come_back_by_reason_and_nothing_is_printed(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture) -> None:
    data = read_labelled(write(tmp_path / "dane.csv", ROWS), GDANSK, text_cols=["tekst"])
    assert data.skipped == {"bez tekstu": [7], "bez etykiety": [6]}  # rows as a spreadsheet numbers them
    assert skipped_summary(data.skipped) == "2 wiersze (bez tekstu: wiersz 7; bez etykiety: wiersz 6)"
    assert capsys.readouterr() == ("", "")
    assert len(data.texts) == 4


def test_texts_are_redacted_labels_are_ids_and_campaigns_share_a_fold(tmp_path: Path) -> None:
    data = read_labelled(write(tmp_path / "dane.csv", ROWS[:4]), GDANSK, text_cols=["tekst"], label_col="cel")
    assert data.labels == ["finansowanie", "finansowanie", "finansowanie", "wolontariat"]
    assert "[EMAIL]" in data.texts[0] and "kowalski" not in data.texts[0]
    assert data.skipped == {}
    # The repeated text (in campaign K1 once) and campaign K2 each stay within one cross-validation group.
    assert data.groups[0] == data.groups[1] and data.groups[2] == data.groups[3] != data.groups[0]


def test_a_named_label_column_that_does_not_exist_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="kolumna 'etykieta'"):
        read_labelled(write(tmp_path / "dane.csv", ROWS), GDANSK, text_cols=["tekst"], label_col="etykieta")


def test_several_files_are_one_data_set_grouped_across_files(tmp_path: Path) -> None:
    first = read_labelled(write(tmp_path / "a.csv", [ROWS[0], ROWS[2], (ROWS[3][0], "wolontariat", "")]), GDANSK,
                          text_cols=["tekst"])
    second = read_labelled(write(tmp_path / "b.csv", [ROWS[1], ("Nagrody dla wolontariuszy.", "wolontariat", "K2")]),
                           GDANSK, text_cols=["tekst"])
    data = combine_labelled([first, second])
    assert data.labels == [*first.labels, *second.labels] and len(data.texts) == 5
    # The text repeated in the second file and campaign K2, begun in the first, stay in one group each: a split
    # across files must not put copies on both sides of a fold.
    assert data.groups[0] == data.groups[3] and data.groups[1] == data.groups[4]
    assert len({data.groups[0], data.groups[1], data.groups[2]}) == 3
    assert [name for name, _ in data.files] == ["a.csv", "b.csv"]
    assert data.sha256 not in (first.sha256, second.sha256)
    assert card_files(card_entry(data) | {"sha256": data.sha256}) == data.files
    assert card_files(card_entry(first) | {"sha256": first.sha256}) == first.files
