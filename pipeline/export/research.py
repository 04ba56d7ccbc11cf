"""research.csv / research.parquet: an allow-list of PII-free columns for researchers.

An allow-list, not a deny-list: a new input column or a new stage column never reaches researchers by accident.
The original text, pass-through input columns (which may hold names, e-mails, phones) and staff answers never do.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.export.tables import write_csv, write_parquet
from pipeline.vocabulary import STATUS_ERROR

RESEARCH_COLUMNS = (
    "comment_id", "extraction", "ocr_confidence", "lang", "pii", "text_clean",
    "label", "labels", "confidence", "needs_review", "evidence", "comment_type", "semantic", "label_corrected",
    "cluster_id", "cluster_size", "cluster_role", "cluster_representative", "cluster_similarity", "added_text",
    "priority", "priority_reason", "cited_provisions", "status", "status_reason",
)


# A record that could not be read may be a whole line of the file, personal-data columns included, where redaction
# of running text does not reach (a bare "Lipowa 7 m. 3"): researchers get none of its text.
_TEXT_COLUMNS = ("text_clean", "evidence", "added_text")


def research_table(df: pd.DataFrame) -> pd.DataFrame:
    table = df[[c for c in RESEARCH_COLUMNS if c in df.columns]].copy()
    unreadable = (table["status"] == STATUS_ERROR).to_numpy() if "status" in table else []
    for col in _TEXT_COLUMNS:
        if col in table:
            table.loc[unreadable, col] = ""
    return table


def write_research(df: pd.DataFrame, out_dir: Path) -> list[str]:
    table = research_table(df)
    write_csv(table, out_dir / "research.csv")
    write_parquet(table, out_dir / "research.parquet")
    return ["research.csv", "research.parquet"]
