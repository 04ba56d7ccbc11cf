"""Ingest: consultation exports (CSV, XLSX, JSON Lines) and documents (PDF, DOCX, ODT, scans) -> one comments table.

Every record in a file becomes exactly one row: a record that cannot be read becomes a row with status `błąd` and
the reason in `error`, never a dropped row. Blank lines and wholly empty spreadsheet rows are not records.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.clean import fold, unescape_entities
from pipeline.column_roles import TEXT_HEADERS, ColumnRoles, detect_roles, header_key, part_of
from pipeline.columns import INGEST_COLUMNS, OUTPUT_COLUMNS, TEXT_PART_COLUMNS
from pipeline.config import IngestConfig
from pipeline.errors import UserError, plural
from pipeline.inputs import read_inputs
from pipeline.pii_columns import detect_pii_columns
from pipeline.readers import RawTable, base_header
from pipeline.vocabulary import STATUS_EMPTY, STATUS_ERROR, STATUS_OK


def find_text_columns(columns: Sequence[str], explicit: Sequence[str] = (), path: Path | None = None) -> list[str]:
    """The text columns by header: the explicit ones (which must exist), else every column whose header is a known
    text header, else every one whose header starts with one (`column_roles.part_of`)."""
    if explicit:
        _check_explicit(columns, explicit, path)
        return list(dict.fromkeys(explicit))
    # Without the cells, a header that only starts with a text header ("comment_type") cannot be told from a
    # text column: such headers count only when no header is a text header itself.
    exact = [c for c in columns if header_key(c) in TEXT_HEADERS]
    found = exact or [c for c in columns if part_of(c)]
    if found:
        return found
    raise _no_text_column(columns, path)


def _check_explicit(columns: Sequence[str], explicit: Sequence[str], path: Path | None) -> None:
    missing = [c for c in explicit if c not in columns]
    if missing:
        raise UserError(f"brak kolumny tekstu (są: {_listing(columns)})", path=path, column=missing[0])


def _no_text_column(columns: Sequence[str], path: Path | None) -> UserError:
    return UserError(f"nie znaleziono kolumny z treścią uwag (są: {_listing(columns)}); wskaż ją opcją --text-col",
                     path=path)


def table_roles(frame: pd.DataFrame, cfg: IngestConfig, path: Path | None = None) -> ColumnRoles:
    """The roles of an export's columns (text by header and content, id, personal, provision); no text column is
    a UserError."""
    columns = [str(c) for c in frame.columns]
    if cfg.text_cols:
        _check_explicit(columns, cfg.text_cols, path)
    roles = detect_roles({c: frame[c].tolist() for c in columns}, text_cols=list(dict.fromkeys(cfg.text_cols)),
                         id_col=cfg.id_col, pii_cols=cfg.pii_cols)
    if not roles.text:
        raise _no_text_column(columns, path)
    return roles


def _listing(columns: Sequence[str], limit: int = 12) -> str:
    """Column names for an error message: a long cell read as a header must not flood the one line."""
    names = [c if len(c) <= 40 else c[:39] + "…" for c in map(str, columns)]
    return ", ".join(names[:limit]) + (f" i {plural(len(names) - limit, 'inna', 'inne', 'innych')}" if len(names) > limit else "")


def join_text(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """One text per row; several columns are joined, each non-empty part labelled with its header."""
    if len(columns) == 1:
        return [str(v) for v in frame[columns[0]].tolist()]
    texts = []
    for values in zip(*(frame[c].tolist() for c in columns)):
        parts = [f"{base_header(c)}: {str(v).strip()}" for c, v in zip(columns, values) if str(v).strip()]
        texts.append("\n\n".join(parts))
    return texts


def join_parts(frame: pd.DataFrame, parts: dict[str, str]) -> dict[str, list[str]]:
    """Each text part (`TEXT_PART_COLUMNS`) per row, unlabelled; columns of the same part are joined by a blank line."""
    out = {}
    for part in TEXT_PART_COLUMNS:
        columns = [c for c, p in parts.items() if p == part]
        values = zip(*(frame[c].tolist() for c in columns)) if columns else ((),) * len(frame)
        out[part] = ["\n\n".join(s for s in (str(v).strip() for v in row) if s) for row in values]
    return out


def comment_ids(texts: Sequence[str]) -> list[str]:
    """Short hash of the folded text plus its occurrence number within the batch: stable, position-independent."""
    return numbered([text_digest(text) for text in texts])


def text_digest(text: str) -> str:
    """The hash part of a comment id."""
    return hashlib.sha1(fold(text).encode("utf-8")).hexdigest()[:10]


def numbered(digests: Sequence[str], seen: Counter[str] | None = None) -> list[str]:
    """Each digest with its occurrence number among `digests` (in batch order): the comment ids. `seen` counts the
    digests of the batch's rows before these (a batch ingested part by part), and is updated."""
    seen = Counter() if seen is None else seen
    ids = []
    for digest in digests:
        seen[digest] += 1
        ids.append(f"{digest}-{seen[digest]}")
    return ids


