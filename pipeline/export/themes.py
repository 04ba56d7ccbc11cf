"""themes.csv and the workbook's "Tematy" sheet: the inductive themes of `pipeline.themes`, one row per theme."""

from __future__ import annotations

import pandas as pd

from pipeline.sheets import label_names
from pipeline.taxonomy import Taxonomy
from pipeline.themes import POOL

POOL_NAME = "Poza celami (poza zakresem lub niepewne)"
# The sheet's columns: header, width, cell kind (see `pipeline.export.xlsx.Column`).
THEME_LAYOUT = (("Temat", 22, "wrap"), ("Cel", 26, "wrap"), ("Liczba uwag", 9, "number"),
                ("Słowa kluczowe", 40, "wrap"), ("Przykładowa uwaga", 70, "wrap"), ("Stabilność", 10, "percent"))


def goal_name(goal: str, taxonomy: Taxonomy | None) -> str:
    return POOL_NAME if goal == POOL else label_names(taxonomy).get(goal, goal)


def themes_view(themes: pd.DataFrame, taxonomy: Taxonomy | None) -> pd.DataFrame:
    """The sheet's rows in Polish, goal by goal, largest theme first."""
    view = pd.DataFrame({
        "Temat": themes["theme"],
        "Cel": [goal_name(g, taxonomy) for g in themes["goal"]],
        "Liczba uwag": themes["size"].astype(int),
        "Słowa kluczowe": themes["key_phrases"],
        "Przykładowa uwaga": themes["quote"],
        "Stabilność": themes["stability"].astype(float),
    }, columns=[c[0] for c in THEME_LAYOUT])
    return view.sort_values(["Cel", "Liczba uwag"], ascending=[True, False], kind="stable").reset_index(drop=True)
