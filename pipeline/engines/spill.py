"""Spilling: a big batch's rows go to part files as the row-wise stages finish them; memory keeps only what the
batch-wide stages read.

The local engine's stages, on a batch of more than `EngineConfig.spill_rows` rows (a plain run: no nightly state),
run part by part: each run of consecutive row-wise stages maps over parts of at most `spill_rows` rows (in the
worker processes with `--jobs`, else here), and each part's result is written to a file in the staging folder by
whoever computed it. What stays in this process is, per row, only what the following batch-wide stage reads: the
columns it `requires`, the input's own columns (clustering tells senders apart by the personal-data ones) and the
stages' working columns outside the output contract (themes' content lemmas), i.e. every column not in
`columns.OUTPUT_COLUMNS` but the ones it requires; except a working column a stage of the next map assigns again,
which is that map's input, not the batch-wide stage's (classify's content lemmas, which `theme_content` narrows to
the comments themes group, stay in the part files while clustering runs), nor one a stage declares for the next
batch-wide stage alone (`StageInfo.spilled_only`: `cluster_keys`' folded cores, which the map after clustering
drops). The batch-wide stage runs on that table, and reads a column it does not require for the few rows it needs
it of from the part files (`row_source.column_rows`: clustering's folded cores and texts of the units in candidate
pairs, themes' quotes); the columns it assigns join each part in the next map
(read from its file and written back by the worker), or, after the last map, stay here and join each part as it is
read (`Spilled.parts`). The columns it drops (clustering's keys) leave each part in the next map.

A part is a pickled DataFrame, not Parquet: it must come back as the very table that was written (dtypes, tuples,
missing values), so that the outputs written part by part are byte for byte those of the table in memory.

The sentence encoder's budget of new vectors is the batch's, as with the worker pool (`vector_budget.py`): every
part defers the new vectors, and the rows one process would embed are classified again here, part by part.
"""

from __future__ import annotations

import contextlib
import itertools
import pickle
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.classify import DEFERRED, needs_whole_batch
from pipeline.columns import OUTPUT_COLUMNS
from pipeline.config import Config
from pipeline.engines.local import jobs_for, mappable
from pipeline.engines.processes import start_server
from pipeline.engines.vector_budget import CLASSIFY, REPORT_COLUMNS, merged_report, picked, put_back, reclassified
from pipeline.engines.workers import WARM_ROWS, WorkerPool, chunk_bounds, shared_wall, worker_config
from pipeline.ingest_parts import PartReading
from pipeline.pieces import mapping_with
from pipeline.process import check_chain, process
from pipeline.row_source import RowReader, reading_from
from pipeline.stage import Stage


# Columns a batch-wide stage reads when the table has them, which its `requires` cannot say: clustering leaves out
# the rows whose `status` says they are empty or unreadable.
READ_IF_PRESENT = ("status",)


def spillable(cfg: Config) -> bool:
    """Whether a run may spill at all: a plain local run whose classification can go part by part (zero-shot with
    the encoder must see the whole batch at once)."""
    return cfg.state.path is None and cfg.engine.name == "local" and not needs_whole_batch(cfg)


def spills(cfg: Config, rows: int) -> bool:
    """Whether a batch of `rows` rows is spilled: a spillable run past `spill_rows`."""
    return spillable(cfg) and rows > cfg.engine.spill_rows


@dataclass
class Spilled:
    """The table after the stages: its rows in part files, the columns of the batch-wide stages after the last
    map in `batch` (indexed by row position), `attrs` as the table in memory would have them."""

    paths: list[Path]
    bounds: list[int]
    batch: pd.DataFrame
    attrs: dict[str, Any] = field(default_factory=dict)
    # What `spill(..., ahead=fn)`'s `fn` gave (None without one).
    ahead: Any = None

    def __len__(self) -> int:
        return self.bounds[-1]

    def parts(self) -> Iterator[pd.DataFrame]:
        """Each part with every column, in row order; together, the table the stages give in memory."""
        for path, lo, hi in zip(self.paths, self.bounds[:-1], self.bounds[1:]):
            part = _joined(pd.read_pickle(path), self.batch.iloc[lo:hi])
            part.attrs = dict(self.attrs)
            yield part