def unique_ids(values: Sequence[str], fallback: Sequence[str]) -> list[str]:
    """--id-col values; an empty one takes the hash id, a repeated one the first free -2, -3 suffix (never a value
    given elsewhere in the batch), so ids stay unique."""
    given = {v.strip() for v in values}
    used: set[str] = set()
    out = []
    for value, alt in zip(values, fallback):
        value = value.strip() or alt
        candidate, n = value, 1
        while candidate in used or (n > 1 and candidate in given):
            n += 1
            candidate = f"{value}-{n}"
        used.add(candidate)
        out.append(candidate)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Tables -> the comments table


def to_comments(table: RawTable, cfg: IngestConfig, source_file: str, names: dict[str, str],
                id_col: str | None) -> pd.DataFrame:
    """Map one RawTable to comment rows (ids are assigned later, over the whole batch). `id_col` is the column that
    gives the ids (None when --id-col holds personal data: it then passes through like any other); `names` are the
    pass-through columns' output names (`passthrough_names`)."""
    return pd.DataFrame(comment_columns(table, cfg, source_file, names, id_col))


def comment_columns(table: RawTable, cfg: IngestConfig, source_file: str, names: dict[str, str],
                    id_col: str | None) -> dict[str, Any]:
    """`to_comments`' columns, as lists (or one value for every row), in its order: a reader that works on them
    before they are a table (`ingest_parts`) saves a round trip of every text through Arrow."""
    frame, document = table.frame, table.document
    if document is not None:
        # A letter has no id or submitter column: its ids are hashes, its submitter is unknown.
        id_col = id_col if id_col in frame.columns else None
        roles = detect_roles({str(c): frame[c].tolist() for c in frame.columns}, text_cols=document.text_columns,
                             id_col=id_col, pii_cols=cfg.pii_cols)
    else:
        roles = table_roles(frame, cfg, table.path)
        if cfg.id_col and cfg.id_col not in frame.columns:
            raise UserError("brak kolumny identyfikatora", path=table.path, column=cfg.id_col)
        if cfg.submitter_col and cfg.submitter_col not in frame.columns:
            raise UserError("brak kolumny z typem zgłaszającego", path=table.path, column=cfg.submitter_col)
    table.roles = roles
    text_cols = list(roles.text)
    texts = join_text(frame, text_cols)
    parts = join_parts(frame, roles.text)
    for i, line in table.raw.items():
        texts[i] = line
    status = [STATUS_OK if t.strip() else STATUS_EMPTY for t in texts]
    errors = [""] * len(texts)
    for i, reason in table.errors.items():
        status[i], errors[i] = STATUS_ERROR, reason
    used = set(text_cols) | ({id_col} if id_col else set()) | ({roles.provision} if roles.provision else set())
    # Built in one go: a column added to a DataFrame one at a time copies the ones before it (quadratic in width).
    passthrough = {names[col]: frame[col].tolist() for col in frame.columns if col not in used}
    return {
        "source_file": source_file,
        "source_row": pd.array(table.rows, dtype="int64"),
        **(dict(document.records.items()) if document is not None else
           {"source_page": "", "extraction": "", "ocr_confidence": pd.array([math.nan] * len(texts),
                                                                              dtype="float64")}),
        "text": texts,
        **parts,
        "document_part": frame[roles.provision].tolist() if roles.provision else [""] * len(texts),
        "status": status,
        "error": errors,
        "_id_value": frame[id_col].tolist() if id_col else [""] * len(texts),
        **passthrough,
    }


