"""Output files written a part of the table at a time: CSV appended, Parquet one row group per part.

A spilled run (`pipeline/engines/spill.py`) never holds its whole table; these writers take it part by part and
give the files `tables.write_csv` and `tables.write_parquet` give for the whole table: the same CSV bytes, the
same Parquet rows and columns. Each file appears under its name only when closed without an error
(`atomic.atomic_path`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.export.atomic import atomic_path
from pipeline.export.big_workbook import FULL_TABLE
from pipeline.export.research import RESEARCH_FILES, ResearchContext, research_table
from pipeline.export.tables import without_attrs, write_csv_rows


class CsvAppender:
    """`tables.write_csv` of the parts put one after another (the header once, from the first part)."""

    def __init__(self, stack: contextlib.ExitStack, path: Path):
        self._out = stack.enter_context(open(stack.enter_context(atomic_path(path)), "wb"))
        self._header = True

    def add(self, df: pd.DataFrame) -> None:
        write_csv_rows(self._out, df, header=self._header)
        self._header = False

    def close(self) -> None:
        """Nothing is left to write: the file closes with the block."""


class ParquetAppender:
    """`tables.write_parquet` of the parts put one after another, one row group per part. A column a part leaves
    empty has no type of its own there (Arrow's null), so each part's Arrow table waits in a file of its own (Arrow's
    IPC format: written and memory-mapped back as it is, with no encoding) and the parts are written to Parquet, once,
    under the schema they share once all are in."""

    def __init__(self, stack: contextlib.ExitStack, path: Path):
        self._path = stack.enter_context(atomic_path(path))
        self._parts: list[Path] = []
        self._schemas: list[pa.Schema] = []
        stack.callback(self._remove_parts)

    def add(self, df: pd.DataFrame) -> None:
        part = self._path.with_name(f"{self._path.name}.{len(self._parts):05d}")
        table = _arrow(df)
        with pa.OSFile(str(part), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        self._parts.append(part)
        self._schemas.append(table.schema)

    def close(self) -> None:
        schema = pa.unify_schemas(self._schemas, promote_options="permissive").with_metadata(
            self._schemas[0].metadata)
        with pq.ParquetWriter(self._path, schema) as writer:
            for part in self._parts:
                with pa.memory_map(str(part)) as source:
                    writer.write_table(pa.ipc.open_file(source).read_all().cast(schema))
                part.unlink()

    def _remove_parts(self) -> None:
        for part in self._parts:
            part.unlink(missing_ok=True)


def _arrow(df: pd.DataFrame) -> pa.Table:
    """The Arrow table `DataFrame.to_parquet(index=False)` writes: its `attrs` also in the schema's metadata, where
    `pd.read_parquet` finds them again."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    if not df.attrs:
        return table
    return table.replace_schema_metadata({**table.schema.metadata, "PANDAS_ATTRS": json.dumps(df.attrs)})


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
            bare = without_attrs(part)  # the full table keeps its attrs (comments.parquet, `JobResult.comments`)
            writers[0].add(bare)
            table = research_table(bare, research)
            writers[1].add(table)
            writers[2].add(table)
            if full_table:
                writers[3].add(part)
    return [FULL_TABLE] if full_table else []