def _joined(part: pd.DataFrame, columns: pd.DataFrame) -> pd.DataFrame:
    """`part` with `columns` of the same rows (same index) set, replaced where it has them, appended where not, as a
    stage assigns them."""
    return part.assign(**{c: columns[c] for c in columns.columns}) if len(columns.columns) else part


@dataclass(frozen=True)
class _Task:
    stages: tuple[Stage, ...]
    path: Path
    # The rows to start from (the first map); None: the part file written by the previous map.
    source: pd.DataFrame | None
    # Columns a batch-wide stage assigned since the part was written, for these rows.
    joined: pd.DataFrame | None
    # Columns a batch-wide stage dropped since the part was written.
    dropped: tuple[str, ...]
    # Columns the next batch-wide stage requires.
    needed: tuple[str, ...]
    # Columns left in the part file, not kept, unless `needed`: those a stage of the map after it assigns again, and
    # those the next batch-wide stage reads of a few rows only (`StageInfo.spilled_only`).
    left: tuple[str, ...] = ()
    # A stage of this map and the file of what it reads ahead (`StageInfo.ahead`), read while the batch-wide stage
    # before this map ran (`_read_ahead`).
    found: tuple[Stage, Path] | None = None


def _run_part(task: _Task, cfg: Config | None = None
              ) -> tuple[pd.DataFrame, dict[str, float], dict[str, Any], list[str]]:
    """One part through a map's stages, written back to its file; returns what the parent keeps of it, the seconds
    per stage, its `attrs` and its columns."""
    cfg = cfg or worker_config()
    part = task.source if task.source is not None else pd.read_pickle(task.path)
    if task.dropped:
        part = part.drop(columns=[c for c in task.dropped if c in part.columns])
    if task.joined is not None:
        part = _joined(part, task.joined)
    # A part is written as one file, but run `chunk_rows` rows at a time: a stage's working memory is a chunk's.
    took: Counter[str] = Counter()
    pieces, attrs, deferred = [], {}, {}
    given = task.found[0].info.ahead.given(pd.read_pickle(task.found[1])) if task.found is not None else None
    with given or contextlib.nullcontext():
        for lo in range(0, len(part), cfg.engine.chunk_rows):
            piece, seconds = process(part.iloc[lo:lo + cfg.engine.chunk_rows], cfg, task.stages)
            took.update(seconds)
            deferred.update((lo + row, margin) for row, margin in piece.attrs.pop(DEFERRED, {}).items())
            if not attrs or (not attrs.get("encoder", {}).get("used", True) and piece.attrs["encoder"]["used"]):
                attrs = piece.attrs  # the first piece's, but the encoder report of the first that used the encoder
            piece.attrs = {}
            pieces.append(piece)
    del part
    out = pd.concat(pieces) if len(pieces) > 1 else pieces[0]
    attrs = {**attrs, DEFERRED: deferred} if deferred else attrs
    out.to_pickle(task.path)
    if task.found is not None:
        task.found[1].unlink()
    kept = out[[c for c in out.columns
                if c in task.needed or (c not in OUTPUT_COLUMNS and c not in task.left)]]
    return kept, took, attrs, list(out.columns)


