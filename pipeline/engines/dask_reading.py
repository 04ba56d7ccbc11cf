"""Reading the inputs on the Dask workers: the comments table `ingest` gives, built where the files are read.

* Folders are expanded on the client (file names only); each file is a task on a worker that reads it with the
  local engine's readers (`pipeline.inputs.read_or_skip`). The client gets back only what run.json and
  `pii_columns` need of a file: its headers, row count, encoding, title rows, document pages, unreadable rows and
  the reason it was skipped (`ReadFile.tables`: each file's RawTable without its cells).
* The batch-wide checks and names run on the client over those facts, with ingest's own functions
  (`checked_inputs`, `passthrough_names`, `source_names`, `id_column`); a second task per file maps its table to
  comment rows (`to_comments`), which stays on the worker, cut into partitions as `engines.dask.partitions` cuts
  the table (never across two files, `partition_rows` at most, indexed by batch position).
* Ids are a global step by key, like clustering's: each row's text digest is shuffled by digest and numbered in
  batch order (`numbered`); with --id-col, each row's value (else its hash id) is shuffled by its stem without
  -2, -3 suffixes, which it shares with every id it could clash with, and suffixed by `unique_ids` in batch
  order. Entities are decoded after the ids (`decoded`), a map per partition.

Build under `dask.config.set(engines.dask.DASK_SETTINGS)` with a client connected.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import dask.dataframe as dd
import numpy as np
import pandas as pd
from distributed import Client, Future

from pipeline.column_roles import ColumnRoles
from pipeline.config import Config, IngestConfig
from pipeline.ingest import (
    checked_inputs,
    decoded,
    id_column,
    numbered,
    passthrough_names,
    source_names,
    text_digest,
    to_comments,
    unique_ids,
)
from pipeline.engines.dask import mapped
from pipeline.inputs import input_files, read_or_skip
from pipeline.readers import RawTable

_ID_VALUE = "_id_value"  # the --id-col cell of a row, as `to_comments` gives it


@dataclass
class ReadFiles:
    """What the client learns of the inputs the workers read: `tables`, every input file as read without its cells
    (a skipped one with its reason); `headers`, each read file's input headers; `columns` and `rows`, the comments
    table's."""

    tables: list[RawTable]
    headers: list[list[str]]
    columns: list[str]
    rows: int


def read_on_workers(client: Client, paths: Sequence[str | Path], cfg: Config) -> tuple[dd.DataFrame, ReadFiles]:
    """Read every input on the workers, in input order: the comments table as `ingest` gives it (its partitions
    indexed by batch position) and the files' facts."""
    icfg = cfg.ingest
    read = [client.submit(read_or_skip, path, reason, icfg, pure=False) for path, reason in input_files(paths)]
    facts = client.gather([client.submit(_facts, table) for table in read])
    inputs = [table for table, _ in facts]
    tables = checked_inputs(inputs, icfg)
    kept = [future for future, table in zip(read, inputs) if not table.skipped]
    headers = [names for (table, names) in facts if not table.skipped]
    id_col = id_column(icfg)
    names = passthrough_names(headers)
    comments = [client.submit(_comments, future, icfg, source, names, id_col, pure=False)
                for future, source in zip(kept, source_names(tables))]
    roles = client.gather([client.submit(_roles, pair) for pair in comments])
    for table, (found, _) in zip(tables, roles):
        table.roles = found
    columns = list(dict.fromkeys(c for _, file_columns in roles for c in file_columns))
    frame = _partitions(client, [client.submit(operator.itemgetter(0), pair) for pair in comments],
                        [len(t.frame) for t in tables], columns, cfg.engine.partition_rows)
    hashed = mapped(mapped(frame, _digests).shuffle("digest"), _numbered)
    ids = (mapped(mapped(hashed, _stemmed).shuffle("stem"), _unique) if id_col else hashed).set_index(
        "row", divisions=frame.divisions)
    read = frame.map_partitions(_with_ids, ids, meta=_with_ids(frame._meta, ids._meta))
    return read, ReadFiles(inputs, headers, list(read.columns), sum(len(t.frame) for t in tables))


