"""Row-wise stages over chunks of rows in worker processes: how the local engine uses every core (`--jobs N`).

Each chunk goes through `pipeline.process.process` with the same stages, so a worker runs exactly the functions a
single process runs, and since every row-wise stage gives the same rows on any split of the table (`StageInfo`), the
chunks put back in order are the table one process gives. The one batch-wide decision inside a row-wise stage, how
many new sentence vectors classify may compute, is taken here in the parent (`vector_budget.py`).

Workers are never forks of this process: a fork would copy the sentence encoder's OpenMP threads (which then
deadlock in the child) and an open SQLite connection of the vector cache. They are forked from a fork server that
has only imported uwagi and loaded py3langid's model (`engines/processes.py`), so they start with both; as with
spawned processes, a script that calls uwagi's API must guard its top level with `if __name__ == "__main__":`. Each
worker loads the model and the Polish dictionaries once, in its initializer, by running the stages on a few rows
(hence `EngineConfig.pool_min_rows`), as soon as the pool is made, not at its first task (the spilled engine makes
it while ingest still reads); one pool serves every map of a run. A worker that dies (killed, out of memory) breaks
the pool: the run stops with `WorkerDied`, never with the chunks that happened to finish.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from functools import partial
from typing import Any

import pandas as pd

from pipeline.classify import DEFERRED
from pipeline.config import Config
from pipeline.engines.processes import process_pool
from pipeline.engines.vector_budget import spend_budget
from pipeline.process import process
from pipeline.stage import Stage

# Rows each worker runs at start, to load the model and the resources every stage keeps once per process.
WARM_ROWS = 20
# Tasks per worker `WorkerPool.ordered` keeps sent: each worker finds its next one as it ends one.
_SENT_AHEAD = 2


class WorkerDied(RuntimeError):
    """A worker process ended without returning its chunk."""


def chunk_bounds(n: int, jobs: int, chunk_rows: int) -> list[int]:
    """Row positions where chunks start, and `n`: at least `jobs` chunks of at most `chunk_rows` rows, of nearly
    equal size so the workers finish together."""
    pieces = min(n, max(jobs, -(-n // max(1, chunk_rows))))
    return [n * i // pieces for i in range(pieces)] + [n] if pieces else [0, n]


class WorkerPool:
    """`jobs` worker processes for the row-wise stages of one run (a context manager: the workers end with it)."""

    def __init__(self, cfg: Config, jobs: int, warm: pd.DataFrame, warm_stages: Sequence[Stage]):
        self.cfg, self.jobs = cfg, jobs
        worker_cfg = cfg.with_(engine=replace(cfg.engine, defer_new_vectors=True))
        self._pool = process_pool(jobs, _start_worker, (worker_cfg, warm.iloc[:WARM_ROWS], tuple(warm_stages)))
        # Every worker started now, not as tasks come (the executor starts one per task while none is idle): they
        # load the model while the caller still reads its input. From a thread: the first start waits until the
        # fork server has imported uwagi, and the caller need not wait with it (`starting`).
        starter = ThreadPoolExecutor(1, thread_name_prefix="uwagi-workers")
        self._starting = starter.submit(lambda: [self._pool.submit(_started) for _ in range(jobs)])
        starter.shutdown(wait=False)

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc: object) -> None:
        wait([self._starting])
        self._pool.shutdown(cancel_futures=True)

    def starting(self) -> bool:
        """Whether the workers are still being started (the fork server still imports): work done meanwhile in
        this process costs the run no time."""
        return not self._starting.done()

    def _wait_started(self) -> None:
        self._starting.result()  # the error of a worker that could not be started, if any

    def map(self, df: pd.DataFrame, stages: Sequence[Stage]) -> tuple[pd.DataFrame, dict[str, float]]:
        """`process(df, cfg, stages)` (row-wise stages only) over chunks of `df` in the workers; the seconds per
        stage are the wall-clock time of the whole map, shared out in proportion to each stage's time in the
        workers."""
        self._wait_started()
        started = time.perf_counter()
        bounds = chunk_bounds(len(df), self.jobs, self.cfg.engine.chunk_rows)
        chunks = [df.iloc[lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:])]
        parts, seconds, deferred = [], Counter(), {}
        for lo, (part, took) in zip(bounds, self.run(partial(_run_chunk, tuple(stages)), chunks, stages)):
            deferred.update((lo + row, margin) for row, margin in part.attrs.pop(DEFERRED, {}).items())
            parts.append(part)
            seconds.update(took)
        out, spent = spend_budget(assemble(df, parts), [p.attrs for p in parts], deferred, self.cfg, stages)
        seconds.update({"classify": spent} if spent else {})
        return out, shared_wall(seconds, time.perf_counter() - started, stages)


    def run(self, fn: Callable[[Any], Any], tasks: Iterable[Any], stages: Sequence[Stage]) -> list[Any]:
        """`fn` of each task in the workers, in order (`fn` a module-level function, the tasks picklable), each
        sent as soon as `tasks` gives it (a generator may make the next while the workers run the first);
        `stages` name what they run for the message of a worker that died."""
        self._wait_started()
        try:
            return list(self._pool.map(fn, tasks))
        except BrokenProcessPool as err:
            raise _died(f"w etapach {', '.join(s.info.name for s in stages)}") from err

    def later(self, fn: Callable[[Any], Any], task: Any, what: str) -> Callable[[], Any]:
        """`fn(task)` started in a worker; returns what waits for its result. `what` names the work for the
        message of a worker that died."""
        self._wait_started()
        future = self._pool.submit(fn, task)

        def result() -> Any:
            try:
                return future.result()
            except BrokenProcessPool as err:
                raise _died(f"przy {what}") from err

        return result

    def ordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any], what: str) -> Iterator[Any]:
        """`fn` of each task in the workers, in order (`fn` a module-level function, the tasks picklable): the
        pieces of a batch-wide stage (`pipeline.pieces`), behind the work sent before them (what a stage reads
        ahead). A few tasks per worker are sent ahead of the one whose result is taken, so that a generator makes
        and holds only those. `what` names the work for the message of a worker that died."""
        self._wait_started()
        sent: deque[Future[Any]] = deque()
        try:
            for task in tasks:
                sent.append(self._pool.submit(fn, task))
                if len(sent) > _SENT_AHEAD * self.jobs:
                    yield sent.popleft().result()
            while sent:
                yield sent.popleft().result()
        except BrokenProcessPool as err:
            raise _died(f"przy {what}") from err


def _died(where: str) -> WorkerDied:
    return WorkerDied(f"proces roboczy zakończył się nieoczekiwanie (zabity albo zabrakło pamięci) {where}; nie "
                      f"zapisano żadnych wyników. Uruchom ponownie, np. z mniejszym --jobs")


def shared_wall(seconds: Counter[str], wall: float, stages: Sequence[Stage]) -> dict[str, float]:
    """The wall-clock seconds of a map over the workers shared out in proportion to each stage's time in them."""
    busy = sum(seconds.values()) or 1.0
    return {s.info.name: round(wall * seconds[s.info.name] / busy, 3) for s in stages}