def spill(source: list[pd.DataFrame] | PartReading, cfg: Config, stages: Sequence[Stage], folder: Path, *,
          on_stage: Callable[[str, int, float], None] | None = None, ahead: Ahead | None = None
          ) -> tuple[Spilled, dict[str, float]]:
    """Run `stages` over the table `source[0]` part by part into `folder` (`spills(cfg, rows)` must hold), the list
    emptied once the rows are in the part files, so that the table can be let go of; or over the part files ingest
    writes into `folder` (`ingest_parts.PartReading`, whose `NotStrict` comes through once the work begun on its
    parts has ended). Returns the spilled table and the seconds per stage.

    The first map works on each part as soon as the reading has written it, unless one of its stages requires a
    column the reading settles only once every part is read (`WrittenParts.late`): those join the parts in the next
    map, or the table after the last one, as a batch-wide stage's columns do.

    `ahead(paths, bounds, cfg)` (a module-level function) is export work that reads only columns final after the
    last map: it runs in a worker, which would otherwise wait, while the batch-wide stages after that map run here;
    its result is `Spilled.ahead`, and the seconds this process then waits for it count as the last stage's."""
    jobs = jobs_for(cfg)
    mapped = mappable(stages, cfg)
    groups = [(in_parts, tuple(run)) for in_parts, run in itertools.groupby(stages, key=mapped.__contains__)]
    first = next(group for in_parts, group in groups if in_parts)
    df: pd.DataFrame | None = None
    kept: pd.DataFrame | None = None
    reading = source if isinstance(source, PartReading) else None
    arriving: Iterator[int] | None = None  # the parts the reading writes while the first map runs
    if isinstance(source, PartReading):
        if jobs > 1:  # the workers' fork server imports uwagi while the first part, their warm-up rows, is read
            start_server()
        arriving = iter(source)
        next(arriving)
        paths, bounds = source.parts.paths, source.parts.bounds  # growing as the reading goes on
        head = pd.read_pickle(paths[0]).iloc[:WARM_ROWS]
        if any(c in source.parts.late for s in first for c in s.info.requires):  # the map waits for every part
            for _ in arriving:
                pass
            arriving, kept = None, source.parts.joined
    else:
        df = source.pop()
        bounds = chunk_bounds(len(df), jobs, cfg.engine.spill_rows)
        paths = [folder / f"part-{i:05d}.pkl" for i in range(len(bounds) - 1)]
        head = df.iloc[:WARM_ROWS]
    check_chain(list(head.columns), stages)
    deferring = cfg.with_(engine=replace(cfg.engine, defer_new_vectors=True))
    folder.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    # Columns batch-wide stages assigned since the last map (and, before a first map that waited for them, the ones
    # the reading settled last).
    assigned: list[str] = list(kept.columns) if kept is not None else []
    dropped: list[str] = []  # and the ones they dropped
    in_files: list[str] = []
    # A reading still under way has more rows than it has written: else it ends in NotStrict.
    pooled = jobs > 1 and bounds[-1] + (arriving is not None) >= cfg.engine.pool_min_rows
    last_map = max(i for i, (in_parts, _) in enumerate(groups) if in_parts)
    waiting: Callable[[], Any] | None = None
    early: Any = None
    found: list[Callable[[], tuple[Stage, Path]]] = []
    # The pool keeps its warm-up rows for its life: a copy of them, not a view holding the whole table's buffers.
    warm = pickle.loads(pickle.dumps(head))
    del head
    with WorkerPool(cfg, jobs, warm, first) if pooled else _Inline(deferring) as pool:
        # The parts read while the workers start (read later, they would take a core from them); at most one per
        # worker, the workers' first tasks: the first map is to begin while the reading goes on.
        read_early = list(itertools.islice(_while(pool.starting, arriving), jobs)) if arriving is not None else []
        for i, (in_parts, group) in enumerate(groups):
            if not in_parts:
                before_columns = list(kept.columns)
                # The workers would wait for this stage: meanwhile they read what a stage of the next map can read
                # ahead of it (`StageInfo.ahead`) in each part.
                then = groups[i + 1][1] if i + 1 < len(groups) else ()
                reader = next((s for s in then if s.info.ahead is not None), None)
                found = ([pool.later(_read_ahead, (reader, path), f"etapie {reader.info.name}") for path in paths]
                         if pooled and reader is not None else [])
                # Its independent pieces (`pipeline.pieces`) go to the workers too, behind what they read ahead.
                what = f"etapie {', '.join(s.info.name for s in group)}"
                pieces = mapping_with(partial(pool.ordered, what=what)) if pooled else contextlib.nullcontext()
                with reading_from(_part_reader(paths, bounds)), pieces:
                    kept, took = process(kept, cfg, group)
                timings.update(took)
                assigned += [c for s in group for c in s.info.assigns if c not in assigned]
                dropped += [c for c in before_columns if c not in kept.columns and c not in dropped]
                # What the map before kept in its part files for this stage alone leaves them in the next.
                dropped += [c for _, run in groups[i - 1:i] for s in run for c in s.info.spilled_only
                            if c not in dropped]
            else:
                needed = tuple(c for in_parts_later, later in groups[i + 1:i + 2] for s in later
                               for c in s.info.requires)
                needed += READ_IF_PRESENT + REPORT_COLUMNS if CLASSIFY in (s.info.name for s in group) else ()
                left = tuple(c for _, later in groups[i + 2:i + 3] for s in later for c in s.info.assigns)
                left += tuple(c for s in group for c in s.info.spilled_only)
                tasks: Iterable[_Task]
                if arriving is not None:  # each part's task sent as soon as the reading has written the part
                    tasks = (_Task(group, paths[k], None, None, (), needed, left)
                             for k in itertools.chain([0], read_early, arriving))
                else:
                    tasks = [_Task(group, path, df.iloc[lo:hi] if df is not None else None,
                                   kept[assigned].iloc[lo:hi] if assigned else None, tuple(dropped), needed,
                                   left, found[k]() if found else None)
                             for k, (path, lo, hi) in enumerate(zip(paths, bounds[:-1], bounds[1:]))]
                found = []
                df = None  # the tasks hold their rows until sent; the rows' only home then is the part files
                started, read_before = time.perf_counter(), reading.seconds if reading is not None else 0.0
                results = pool.run(_run_part, tasks, group)
                before = kept.attrs if kept is not None else {}  # the parts' tables had none: they start afresh
                kept, seconds, deferred = _gathered(results, bounds)
                kept.attrs = {**before, **kept.attrs}
                in_files, assigned, dropped = results[0][3], [], []
                late = reading.parts.joined if reading is not None and arriving is not None else None
                if late is not None:  # what the reading settled last joins the parts in the next map, or the table
                    kept = _joined(kept, late)
                    assigned = list(late.columns)
                    in_files = [c for c in in_files if c not in assigned]
                arriving = None
                seconds.update(_spend_budget(kept, results, deferred, paths, bounds, cfg, group))
                # The seconds the reading took meanwhile are ingest's.
                read = reading.seconds - read_before if reading is not None else 0.0
                timings.update(shared_wall(seconds, time.perf_counter() - started - read, group))
                del tasks, results
                if i == last_map and ahead is not None:
                    waiting = pool.later(_run_ahead, _AheadTask(ahead, tuple(paths), tuple(bounds)),
                                         "przygotowaniu eksportu")
            if i == len(groups) - 1 and waiting is not None:
                started = time.perf_counter()
                early = waiting()
                name = group[-1].info.name
                timings[name] = round(timings.get(name, 0.0) + time.perf_counter() - started, 3)
            for stage in group:
                if on_stage is not None:
                    on_stage(stage.info.name, bounds[-1], timings.get(stage.info.name, 0.0))
    assert kept is not None
    attrs, kept.attrs = kept.attrs, {}
    batch = kept[[c for c in kept.columns if c not in in_files]]
    return Spilled(paths, bounds, batch, attrs, early), timings