def _facts(table: RawTable) -> tuple[RawTable, list[str]]:
    """What the client keeps of a file as read: the RawTable without its cells (its rows' count stays, as the
    index of a frame without columns), and its headers."""
    document = table.document and replace(table.document, records=table.document.records.iloc[:0])
    return replace(table, frame=table.frame.iloc[:, :0], rows=[], raw={}, document=document), [
        str(c) for c in table.frame.columns]


def _comments(table: RawTable, cfg: IngestConfig, source: str, names: dict[str, str], id_col: str | None
              ) -> tuple[pd.DataFrame, ColumnRoles | None]:
    frame = to_comments(table, cfg, source, names, id_col)
    return frame, table.roles


def _roles(pair: tuple[pd.DataFrame, ColumnRoles | None]) -> tuple[ColumnRoles | None, list[str]]:
    return pair[1], list(pair[0].columns)


def _partitions(client: Client, files: list[Future], lengths: list[int], columns: list[str], partition_rows: int
                ) -> dd.DataFrame:
    """The files' comment rows as partitions of at most `partition_rows` rows, never across two files (as
    `engines.dask.partitions` cuts a table), each with every file's columns (a pass-through column a file lacks is
    empty, as in the concatenated table) and indexed by batch position."""
    parts, divisions, start = [], [], 0
    for future, length in zip(files, lengths):
        pieces = max(1, -(-length // max(1, partition_rows)))
        bounds = np.linspace(0, length, pieces + 1).round().astype(int).tolist()
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            if hi > lo:
                parts.append(client.submit(_slice, future, lo, hi, start, columns, pure=False))
                divisions.append(start + lo)
        start += length
    if not parts:  # no file has a record: one empty partition, as `partitions` gives an empty table
        parts.append(client.submit(_slice, files[0], 0, 0, 0, columns, pure=False))
        divisions.append(0)
    meta = client.submit(_slice, files[0], 0, 0, 0, columns, pure=False).result()
    return dd.from_delayed(parts, meta=meta, divisions=(*divisions, max(start - 1, 0)))


def _slice(frame: pd.DataFrame, lo: int, hi: int, offset: int, columns: list[str]) -> pd.DataFrame:
    part = frame.iloc[lo:hi].reindex(columns=columns, fill_value="")
    return part.set_axis(pd.RangeIndex(offset + lo, offset + hi))


def _digests(part: pd.DataFrame) -> pd.DataFrame:
    """Each row's position, text digest and --id-col value."""
    return pd.DataFrame({"row": part.index.to_numpy(dtype=np.int64),
                         "digest": [text_digest(t) for t in part["text"].tolist()],
                         "value": [str(v).strip() for v in part[_ID_VALUE].tolist()]})


def _numbered(part: pd.DataFrame) -> pd.DataFrame:
    """The hash ids (`comment_ids`) of every row whose digest this partition holds, numbered in batch order."""
    part = part.sort_values("row")
    return pd.DataFrame({"row": part["row"].to_numpy(), "comment_id": numbered(part["digest"].tolist()),
                         "value": part["value"].to_numpy()})


# The -2, -3 suffixes: an id and every id it can clash with share the stem left without them.
_SUFFIXES = re.compile(r"(?:-[0-9]+)+\Z")


def _stemmed(part: pd.DataFrame) -> pd.DataFrame:
    """Each row keyed by the stem of its id's base (its --id-col value, else its hash id): every value given in
    the batch that a suffix of that base could equal has the same stem."""
    bases = [v or h for v, h in zip(part["value"].tolist(), part["comment_id"].tolist())]
    return part.assign(stem=[_SUFFIXES.sub("", b) for b in bases])


def _unique(part: pd.DataFrame) -> pd.DataFrame:
    """The --id-col ids (`unique_ids`) of the rows whose stems this partition holds, in batch order: they are all
    the rows whose ids can clash with each other."""
    part = part.sort_values("row")
    return pd.DataFrame({"row": part["row"].to_numpy(),
                         "comment_id": unique_ids(part["value"].tolist(), part["comment_id"].tolist())})


def _with_ids(part: pd.DataFrame, ids: pd.DataFrame) -> pd.DataFrame:
    """The partition as `ingest` gives it: its ids first, entities decoded."""
    out = part.drop(columns=_ID_VALUE)
    out.insert(0, "comment_id", ids["comment_id"].reindex(part.index).tolist())
    return decoded(out)
