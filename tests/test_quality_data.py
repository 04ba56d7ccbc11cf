"""The data behind the quality figures ships whole: the corpora the docs describe, equal to their ../shared sources."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pandas as pd

from tests.quality_data import read_jsonl

GDANSK_PRIMARY = {"finansowanie": 128, "rozwoj_instytucjonalny": 75, "mechanizmy_kryzysowe": 66,
                  "zadania_priorytetowe": 62, "wspolpraca_pozafinansowa": 61, "wolontariat": 54, "ewaluacja": 26,
                  "proces_konsultacji": 26, "poza_zakresem": 22}
LODZ_CATEGORIES = {"Infrastruktura komunalna i bezpieczeństwo": 272, "Tereny zielone i ochrona środowiska": 215,
                   "Infrastruktura drogowa i komunikacja": 195, "Sport i rekreacja": 172, "Kultura i dziedzictwo": 46,
                   "Edukacja, dzieci i młodzież": 29, "Inne": 20, "Zdrowie i pomoc społeczna": 19}


def test_gdansk_dev_corpus_is_the_documented_520_comments(gdansk_dev: list[dict]) -> None:
    assert len({row["id"] for row in gdansk_dev}) == len(gdansk_dev) == 520
    assert Counter(row["primary_label"] for row in gdansk_dev) == GDANSK_PRIMARY
    campaigns = Counter(row["campaign"] for row in gdansk_dev if row["campaign"])
    assert campaigns == {"KA1": 30, "KA2": 20, "KB1": 25, "KB2": 15, "DUP1": 2, "DUP2": 2}


def test_lodz_proposals_are_the_documented_968(lodz_proposals: Path) -> None:
    frame = pd.read_csv(lodz_proposals, dtype=str, keep_default_na=False)
    assert frame["id"].is_unique and len(frame) == 968
    assert frame["kategoria"].value_counts().to_dict() == LODZ_CATEGORIES
    assert frame["opis"].str.len().between(101, 8122).all()


# ----------------------------------------------------------------------- the copies equal their ../shared sources

def test_gdansk_dev_corpus_equals_the_shared_dev_set(shared_dir: Path, gdansk_dev: list[dict]) -> None:
    assert gdansk_dev == read_jsonl(shared_dir / "data" / "gdansk_ngo_2023" / "dev.jsonl")


def test_lodz_proposals_equal_the_shared_file_in_every_column_kept(shared_dir: Path, lodz_proposals: Path) -> None:
    with lodz_proposals.open(encoding="utf-8", newline="") as f:
        shipped = list(csv.DictReader(f))
    with (shared_dir / "data" / "lodz_bo_2025" / "proposals.csv").open(encoding="utf-8", newline="") as f:
        source = [{column: row[column] for column in shipped[0]} for row in csv.DictReader(f)]
    assert shipped == source