def _while(busy: Callable[[], bool], parts: Iterator[int]) -> Iterator[int]:
    """The parts the reading writes as long as `busy()` holds when each is asked for."""
    while busy():
        part = next(parts, None)
        if part is None:
            return
        yield part


# Export work on the finished part files: (part paths, row bounds, the run's configuration) -> its result.
Ahead = Callable[[Sequence[Path], Sequence[int], Config], Any]


@dataclass(frozen=True)
class _AheadTask:
    fn: Ahead
    paths: tuple[Path, ...]
    bounds: tuple[int, ...]


def _run_ahead(task: _AheadTask, cfg: Config | None = None) -> Any:
    return task.fn(task.paths, task.bounds, cfg or worker_config())


def _read_ahead(job: tuple[Stage, Path], cfg: Config | None = None) -> tuple[Stage, Path]:
    """What the stage reads ahead (`StageInfo.ahead`) of a part's rows, into a file beside the part: in a file, not
    sent back, so that this process never holds that of the whole batch."""
    reader, path = job
    found = path.with_name(f"{path.stem}.{reader.info.name}.ahead.pkl")
    reader.info.ahead.read(pd.read_pickle(path), cfg or worker_config()).to_pickle(found)
    return reader, found


def _part_reader(paths: Sequence[Path], bounds: Sequence[int]) -> RowReader:
    """Reads a column of some rows (positions in the batch) from the part files holding them, a part at a time (None:
    the parts have no such column)."""
    def read(column: str, rows: np.ndarray) -> pd.Series | None:
        order = np.argsort(rows, kind="stable")
        found = []
        for path, lo, hi in zip(paths, bounds[:-1], bounds[1:]):
            mine = rows[order[np.searchsorted(rows[order], lo):np.searchsorted(rows[order], hi)]]
            if len(mine):
                part = pd.read_pickle(path)
                if column not in part.columns:  # every part has the columns of the first
                    return None
                found.append(part[column].iloc[mine - lo].to_numpy())
        values = np.concatenate(found) if found else np.empty(0, dtype=object)
        out = np.empty(len(rows), dtype=values.dtype)
        out[order] = values
        return pd.Series(out, index=rows, name=column, dtype=out.dtype)  # as `column_rows` keeps it

    return read


