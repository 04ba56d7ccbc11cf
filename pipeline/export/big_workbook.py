"""A workbook that stays usable however big the consultation: above `cfg.export.workbook_max_comments` comments,
"Uwagi" lists only that many (the highest priorities), the first sheet says so, and the whole table is in
comments.csv and comments.parquet. No sheet ever passes Excel's row limit.

Every other sheet keeps every row it would have: the summary counts all comments, "Kampanie" every campaign and
"Do weryfikacji" every comment to check (each up to the row limit); a link to a comment not on "Uwagi" is left out.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.config import Config
from pipeline.export.tables import write_parquet

# Rows of an Excel worksheet (XLSX), the header row included.
EXCEL_ROWS = 1_048_576
FULL_TABLE = "comments.parquet"


def is_big(n_comments: int, cfg: Config) -> bool:
    return n_comments > cfg.export.workbook_max_comments


def fitting(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a sheet's table that fit below its header."""
    return table.iloc[:EXCEL_ROWS - 1]


def listed_comments(by_priority: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """The comments "Uwagi" lists, from all comments in priority order."""
    return fitting(by_priority.iloc[:cfg.export.workbook_max_comments] if is_big(len(by_priority), cfg)
                   else by_priority)


def big_workbook_note(listed: int, total: int) -> str | None:
    """The line on the first sheet saying the workbook lists only part of the comments (None when it lists all)."""
    if listed >= total:
        return None
    return (f"Duża konsultacja: arkusz „Uwagi” zawiera {_number(listed)} z {_number(total)} uwag, te o najwyższym "
            f"priorytecie; pozostałe arkusze obejmują wszystkie uwagi. Pełna tabela: pliki comments.csv i "
            f"{FULL_TABLE}.")


def _number(n: int) -> str:
    return f"{n:,}".replace(",", "\u00a0")  # Polish groups thousands with a (non-breaking) space


def write_full_table(shown: pd.DataFrame, folder: Path, cfg: Config) -> list[str]:
    """comments.parquet beside comments.csv when the workbook lists only part of the comments; the file names
    written."""
    if not is_big(len(shown), cfg):
        return []
    write_parquet(shown, folder / FULL_TABLE)
    return [FULL_TABLE]