def passthrough_names(headers: Sequence[Sequence[str]]) -> dict[str, str]:
    """Output name of every input column, the same for all files of a batch: a name of an output column gets `in_`,
    and `in_` again while that is an input column too ("status" next to another file's "in_status")."""
    taken = set(OUTPUT_COLUMNS) | {c for cols in headers for c in cols}
    names: dict[str, str] = {}
    for col in dict.fromkeys(c for cols in headers for c in cols):
        name = col
        if col in OUTPUT_COLUMNS or col.startswith("_"):
            name = f"in_{col}"
            while name in taken:
                name = f"in_{name}"
            taken.add(name)
        names[col] = name
    return names


def source_names(tables: Sequence[RawTable]) -> list[str]:
    """Each table's `source_file`: its file name, or its whole path where two files of the batch share a name."""
    names = [t.path.name for t in tables]
    clashes = {n for n, k in Counter(names).items() if k > 1}
    return [str(t.path) if n in clashes else n for t, n in zip(tables, names)]


def checked_inputs(inputs: Sequence[RawTable], cfg: IngestConfig) -> list[RawTable]:
    """The files that were read, once the batch passes the checks of the files as a whole: a skipped file (with
    --strict, or when no file was read) and a --sheet with no workbook among the inputs are UserErrors."""
    tables = [t for t in inputs if not t.skipped]
    skipped = [t for t in inputs if t.skipped]
    if skipped and (cfg.strict or not tables):
        why = "" if cfg.strict else "; nie wczytano żadnego pliku"
        raise UserError(f"pominięto {plural(len(skipped), 'plik', 'pliki', 'plików')}{why}; pierwszy: "
                        f"{skipped[0].skipped}", path=skipped[0].path)
    if cfg.sheet is not None and all(t.encoding is not None or t.document is not None for t in tables):
        raise UserError(f"--sheet {cfg.sheet!r} wybiera arkusz skoroszytu XLSX, a żaden plik wejściowy nim nie jest")
    return tables


def id_column(cfg: IngestConfig) -> str | None:
    """The column that gives the comment ids: --id-col, unless it holds personal data."""
    # An id that is personal data (e-mails, names) would travel into research.* as every id, cluster id and reason:
    # the hash id takes its place, and the column stays in the staff table as a personal-data column.
    personal_id = cfg.id_col is not None and (cfg.id_col in cfg.pii_cols or bool(detect_pii_columns([cfg.id_col])))
    return None if personal_id else cfg.id_col


def ingest(paths: Sequence[str | Path], cfg: IngestConfig) -> tuple[pd.DataFrame, list[RawTable]]:
    """Read every input into one batch, in input order, with stable comment ids. Returns the table and every
    input file as read (a skipped one with no records and its reason)."""
    inputs = read_inputs(paths, cfg)
    tables = checked_inputs(inputs, cfg)
    id_col = id_column(cfg)
    columns = passthrough_names([list(t.frame.columns) for t in tables])
    parts = [to_comments(t, cfg, n, columns, id_col) for t, n in zip(tables, source_names(tables))]
    df = pd.concat(parts, ignore_index=True, sort=False) if len(parts) > 1 else parts[0]
    given = df.pop("_id_value").tolist()
    # With an id column the hash ids stand in for empty values only: a file with every id given needs none.
    hashed = comment_ids(df["text"].tolist()) if not id_col or not all(v.strip() for v in given) else given
    df.insert(0, "comment_id", unique_ids(given, hashed) if id_col else hashed)
    return decoded(df), inputs


# The columns whose entities `decoded` decodes.
ENTITY_COLUMNS = ("text", *TEXT_PART_COLUMNS)


def unescaped(texts: Iterable[str]) -> list[str]:
    """The texts with the entities a web form stored decoded (`&quot;` -> `"`)."""
    return [unescape_entities(t) if "&" in t else t for t in texts]


def decoded(df: pd.DataFrame) -> pd.DataFrame:
    """The comments table with ids, its entities decoded and its columns in order (pass-through ones a file lacks
    empty): a map over any slice of the batch's rows."""
    # Entities a web form stored (`&quot;`) are not what the sender typed. Decoded after the ids, which hash the
    # text as the file holds it, so a comment keeps the id earlier runs and the nightly state know it by.
    df = df.copy(deep=False)
    for col in ENTITY_COLUMNS:
        df[col] = unescaped(df[col].astype(str))
    passthrough = [c for c in df.columns if c not in INGEST_COLUMNS]
    # Filled as one frame and joined once: assigned back column by column, a wide file takes quadratic time.
    return pd.concat([df[list(INGEST_COLUMNS)], df[passthrough].fillna("")], axis=1)
