"""research.csv / research.parquet: an allow-list of PII-free columns for researchers.

An allow-list, not a deny-list: a new input column or a new stage column never reaches researchers by accident.
The original text, pass-through input columns (which may hold names, e-mails, phones) and staff answers never do.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.export.tables import write_csv, write_parquet

RESEARCH_COLUMNS = (
    "comment_id", "lang", "pii", "text_clean",
    "label", "labels", "confidence", "needs_review", "evidence", "comment_type", "label_corrected",
    "cluster_id", "cluster_size", "cluster_role", "cluster_representative", "cluster_similarity", "added_text",
    "priority", "priority_reason", "cited_provisions", "status", "status_reason",
)


def research_table(df: pd.DataFrame) -> pd.DataFrame:
    return df[[c for c in RESEARCH_COLUMNS if c in df.columns]].copy()


def write_research(df: pd.DataFrame, out_dir: Path) -> list[str]:
    table = research_table(df)
    write_csv(table, out_dir / "research.csv")
    write_parquet(table, out_dir / "research.parquet")
    return ["research.csv", "research.parquet"]
