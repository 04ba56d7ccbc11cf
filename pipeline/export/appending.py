"""Output files written a part of the table at a time: CSV appended, Parquet one row group per part.

A spilled run (`pipeline/engines/spill.py`) never holds its whole table; these writers take it part by part and
give the files `tables.write_csv` and `tables.write_parquet` give for the whole table: the same CSV bytes, the
same Parquet rows and columns. Each file appears under its name only when closed without an error
(`atomic.atomic_path`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.export.atomic import atomic_path
from pipeline.export.big_workbook import FULL_TABLE
from pipeline.export.research import RESEARCH_FILES, ResearchContext, research_table
from pipeline.export.tables import CSV_SLICE_ROWS, csv_ready


class CsvAppender:
    """`tables.write_csv` of the parts put one after another (the header once, from the first part)."""

    def __init__(self, stack: contextlib.ExitStack, path: Path):
        self._out = stack.enter_context(open(stack.enter_context(atomic_path(path)), "w", encoding="utf-8",
                                             newline=""))
        self._first: pd.DataFrame | None = None
        self._header = True

    def add(self, df: pd.DataFrame) -> None:
        if self._first is None:
            self._first = df.iloc[:0]
        for start in range(0, len(df), CSV_SLICE_ROWS):
            csv_ready(df.iloc[start:start + CSV_SLICE_ROWS]).to_csv(
                self._out, index=False, header=self._header, lineterminator="\r\n")
            self._header = False

    def close(self) -> None:
        if self._header and self._first is not None:  # no rows: the header alone, as for an empty table
            csv_ready(self._first).to_csv(self._out, index=False, lineterminator="\r\n")


class ParquetAppender:
    """`tables.write_parquet` of the parts put one after another, one row group per part. A column a part leaves
    empty has no type of its own there (Arrow's null), so each part is written to a file of its own first and the
    parts are joined under the schema they share once all are in."""

    def __init__(self, stack: contextlib.ExitStack, path: Path):
        self._path = stack.enter_context(atomic_path(path))
        self._parts: list[Path] = []
        stack.callback(self._remove_parts)

    def add(self, df: pd.DataFrame) -> None:
        part = self._path.with_name(f"{self._path.name}.{len(self._parts):05d}")
        df.to_parquet(part, index=False)
        self._parts.append(part)

    def close(self) -> None:
        schemas = [pq.read_schema(p) for p in self._parts]
        schema = pa.unify_schemas(schemas, promote_options="permissive").with_metadata(schemas[0].metadata)
        with pq.ParquetWriter(self._path, schema) as writer:
            for part in self._parts:
                writer.write_table(pq.read_table(part).cast(schema))
                part.unlink()

    def _remove_parts(self) -> None:
        for part in self._parts:
            part.unlink(missing_ok=True)


@contextlib.contextmanager
def appending(*files: tuple[type[CsvAppender] | type[ParquetAppender], Path]
              ) -> Iterator[list[CsvAppender | ParquetAppender]]:
    """Writers for `files` ((kind, path) each), closed together when the block ends without an error; on an error
    none of the files appears."""
    with contextlib.ExitStack() as stack:
        writers = [kind(stack, path) for kind, path in files]
        yield writers
        for writer in writers:
            writer.close()


def write_parts(parts: Iterable[pd.DataFrame], out_dir: Path, research: ResearchContext, full_table: bool
                ) -> list[str]:
    """comments.csv, research.csv and research.parquet of a table given part by part (`research.date_col` found
    over the whole batch), and with `full_table` `big_workbook.FULL_TABLE`; the file names of the full table."""
    files = [(CsvAppender, out_dir / "comments.csv"), (CsvAppender, out_dir / RESEARCH_FILES[0]),
             (ParquetAppender, out_dir / RESEARCH_FILES[1])]
    with appending(*files, *[(ParquetAppender, out_dir / FULL_TABLE)] * full_table) as writers:
        for part in parts:
            writers[0].add(part)
            table = research_table(part, research)
            writers[1].add(table)
            writers[2].add(table)
            if full_table:
                writers[3].add(part)
    return [FULL_TABLE] if full_table else []