_cfg: Config | None = None


def worker_config() -> Config:
    """The run's configuration in a worker process (as the pool's initializer got it)."""
    assert _cfg is not None, "the pool's initializer sets the configuration"
    return _cfg


def _start_worker(cfg: Config, warm: pd.DataFrame, stages: tuple[Stage, ...]) -> None:
    global _cfg
    _cfg = cfg  # once per worker, not per chunk: a model in memory travels inside the configuration
    process(warm, cfg, stages)


def _started() -> None:
    """A task that only makes the pool start a worker."""


def _run_chunk(stages: tuple[Stage, ...], chunk: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The chunk after `stages`, without the columns they left as they were (the parent has those)."""
    out, took = process(chunk, worker_config(), stages)
    same = [c for c in chunk.columns if c in out.columns and out[c].equals(chunk[c])]
    out.attrs[COLUMNS] = list(out.columns)
    return out.drop(columns=same), took


# The columns of a chunk's whole result, in order, in its `attrs`: the parent joins the returned ones to its own.
COLUMNS = "columns"


def assemble(df: pd.DataFrame, parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The whole table from the workers' results on consecutive chunks of `df`: each column a worker changed or
    added from the results, the others from `df`, so the text a stage did not touch is not held twice."""
    columns = parts[0].attrs[COLUMNS]
    for part in parts:
        part.attrs.pop(COLUMNS)
    data = {}
    for column in columns:
        returned = [column in part.columns for part in parts]
        if not any(returned):
            data[column] = df[column]
            continue
        pieces, start = [], 0
        for part, has in zip(parts, returned):
            pieces.append(part[column] if has else df[column].iloc[start:start + len(part)])
            start += len(part)
        data[column] = pd.concat(pieces)
    return pd.DataFrame(data, index=df.index)
