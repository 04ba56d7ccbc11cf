"""research.csv / research.parquet: an allow-list of PII-free columns for researchers.

An allow-list, not a deny-list: a new input column or a new stage column never reaches researchers by accident.
The original text, pass-through input columns (which may hold names, e-mails, phones) and staff answers never do;
the only input columns that do are the two a researcher asks for by meaning, each under a fixed name: the
submitter type (`--submitter-col`, unless it holds personal data) and the submission date (a date column found by
its header), and only as a category and a date.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.clean import fold
from pipeline.columns import OUTPUT_COLUMNS
from pipeline.export.tables import write_csv, write_parquet
from pipeline.vocabulary import STATUS_ERROR

# Columns of the comments table, copied as they are; the context columns below are added in front of them.
RESEARCH_COLUMNS = (
    "comment_id", "extraction", "ocr_confidence", "lang", "pii", "text_clean",
    "label", "labels", "confidence", "needs_review", "evidence", "comment_type", "semantic", "label_corrected",
    "cluster_id", "cluster_size", "cluster_kind", "cluster_role", "cluster_representative", "cluster_similarity",
    "added_text", "theme",
    "priority", "priority_reason", "cited_provisions", "status", "status_reason",
)
CONTEXT_COLUMNS = ("consultation", "taxonomy", "source_file", "submitter_type", "submitted", "length_words")
RESEARCH_FILES = ("research.csv", "research.parquet")

# A record that could not be read may be a whole line of the file, personal-data columns included, where redaction
# of running text does not reach (a bare "Lipowa 7 m. 3"): researchers get none of its text.
_TEXT_COLUMNS = ("text_clean", "evidence", "added_text")

# "Data", "Data wpływu", "Data złożenia uwagi", "Data zgłoszenia"; never a date of birth, which is personal.
_DATE_HEADER = re.compile(r"^data(?: (?:wplywu|zlozenia|zgloszenia|nadania|przeslania|wyslania|dodania|uwagi)\b.*)?$")


@dataclass(frozen=True)
class ResearchContext:
    """What the comments table does not say by itself: which consultation, taxonomy and input columns it came from."""

    consultation: str = ""
    taxonomy: str = ""
    submitter_col: str | None = None
    pii_columns: Sequence[str] = ()
    # source_file -> consultation, when one run read several consultations; other rows get `consultation`.
    consultation_by_file: Mapping[str, str] = field(default_factory=dict)
    # The submission-date column found over the whole batch (`first_date_column`), '' when it has none, for a table
    # written in parts (the Dask engine): a part's own cells could name another. None: found in the table given.
    date_col: str | None = None


def _passthrough(df: pd.DataFrame, name: str | None) -> str | None:
    """The comments-table name of an input column (ingest prefixes `in_` where it clashes with an output column)."""
    if not name:
        return None
    return next((c for c in (name, f"in_{name}") if c in df.columns), None)


def date_column(df: pd.DataFrame, personal: Sequence[str] = ()) -> str | None:
    """The first pass-through column whose header names the submission date and whose filled cells are dates."""
    return first_date_column(date_cells(df, personal))


def date_cells(df: pd.DataFrame, personal: Sequence[str] = ()) -> dict[str, tuple[int, bool]]:
    """Each pass-through column whose header names the submission date: its filled cells, and whether all are dates.
    Of parts of a table, add up the first and require the second of every part (`first_date_column`)."""
    found = {}
    for col in df.columns:
        if col in OUTPUT_COLUMNS or col in personal or not _DATE_HEADER.match(fold(str(col).removeprefix("in_"))):
            continue
        values = df[col].astype("string").str.strip().replace("", pd.NA).dropna()
        found[col] = (len(values), bool(parse_dates(values).notna().all()))
    return found


def first_date_column(*parts: Mapping[str, tuple[int, bool]]) -> str | None:
    """The date column of a table from `date_cells` of each of its parts (columns in the table's order)."""
    for col in parts[0] if parts else ():
        if sum(p[col][0] for p in parts) and all(p[col][1] for p in parts):
            return col
    return None


def parse_dates(values: pd.Series) -> pd.Series:
    """ISO dates (`2022-10-05`, also with a time) and Polish day-first ones (`05.10.2022`), as datetime64."""
    iso = pd.to_datetime(values, errors="coerce", format="ISO8601")
    return iso.fillna(pd.to_datetime(values, errors="coerce", dayfirst=True, format="mixed"))


def research_table(df: pd.DataFrame, context: ResearchContext | None = None) -> pd.DataFrame:
    context = context or ResearchContext()
    table = df[[c for c in RESEARCH_COLUMNS if c in df.columns]].copy()
    unreadable = (table["status"] == STATUS_ERROR).to_numpy() if "status" in table else []
    for col in _TEXT_COLUMNS:
        if col in table:
            table.loc[unreadable, col] = ""
    submitter = _passthrough(df, context.submitter_col)
    if submitter in context.pii_columns:
        submitter = None
    dated = date_column(df, context.pii_columns) if context.date_col is None else context.date_col or None
    texts = df["text_clean"].fillna("").astype(str) if "text_clean" in df else pd.Series("", index=df.index)
    front = pd.DataFrame({
        "consultation": (df["source_file"].map(context.consultation_by_file).fillna(context.consultation)
                         if context.consultation_by_file and "source_file" in df else context.consultation),
        "taxonomy": context.taxonomy,
        "source_file": df["source_file"] if "source_file" in df else "",
        "submitter_type": df[submitter].fillna("").astype(str).str.strip() if submitter else "",
        "submitted": parse_dates(df[dated].astype("string").str.strip()).dt.date if dated else None,
        # Counted in Python: pandas' `str.split` builds every text's list of words first.
        "length_words": pd.Series([len(text.split()) for text in texts.tolist()], index=df.index, dtype="int64"
                                  ).where(~pd.Series(unreadable, index=df.index, dtype=bool), 0),
    }, index=df.index)
    front["submitted"] = pd.to_datetime(front["submitted"])
    front["length_words"] = front["length_words"].astype("int64")
    return pd.concat([front, table], axis=1)


def write_research(df: pd.DataFrame, out_dir: Path, context: ResearchContext | None = None) -> list[str]:
    return write_research_table(research_table(df, context), out_dir)


def write_research_table(table: pd.DataFrame, out_dir: Path) -> list[str]:
    write_csv(table, out_dir / RESEARCH_FILES[0])
    write_parquet(table, out_dir / RESEARCH_FILES[1])
    return list(RESEARCH_FILES)
