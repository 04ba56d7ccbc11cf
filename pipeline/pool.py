"""Pooling consultations: the research tables of several output folders as one table to compare them.

Each folder's `research.parquet` already names its consultation and taxonomy in every row, so pooling is a
concatenation. Goals stay as each taxonomy defines them: a goal id means something only within its taxonomy, and
two consultations classified with different taxonomies are compared by consultation, not goal by goal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.errors import UserError
from pipeline.export.research import RESEARCH_FILES, write_research_table


@dataclass
class Pooled:
    table: pd.DataFrame
    # Taxonomy names in folder order; more than one means goals are comparable only within each.
    taxonomies: list[str]


def pool(folders: Sequence[str | Path]) -> Pooled:
    """The research tables of `folders` (each an output folder of `uwagi run`), one after another."""
    tables = []
    for folder in map(Path, folders):
        path = folder / RESEARCH_FILES[1]
        if not path.is_file():
            raise UserError(f"brak pliku {RESEARCH_FILES[1]}; podaj katalog wyników polecenia uwagi run", path=folder)
        tables.append(pd.read_parquet(path))
    table = pd.concat(tables, ignore_index=True)
    return Pooled(table, list(dict.fromkeys(table["taxonomy"].astype(str))))


def write_pool(pooled: Pooled, out_dir: Path) -> list[str]:
    out_dir.mkdir(parents=True, exist_ok=True)
    return write_research_table(pooled.table, out_dir)
