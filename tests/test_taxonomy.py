"""Taxonomy files: the shipped ones load, labels resolve by id or name, broken files fail with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import UserError
from pipeline.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
TAXONOMIES = ROOT / "data" / "taxonomies"

GOOD = """
name = "Test"
language = "pl"

[[label]]
id = "a"
name = "Finanse"
goal = "Cel A."
description = "Opis A."
keywords = ["dotacja"]

[[label]]
id = "b"
name = "Wolontariat"
goal = "Cel B."
description = "Opis B."
keywords = []
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_taxonomies_load() -> None:
    assert len(load_taxonomy(TAXONOMIES / "gdansk_ngo_2023.toml").ids) == 9
    assert len(load_taxonomy(TAXONOMIES / "lodz_bo_2025.toml").ids) == 8


def test_shipped_gdansk_taxonomy_matches_the_shared_one(shared_dir: Path) -> None:
    gdansk = load_taxonomy(TAXONOMIES / "gdansk_ngo_2023.toml")
    assert gdansk.sha256 == load_taxonomy(shared_dir / "taxonomy" / "gdansk_ngo_2023.toml").sha256


def test_every_lodz_category_in_the_data_resolves_by_its_official_name(lodz_proposals: Path) -> None:
    import pandas as pd

    categories = pd.read_csv(lodz_proposals, dtype=str)["kategoria"].unique()
    lodz = load_taxonomy(TAXONOMIES / "lodz_bo_2025.toml")
    assert all(lodz.resolve(c) for c in categories)


def test_labels_resolve_by_id_or_name_ignoring_case_and_diacritics(tmp_path: Path) -> None:
    taxonomy = load_taxonomy(write(tmp_path, GOOD))
    assert taxonomy.resolve("a") == "a"
    assert taxonomy.resolve("  WOLONTARIAT ") == "b"
    assert taxonomy.resolve("finanse") == "a"
    assert taxonomy.resolve("sport") is None


def test_hash_ignores_comments_and_formatting_but_not_content(tmp_path: Path) -> None:
    base = load_taxonomy(write(tmp_path, GOOD)).sha256
    assert load_taxonomy(write(tmp_path, "# comment\n" + GOOD.replace('id = "a"', 'id    =   "a"'))).sha256 == base
    assert load_taxonomy(write(tmp_path, GOOD.replace("Opis A.", "Opis A2."))).sha256 != base


@pytest.mark.parametrize("broken, message", [
    (GOOD.replace('id = "b"', 'id = "a"'), "powtórzony identyfikator etykiety 'a'"),
    (GOOD.replace('name = "Wolontariat"', 'name = "finanse"'), "powtórzona nazwa"),
    (GOOD.replace('goal = "Cel B."\n', ""), "etykieta nr 2: brak pola 'goal'"),
    (GOOD.replace('keywords = ["dotacja"]', 'keywords = "dotacja"'), "keywords"),
    (GOOD.replace('name = "Test"\n', ""), "brak pola 'name'"),
    ('name = "T"\nlanguage = "pl"\n', "nie ma żadnej etykiety"),
    (GOOD.replace("[[label]]", "[[label]", 1), "błędny plik TOML"),
    ('name = "T"\nlanguage = pl\n', "wiersz 2: błędny plik TOML: niepoprawna wartość"),
])
def test_broken_files_name_the_file_and_the_problem(tmp_path: Path, broken: str, message: str) -> None:
    path = write(tmp_path, broken)
    with pytest.raises(UserError) as err:
        load_taxonomy(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_missing_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="nie ma takiego pliku"):
        load_taxonomy(tmp_path / "nope.toml")
