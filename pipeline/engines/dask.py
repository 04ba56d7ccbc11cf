"""The Dask engine: the same stages on the partitions of a Dask DataFrame, on a cluster or a LocalCluster.

* The comments table comes in partitions, one or more per input file (`cfg.engine.partition_rows` rows at most),
  indexed by the rows' positions in the batch: read on the workers in a plain run (`process_inputs`,
  `engines/dask_reading.py`), or a table `ingest` read on the client (`process`: a nightly run's).
* A row-wise stage (`stage.info.row_wise`) is `map_partitions` of the very function the local engine calls.
* Clustering runs the steps of `pipeline/cluster.py` that the local stage runs one after another: each map step per
  partition, each group step per partition after a shuffle by its key (core text, band key, pair, component,
  representative). Only the verified pairs (two integers each) meet on the client, for connected components.
* Themes are fitted on the client, on the sample of each goal the local stage fits on, and the other rows are
  placed at their nearest theme on the workers (`engines/dask_themes.py`).
* classify's encoder report (run.json, stderr, the Informacje sheet) is the batch's, merged from the partitions'.
* Each stage's result is persisted on the workers and waited for, so a stage is timed and a worker lost later is
  recomputed from the lineage, not from the start.
* The final table is gathered on the client, but in a plain run of a batch the local engine would spill
  (`exports_from_parts`): there the workers write its partitions as a spilled run's part files (`write_parts`),
  which the job exports part by part.

Nothing else in uwagi imports Dask: `pipeline.engines.engine_for` imports this module only for `--engine dask`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
from distributed import Client, LocalCluster, wait

from pipeline.cluster import (
    assign_units,
    band_rows,
    bucket_pairs,
    cluster_units,
    first_rows,
    kinds_from,
    pair_components,
    row_cluster_columns,
    row_cores,
    sender_keys,
    split_components,
    unique_pairs,
    unit_texts,
    verify_pairs,
    with_clusters,
    with_cores,
    with_texts,
)
from pipeline.classify import DEFERRED, needs_whole_batch
from pipeline.classify import OUTPUT_COLUMNS as CLASSIFY_COLUMNS
from pipeline.config import Config
from pipeline.engines.dask_singletons import mend_singleton_lookup
from pipeline.engines.spill import Spilled, spills
from pipeline.engines.vector_budget import CLASSIFY, REPORT_COLUMNS, embedding, merged_report, picked
from pipeline.errors import UserError
from pipeline.export.research import ResearchContext, date_cells, first_date_column, research_table
from pipeline.export.staging import SPILL_FOLDER, STAGING_NAME
from pipeline.process import STAGES, check_chain
from pipeline.stage import Stage

if TYPE_CHECKING:
    from pipeline.engines.dask_reading import ReadFiles

RESEARCH_PARTS = "research"
# Shuffles by task graph, not p2p: p2p converts partitions to Arrow, which refuses the tuples of `neighbours`; and
# strings stay as the stages made them, so each partition holds exactly what the local engine would.
DASK_SETTINGS = {"dataframe.shuffle.method": "tasks", "dataframe.convert-string": False}

mend_singleton_lookup()  # before any graph is built: the in-process scheduler unpickles what the client drops


class DaskEngine:
    def __init__(self, research: ResearchContext | None = None) -> None:
        # What research.* says beyond the table (consultation, taxonomy, input columns): the parts say it too. Without
        # it no parts are written: a nightly run's table is only final after the engine (`research_parts`).
        self.research = research

    def process(self, df: pd.DataFrame, cfg: Config, stages: Sequence[Stage] | None = None, *,
                on_stage: Callable[[str, int, float], None] | None = None) -> tuple[pd.DataFrame, dict[str, float]]:
        stages = STAGES if stages is None else stages
        check_chain(list(df.columns), stages)
        with _client(cfg) as client, dask.config.set(DASK_SETTINGS):
            out, timings = self._run(client, partitions(df, cfg.engine.partition_rows), len(df), cfg, stages,
                                     on_stage)
        return out.set_axis(df.index), timings  # the caller's index, as the local engine

    def process_inputs(self, inputs: Sequence[str | Path], cfg: Config, stages: Sequence[Stage], *,
                       on_read: Callable[[ReadFiles, float], ResearchContext | None],
                       on_stage: Callable[[str, int, float], None] | None = None
                       ) -> tuple[pd.DataFrame | Spilled, dict[str, float]]:
        """`ingest` and `process` in one: the workers read the inputs (`engines/dask_reading.py`) and run the
        stages. `on_read` gets the files as read and the reading's seconds (timed as `ingest`) and returns what the
        research parts say beyond the table. The client holds no input row; it gets the final table, or, for a
        batch the local engine would spill (`exports_from_parts`), the part files the workers wrote of it
        (`Spilled`, the job exports it part by part; `self.research` then carries the batch's date column)."""
        from pipeline.engines.dask_reading import read_on_workers  # it builds on this module's steps

        with _client(cfg) as client, dask.config.set(DASK_SETTINGS):
            start = time.perf_counter()
            frame, read = read_on_workers(client, inputs, cfg)
            check_chain(read.columns, stages)
            # Held by the run alone, which lets it go once the first stage is persisted, as `process` does.
            held = [frame.persist()]
            del frame
            wait(held[0])
            seconds = round(time.perf_counter() - start, 3)
            self.research = on_read(read, seconds)
            spill_to = (Path(cfg.export.out_dir) / STAGING_NAME / SPILL_FOLDER
                        if exports_from_parts(cfg, read.rows) else None)
            out, timings = self._run(client, held.pop(), read.rows, cfg, stages, on_stage, spill_to)
        return out, {"ingest": seconds, **timings}

    def _run(self, client: Client, frame: dd.DataFrame, rows: int, cfg: Config, stages: Sequence[Stage],
             on_stage: Callable[[str, int, float], None] | None, spill_to: Path | None = None
             ) -> tuple[pd.DataFrame | Spilled, dict[str, float]]:
        """The stages over `frame`'s partitions (of `rows` rows), gathered into one table indexed 0…rows-1; with
        `spill_to`, written there as part files instead, one per partition, by the workers."""
        timings: dict[str, float] = {}
        attrs: dict[str, Any] = {}  # what the stages run on the client keep in `attrs` (the themes table)
        for stage in stages:
            start = time.perf_counter()
            frame = _driver(stage, cfg, attrs)(frame, cfg).persist()
            wait(frame)
            timings[stage.info.name] = round(time.perf_counter() - start, 3)
            if on_stage is not None:
                on_stage(stage.info.name, rows, timings[stage.info.name])
        dated = self.research
        if dated is not None:  # into the staging folder: swapped in with the other outputs, or not at all
            dated = write_research_parts(frame, Path(cfg.export.out_dir) / STAGING_NAME / RESEARCH_PARTS,
                                         self.research)
        if spill_to is not None:
            self.research = dated  # the export of the parts writes research.* with the batch's date column
            return write_parts(frame, spill_to, rows, attrs), timings
        out = client.compute(frame).result()
        if len(out) != rows:  # the "nothing is lost" contract, as the local engine checks it
            raise RuntimeError(f"the Dask engine returned {len(out)} rows for {rows}")
        out = out.reset_index(drop=True)
        out.attrs = attrs
        return out, timings


def exports_from_parts(cfg: Config, rows: int) -> bool:
    """Whether a plain run's final table stays in parts, never gathered on the client: a batch the local engine
    would spill (`engines.spill.spills`), so that the job exports both the same way, part by part."""
    return spills(cfg.with_(engine=replace(cfg.engine, name="local")), rows)


@contextlib.contextmanager
def _client(cfg: Config) -> Iterator[Client]:
    """A client of `cfg.engine.scheduler`, else of a LocalCluster that lives as long as the run."""
    if cfg.engine.scheduler:
        try:
            client = Client(cfg.engine.scheduler, timeout="30s")
        except (OSError, TimeoutError) as err:
            raise UserError(f"nie można połączyć się z planistą Dask {cfg.engine.scheduler}: {err}") from err
        with client:
            yield client
        return
    with LocalCluster(n_workers=cfg.engine.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


def partitions(df: pd.DataFrame, partition_rows: int) -> dd.DataFrame:
    """The table as partitions that never span two input files, each of at most `partition_rows` rows, indexed by
    row position (the index the cluster steps name rows by)."""
    table = df.reset_index(drop=True)
    files = table["source_file"].to_numpy() if "source_file" in table else np.zeros(len(table))
    starts = np.flatnonzero(np.concatenate(([True], files[1:] != files[:-1]))) if len(table) else np.zeros(1, int)
    ends = np.append(starts[1:], len(table))
    bounds: list[int] = []
    for lo, hi in zip(starts.tolist(), ends.tolist()):
        pieces = max(1, -(-(hi - lo) // max(1, partition_rows)))
        bounds.extend(np.linspace(lo, hi, pieces + 1).round().astype(int)[:-1].tolist())
    divisions = (*bounds, max(len(table) - 1, 0))
    return dd.from_pandas(table, npartitions=1, sort=True).repartition(divisions=divisions)


def mapped(frame: dd.DataFrame, fn: Callable[..., pd.DataFrame], *args: Any) -> dd.DataFrame:
    """`map_partitions`, its result's columns found by running `fn` on the empty partition."""
    return frame.map_partitions(fn, *args, meta=fn(frame._meta, *args))


def _shuffled(frame: dd.DataFrame, key: str | list[str], fn: Callable[..., pd.DataFrame], *args: Any
              ) -> dd.DataFrame:
    """A group step: every row with the same `key` in one partition, then `fn` per partition."""
    return mapped(frame.shuffle(key), fn, *args)


def _cores(part: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    return row_cores(part, cfg, part.index.to_numpy())


def _columns(part: pd.DataFrame, found: pd.DataFrame) -> pd.DataFrame:
    return row_cluster_columns(part, part.index.to_numpy(), found.reset_index())


def _texts(part: pd.DataFrame) -> pd.DataFrame:
    texts = unit_texts(part["text_clean"])
    return pd.DataFrame({"unit": np.fromiter(texts, dtype=np.int64, count=len(texts)),
                         "text": pd.Series(list(texts.values()), dtype=object)})


def _paired_texts(units: pd.DataFrame) -> pd.DataFrame:
    """`with_texts` of the units that a join gave their texts (`text`; missing for a unit in no pair)."""
    known = units["text"].notna().to_numpy()
    texts = dict(zip(units["unit"].to_numpy()[known].tolist(), units["text"].to_numpy()[known].tolist()))
    return with_texts(units.drop(columns="text"), texts)


def cluster_on_dask(frame: dd.DataFrame, cfg: Config) -> dd.DataFrame:
    """The `cluster` stage over partitions: same steps, same result as `pipeline.cluster.cluster` (build and compute
    it under `dask.config.set(DASK_SETTINGS)`)."""
    ccfg = cfg.cluster
    assigned = _shuffled(mapped(frame, _cores, cfg), "core", assign_units).persist()
    units = mapped(assigned, first_rows).persist()
    candidates = _shuffled(_shuffled(mapped(units, band_rows, ccfg), "key", bucket_pairs), "a",
                           unique_pairs).persist()
    # The texts of the units in a pair only, joined to them on the workers: neither the client nor every task holds
    # them all.
    paired = dd.concat([candidates[[side]].rename(columns={side: "unit"}) for side in ("a", "b")]).drop_duplicates()
    texts = mapped(frame, _texts).merge(paired, on="unit")
    units = mapped(units.merge(texts, on="unit", how="left"), _paired_texts).persist()
    verified = mapped(with_cores(candidates, units), verify_pairs, ccfg).compute()
    components = pair_components(verified)
    members = units.merge(components, on="unit")
    split = _shuffled(members, "component", split_components, ccfg)
    clusters = _shuffled(with_clusters(units, split), "rep", cluster_units, ccfg)
    found = assigned[["row", "unit"]].merge(clusters, on="unit").set_index("row", divisions=frame.divisions)
    keyed = mapped(frame.map_partitions(_columns, found, meta=_columns(frame._meta, found._meta)), _senders, cfg)
    # One entry per cluster of two or more: a plain dict is broadcast to the partitions as it is.
    grouped = keyed[keyed["cluster_size"] > 1]
    senders = grouped.groupby("cluster_id")[_SENDER].nunique().compute().to_dict()
    return mapped(keyed, _kinds, senders)


_SENDER = "_sender"


def _senders(part: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    return part.assign(**{_SENDER: sender_keys(part, cfg)})


def _kinds(part: pd.DataFrame, senders: dict[str, int]) -> pd.DataFrame:
    """The local stage's `cluster_kind` column, from the senders counted per cluster over all partitions."""
    out = part.drop(columns=_SENDER)
    counts = np.array([senders.get(c, 1) for c in part["cluster_id"].tolist()], dtype=np.int64)
    kinds = kinds_from(out["cluster_size"].to_numpy(), counts)
    out.insert(out.columns.get_loc("cluster_size") + 1, "cluster_kind", kinds)
    return out


_DISTRIBUTED = {"cluster": cluster_on_dask}
THEMES = "themes"


def _driver(stage: Stage, cfg: Config, attrs: dict[str, Any]) -> Callable[[dd.DataFrame, Config], dd.DataFrame]:
    """How a stage runs over the partitions: a row-wise one as a map, but classify with one budget of new sentence
    vectors and one encoder report for the whole batch (zero-shot, which must see the whole batch, on the client);
    clustering as its map/shuffle/reduce steps; themes fitted on the client and placed on the workers; any other
    stage that needs the whole batch (one of one's own, run by `process`) on the client, over the gathered table.
    What a stage on the client keeps in `attrs` (the encoder report, the themes table) goes to `attrs`."""
    if stage.info.name == CLASSIFY:
        if needs_whole_batch(cfg):
            return functools.partial(_on_client, stage, attrs)
        return functools.partial(_classified, stage, attrs)
    if stage.info.row_wise:
        return functools.partial(_row_wise, stage)
    if stage.info.name == THEMES:
        from pipeline.engines.dask_themes import themes_on_dask  # it builds on this module's steps

        return functools.partial(themes_on_dask, stage, attrs)
    return _DISTRIBUTED.get(stage.info.name) or functools.partial(_on_client, stage, attrs)


def _row_wise(stage: Stage, frame: dd.DataFrame, cfg: Config) -> dd.DataFrame:
    return mapped(frame, stage, cfg)


_DEFERRED = "_deferred_margin"
_REPORT = "_encoder_report"


def _classified(stage: Stage, attrs: dict[str, Any], frame: dd.DataFrame, cfg: Config) -> dd.DataFrame:
    """classify over the partitions, the new sentence vectors spent as one process spends them
    (`pipeline/engines/vector_budget.py`): a partition embeds none and gives each row it would embed its lexical
    margin; the client picks the least certain of the whole batch within the budget, classifies those rows again
    with their vectors (the one process that writes the cache) and the partitions take their new columns. The
    partitions' encoder reports become the batch's in `attrs["encoder"]` (run.json, stderr, the Informacje sheet),
    as `vector_budget.merged_report` makes it of a local run's chunks."""
    deferred = mapped(frame, _deferring, stage, cfg).persist()
    margins, reports = dask.compute(deferred[_DEFERRED].dropna(), deferred[_REPORT].dropna())
    rows = picked(dict(zip(margins.index.tolist(), margins.tolist())), cfg)
    out = deferred.drop(columns=[_DEFERRED, _REPORT])
    embedded = 0
    if rows:
        redone = stage(mapped(out, _rows, rows).compute(), embedding(cfg, rows))
        embedded = redone.attrs["encoder"]["embedded_new"]
        # A plain dict (at most the budget's rows) is broadcast to the partitions as it is, like clustering's senders.
        out = mapped(out, _patched, {column: redone[column].to_dict() for column in CLASSIFY_COLUMNS})
    # The report's batch-wide counts: of the semantic rows only, a few columns each.
    semantic = out[out["semantic"]][[c for c in REPORT_COLUMNS if c in out.columns]].compute()
    # An empty batch is one empty partition, which has no row to carry its report: classify's of no rows.
    attrs["encoder"] = merged_report(reports.tolist() or [stage(frame._meta, cfg).attrs["encoder"]], semantic,
                                     embedded)
    return out


def _deferring(part: pd.DataFrame, stage: Stage, cfg: Config) -> pd.DataFrame:
    """classify of the partition, new vectors deferred: each deferred row's margin, and the partition's encoder
    report on its first row, in working columns (a partition's `attrs` do not reach the client)."""
    out = stage(part, cfg.with_(engine=replace(cfg.engine, defer_new_vectors=True)))
    margins = np.full(len(out), np.nan)
    deferred = out.attrs.pop(DEFERRED, {})
    margins[list(deferred)] = list(deferred.values())
    reports = np.full(len(out), None, dtype=object)
    report = out.attrs.pop("encoder")
    if len(out):
        reports[0] = report
    return out.assign(**{_DEFERRED: margins, _REPORT: reports})


def _rows(part: pd.DataFrame, rows: list[int]) -> pd.DataFrame:
    return part.loc[part.index.intersection(rows)]


def _patched(part: pd.DataFrame, redone: dict[str, dict[int, Any]]) -> pd.DataFrame:
    """The partition with the classifier's columns (column -> row -> value) of its rows that were classified again,
    set column by column: each keeps its dtype."""
    hit = part.index.intersection(list(redone[CLASSIFY_COLUMNS[0]]))
    if not len(hit):
        return part
    out = part.copy()
    for column, values in redone.items():
        out.loc[hit, column] = [values[row] for row in hit]
    return out


def _on_client(stage: Stage, attrs: dict[str, Any], frame: dd.DataFrame, cfg: Config) -> dd.DataFrame:
    out = stage(frame.compute(), cfg)
    # Side tables a stage keeps in `attrs` (the themes table) do not survive partitioning: kept aside for the job.
    attrs.update(out.attrs)
    return partitions(out, cfg.engine.partition_rows)


def read_rows(frame: dd.DataFrame, column: str, rows: np.ndarray) -> pd.Series:
    """`column` at the batch positions `rows`, read from the partitions holding them (a `row_source.RowReader`)."""
    found = mapped(frame[[column]], _rows, sorted(set(rows.tolist()))).compute()[column]
    return pd.Series(found.reindex(rows).to_numpy(), index=rows, name=column)


def write_parts(frame: dd.DataFrame, folder: Path, rows: int, attrs: dict[str, Any]) -> Spilled:
    """The final table's partitions as the part files of a spilled run, each pickled by the worker holding it
    (`folder` must be one every worker and the client see): the job exports them part by part
    (`export/appending.py`, `export/workbook_rows.py`) as it exports the local engine's."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"part-{i:05d}.pkl" for i in range(frame.npartitions)]
    sizes = dask.compute(*[dask.delayed(_pickled)(part, path) for part, path in zip(frame.to_delayed(), paths)])
    if sum(sizes) != rows:  # the "nothing is lost" contract, as the local engine checks it
        raise RuntimeError(f"the Dask engine wrote {sum(sizes)} rows for {rows}")
    bounds = np.concatenate(([0], np.cumsum(sizes))).tolist()
    return Spilled(paths, bounds, pd.DataFrame(index=pd.RangeIndex(rows)), attrs)


def _pickled(part: pd.DataFrame, path: Path) -> int:
    part.to_pickle(path)
    return len(part)


def write_research_parts(frame: dd.DataFrame, folder: Path, context: ResearchContext | None = None
                         ) -> ResearchContext:
    """research/part-00000.parquet, …: one Parquet file per partition, together the rows and columns of
    research.parquet, written by the workers into a temporary sibling folder that replaces `folder` only when every
    part is written (the folder must be one every worker and the client see, as on a shared or network file
    system). Returns `context` with the batch's submission-date column, which the parts were written with."""
    context = context or ResearchContext()
    parts = frame.to_delayed()
    # Whether a column holds submission dates is a property of the whole batch, not of one partition's cells.
    cells = dask.compute(*[dask.delayed(date_cells)(part, context.pii_columns) for part in parts])
    context = replace(context, date_col=first_date_column(*cells) or "")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        dask.compute(*[dask.delayed(_write_part)(part, tmp / f"part-{i:05d}.parquet", context)
                       for i, part in enumerate(parts)])
        os.chmod(tmp, 0o755)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return context


def research_parts(df: pd.DataFrame, cfg: Config, staging: Path, context: ResearchContext) -> ResearchContext:
    """research/ of a table finished on the client (a nightly run's: stored rows, stable cluster ids, withdrawn
    comments), partitioned as the engine partitions, written by the client's threads."""
    with dask.config.set(DASK_SETTINGS):
        return write_research_parts(partitions(df, cfg.engine.partition_rows), staging / RESEARCH_PARTS, context)


def _write_part(part: pd.DataFrame, path: Path, context: ResearchContext) -> None:
    research_table(part, context).to_parquet(path, index=False)
