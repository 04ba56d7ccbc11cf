"""A big CSV or JSON Lines export ingested straight into part files, for a run whose rows live in part files (a
spilled run, `engines/spill.py`): the file is read a part at a time (`csv_parts`, `jsonl_parts`), each part becomes
comment rows as `ingest.ingest` makes them and is written, so the whole input is never in memory.

The comment ids are the batch's: a repeated text is numbered across the parts by a count per text hash
(`ingest.numbered`), and ids an --id-col gives, unique over the whole batch (`ingest.unique_ids`), are settled once
every part is read (`WrittenParts.late`, `joined`): the parts are written, and their work may start
(`PartReading`), before that.

One CSV, TSV or JSON Lines (`.jsonl`, `.ndjson`) file in UTF-8, of more than a part's rows. Everything else is
ingested whole as before: several files (their columns and names are the batch's), XLSX, ODS, `.json`, documents,
a file a part cannot read as the whole file would (`readers.NotStrict`), and a file whose text columns a part
cannot tell as the whole file would (found by their cells, or by a header that only starts like a text header).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.column_roles import TEXT_HEADERS, header_key, part_of
from pipeline.config import IngestConfig
from pipeline.csv_parts import csv_parts
from pipeline.export.research import date_cells
from pipeline.ingest import ENTITY_COLUMNS, comment_columns, id_column, numbered, passthrough_names, source_names, \
    text_digest, unescaped, unique_ids
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
    # Columns the parts hold only as read, which the batch settles once every part is read (the ids --id-col
    # gives, unique over the batch), and their values by row position once it has (`joined`).
    late: tuple[str, ...] = ()
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


class PartReading:
    """One CSV or JSON Lines file being read into part files of `rows` rows in `folder`: iterating it writes each
    part and gives its number (`parts.paths[k]`, its rows `parts.bounds[k]:parts.bounds[k + 1]`), so that a part
    can be worked on while the next is read. Raises `NotStrict` where the file must be read whole (`discard` then
    removes what it wrote)."""

    def __init__(self, path: Path, cfg: IngestConfig, rows: int, folder: Path):
        self.path, self.cfg, self.rows, self.folder = path, cfg, rows, folder
        self.parts = WrittenParts(late=("comment_id",) if id_column(cfg) else ())
        # From the first part on (its table's rows counted once every part is read).
        self.ingested: IngestedParts | None = None
        # Wall-clock seconds of the reading itself, not of what its consumer did between two parts.
        self.seconds = 0.0
        # Told once the first part is written, before it is given (a check of the columns that fails the run before
        # any work), and once every part is.
        self.on_first: Callable[[PartReading], None] | None = None
        self.on_read: Callable[[PartReading], None] | None = None

    def __iter__(self) -> Iterator[int]:
        resumed = time.perf_counter()
        path, cfg, rows, parts = self.path, self.cfg, self.rows, self.parts
        self.folder.mkdir(parents=True, exist_ok=True)
        id_col = id_column(cfg)
        seen: Counter[str] = Counter()  # text hash -> comments with it so far
        given: list[str] = []
        fallback: list[str] = []  # the hash id where --id-col gives none
        first: RawTable | None = None
        names: dict[str, str] = {}
        tables = (jsonl_parts(path, rows) if path.suffix.lower() in JSONL_SUFFIXES
                  else csv_parts(path, rows, cfg.text_cols))
        for table in tables:
            if first is None:
                names = passthrough_names([list(table.frame.columns)])
            columns = comment_columns(table, cfg, source_names([table])[0], names, id_col)
            if first is None:
                first = table
                _check_roles(first, cfg)
            elif table.roles != first.roles:  # a share of the cells decides: the whole file might decide otherwise
                raise NotStrict(path)
            values = columns.pop("_id_value")
            hashed = numbered([text_digest(text) for text in columns["text"]], seen)
            if id_col:
                given += values
                fallback += [h if not v.strip() else "" for v, h in zip(values, hashed)]
            # `decoded(to_comments(...))` with the ids, built once from the lists: one file has every column.
            columns.update((col, unescaped(columns[col])) for col in ENTITY_COLUMNS)
            part = pd.DataFrame({"comment_id": hashed, **columns},
                                index=pd.RangeIndex(parts.bounds[-1], parts.bounds[-1] + len(hashed)))
            parts.paths.append(self.folder / f"part-{len(parts.paths):05d}.pkl")
            part.to_pickle(parts.paths[-1])
            parts.bounds.append(parts.bounds[-1] + len(part))
            if self.ingested is None:
                parts.columns = list(part.columns)
                summary = RawTable(path, pd.DataFrame(), [], encoding=first.encoding,
                                   preamble_rows=first.preamble_rows, roles=first.roles)
                self.ingested = IngestedParts(parts, summary, list(first.frame.columns), [])
                if self.on_first is not None:
                    self.on_first(self)
            self.ingested.date_cells.append(date_cells(part))
            self.seconds += time.perf_counter() - resumed
            yield len(parts.paths) - 1
            resumed = time.perf_counter()
        # A file of one part is read whole (and the work begun on its part is lost: its lines said more than a part).
        if self.ingested is None or parts.bounds[-1] <= rows:
            raise NotStrict(path)
        if id_col:
            parts.joined = pd.DataFrame({"comment_id": unique_ids(given, fallback)})
        self.ingested.table.frame = pd.DataFrame(index=pd.RangeIndex(parts.bounds[-1]))
        self.seconds += time.perf_counter() - resumed
        if self.on_read is not None:
            self.on_read(self)

    def discard(self) -> None:
        """The staging folder as it was before the reading: its folders are outputs."""
        for part in self.folder.glob("part-*.pkl"):
            part.unlink()
        if self.folder.is_dir() and not any(self.folder.iterdir()):
            self.folder.rmdir()


def part_reading(paths: Sequence[str | Path], cfg: IngestConfig, rows: int, folder: Path) -> PartReading | None:
    """The reading of the batch into part files of `rows` rows, the rows `ingest.ingest` gives, where it is one CSV
    or JSON Lines file that may hold more than `rows` records; else None (ingested whole)."""
    found = list(input_files(paths))
    if cfg.encoding or cfg.sheet is not None or len(found) != 1 or found[0][1]:
        return None
    path = found[0][0]
    if path.suffix.lower() not in STREAMED_SUFFIXES or not path.is_file() or _line_breaks(path) <= rows:
        return None
    return PartReading(path, cfg, rows, folder)


def _line_breaks(path: Path) -> int:
    """The file's line feeds, at least its records (the header's line has one): a file with at most a part's worth
    is read once, whole, not first into a part that is then thrown away (a file of CR-only lines counts none and is
    read whole too)."""
    breaks = 0
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            breaks += block.count(b"\n")
    return breaks


def _check_roles(table: RawTable, cfg: IngestConfig) -> None:
    """NotStrict where a column's role is decided by more than a share of its cells: text found by the cells, or a
    header that only starts like a text header (text unless its cells are a few repeated values)."""
    assert table.roles is not None
    partial = not cfg.text_cols and any(part_of(str(c)) and header_key(str(c)) not in TEXT_HEADERS
                                        for c in table.frame.columns)
    if table.roles.text_by_content or partial:
        raise NotStrict(table.path)