def _gathered(results: Sequence[tuple[pd.DataFrame, dict[str, float], dict[str, Any], list[str]]],
              bounds: Sequence[int]) -> tuple[pd.DataFrame, Counter[str], dict[int, float]]:
    """The kept columns of every part as one table, the seconds per stage summed, the deferred rows by position."""
    seconds: Counter[str] = Counter()
    deferred: dict[int, float] = {}
    for lo, (_, took, attrs, _) in zip(bounds, results):
        seconds.update(took)
        deferred.update((lo + row, margin) for row, margin in attrs.get(DEFERRED, {}).items())
    kept = pd.concat([r[0] for r in results])
    kept.attrs = {k: v for k, v in results[0][2].items() if k != DEFERRED}
    return kept, seconds, deferred


def _spend_budget(kept: pd.DataFrame, results: Sequence[tuple[Any, Any, dict[str, Any], Any]],
                  deferred: dict[int, float], paths: Sequence[Path], bounds: Sequence[int], cfg: Config,
                  stages: Sequence[Stage]) -> dict[str, float]:
    """`vector_budget.spend_budget` over part files: the picked rows classified again with their vectors, in their
    parts and in `kept`; the encoder report in `kept.attrs`. The seconds that took, as classify's."""
    names = [s.info.name for s in stages]
    reports = [r[2].get("encoder") for r in results] if CLASSIFY in names else []
    if not reports:
        return {}
    started = time.perf_counter()
    rows = picked(deferred, cfg)
    embedded = 0
    for path, lo, hi in zip(paths, bounds[:-1], bounds[1:]):
        mine = [row for row in rows if lo <= row < hi]
        if not mine:
            continue
        part = pd.read_pickle(path)
        redone, vectors = reclassified(part.loc[mine], cfg, rows, stages)
        embedded += vectors
        put_back(part, redone)
        put_back(kept, redone)
        part.to_pickle(path)
    kept.attrs["encoder"] = merged_report([r for r in reports if r], kept, embedded)
    return {CLASSIFY: time.perf_counter() - started} if rows else {}


class _Inline:
    """The parts one after another in this process, with the configuration a worker has."""

    def __init__(self, cfg: Config):
        self.cfg = cfg

    def __enter__(self) -> "_Inline":
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def starting(self) -> bool:
        return False

    def run(self, fn: Callable[..., Any], tasks: Iterable[Any], stages: Sequence[Stage]) -> list[Any]:
        return [fn(task, self.cfg) for task in tasks]

    def later(self, fn: Callable[..., Any], task: Any, what: str) -> Callable[[], Any]:
        result = fn(task, self.cfg)
        return lambda: result
