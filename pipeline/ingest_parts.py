"""A big CSV or JSON Lines export ingested straight into part files, for a run whose rows live in part files (a
spilled run, `engines/spill.py`): the file is read a part at a time (`csv_parts`, `jsonl_parts`), each part becomes
comment rows as `ingest.ingest` makes them and is written, so the whole input is never in memory.

The comment ids are the batch's: a repeated text is numbered across the parts by a count per text hash
(`ingest.numbered`), and ids an --id-col gives, unique over the whole batch (`ingest.unique_ids`), are settled once
every part is read and set in the parts by the first map (`WrittenParts.joined`).

One CSV, TSV or JSON Lines (`.jsonl`, `.ndjson`) file in UTF-8, of more than a part's rows. Everything else is
ingested whole as before: several files (their columns and names are the batch's), XLSX, ODS, `.json`, documents,
a file a part cannot read as the whole file would (`readers.NotStrict`), and a file whose text columns a part
cannot tell as the whole file would (found by their cells, or by a header that only starts like a text header).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.column_roles import TEXT_HEADERS, header_key, part_of
from pipeline.config import IngestConfig
from pipeline.csv_parts import csv_parts
from pipeline.export.research import date_cells
from pipeline.ingest import decoded, id_column, numbered, passthrough_names, source_names, text_digest, to_comments, \
    unique_ids
from pipeline.inputs import input_files
from pipeline.jsonl_parts import JSONL_SUFFIXES, jsonl_parts
from pipeline.readers import NotStrict, RawTable

STREAMED_SUFFIXES = (".csv", ".tsv", *JSONL_SUFFIXES)


@dataclass
class WrittenParts:
    """A batch's rows in part files (`part-NNNNN.pkl`, pickled DataFrames indexed by row position), as the first
    map of a spilled run starts from them."""

    paths: list[Path] = field(default_factory=list)
    bounds: list[int] = field(default_factory=lambda: [0])  # row positions where the parts start, and the rows
    columns: list[str] = field(default_factory=list)
    # Columns the first map sets in every part, by row position: the ids --id-col gives, known once all are read.
    joined: pd.DataFrame | None = None


@dataclass
class IngestedParts:
    """What ingest gives of a file it wrote to part files: the parts, the file as run.json tells it (`table`: its
    rows' count as a frame without columns, its encoding, title rows and column roles), its header, and each
    part's `research.date_cells`."""

    parts: WrittenParts
    table: RawTable
    header: list[str]
    date_cells: list[dict[str, tuple[int, bool]]]


def ingest_parts(paths: Sequence[str | Path], cfg: IngestConfig, rows: int, folder: Path) -> IngestedParts | None:
    """The batch in part files of `rows` rows in `folder`, the rows `ingest.ingest` gives, when it is one CSV or
    JSON Lines file of more than `rows` records that reads the same a part at a time; else None, and no part file or new folder
    left."""
    found = list(input_files(paths))
    if cfg.encoding or cfg.sheet is not None or len(found) != 1 or found[0][1]:
        return None
    path = found[0][0]
    if path.suffix.lower() not in STREAMED_SUFFIXES or not path.is_file() or _line_breaks(path) <= rows:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    try:
        ingested = _written(path, cfg, rows, folder)
    except NotStrict:
        ingested = None
    if ingested is None:  # the staging folder as it was: its folders are outputs
        for part in folder.glob("part-*.pkl"):
            part.unlink()
        if not any(folder.iterdir()):
            folder.rmdir()
    return ingested


def _line_breaks(path: Path) -> int:
    """The file's line feeds, at least its records (the header's line has one): a file with at most a part's worth
    is read once, whole, not first into a part that is then thrown away (a file of CR-only lines counts none and is
    read whole too)."""
    breaks = 0
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            breaks += block.count(b"\n")
    return breaks


def _written(path: Path, cfg: IngestConfig, rows: int, folder: Path) -> IngestedParts | None:
    id_col = id_column(cfg)
    parts = WrittenParts()
    seen: Counter[str] = Counter()  # text hash -> comments with it so far
    given: list[str] = []
    fallback: list[str] = []  # the hash id where --id-col gives none
    first: RawTable | None = None
    cells: list[dict[str, tuple[int, bool]]] = []
    names: dict[str, str] = {}
    tables = (jsonl_parts(path, rows) if path.suffix.lower() in JSONL_SUFFIXES
              else csv_parts(path, rows, cfg.text_cols))
    for table in tables:
        if first is None:
            names = passthrough_names([list(table.frame.columns)])
        comments = to_comments(table, cfg, source_names([table])[0], names, id_col)
        if first is None:
            first = table
            _check_roles(first, cfg)
        elif table.roles != first.roles:  # a share of the cells decides: the whole file might decide otherwise
            raise NotStrict(path)
        values = comments.pop("_id_value").tolist()
        hashed = numbered([text_digest(text) for text in comments["text"].tolist()], seen)
        if id_col:
            given += values
            fallback += [h if not v.strip() else "" for v, h in zip(values, hashed)]
        comments.insert(0, "comment_id", hashed)
        part = decoded(comments)
        part.index = pd.RangeIndex(parts.bounds[-1], parts.bounds[-1] + len(part))
        parts.paths.append(folder / f"part-{len(parts.paths):05d}.pkl")
        part.to_pickle(parts.paths[-1])
        parts.bounds.append(parts.bounds[-1] + len(part))
        parts.columns = list(part.columns)
        cells.append(date_cells(part))
    if first is None or parts.bounds[-1] <= rows:
        return None
    if id_col:
        parts.joined = pd.DataFrame({"comment_id": unique_ids(given, fallback)})
    summary = RawTable(path, pd.DataFrame(index=pd.RangeIndex(parts.bounds[-1])), [], encoding=first.encoding,
                       preamble_rows=first.preamble_rows, roles=first.roles)
    return IngestedParts(parts, summary, list(first.frame.columns), cells)


def _check_roles(table: RawTable, cfg: IngestConfig) -> None:
    """NotStrict where a column's role is decided by more than a share of its cells: text found by the cells, or a
    header that only starts like a text header (text unless its cells are a few repeated values)."""
    assert table.roles is not None
    partial = not cfg.text_cols and any(part_of(str(c)) and header_key(str(c)) not in TEXT_HEADERS
                                        for c in table.frame.columns)
    if table.roles.text_by_content or partial:
        raise NotStrict(table.path)
