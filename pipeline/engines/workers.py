"""Row-wise stages over chunks of rows in worker processes: how the local engine uses every core (`--jobs N`).

Each chunk goes through `pipeline.process.process` with the same stages, so a worker runs exactly the functions a
single process runs, and since every row-wise stage gives the same rows on any split of the table (`StageInfo`), the
chunks put back in order are the table one process gives.

The first few rows run in this process before the pool starts: that loads the model and the resources (the Polish
dictionaries alone take seconds), and on Linux the workers are forked from this process, so each starts with them
loaded instead of loading its own. Elsewhere (no `fork`) each worker loads them once, at its first chunk.

A worker that dies (killed, out of memory) breaks the pool: the run stops with `WorkerDied`, never with the
chunks that happened to finish.
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pandas as pd

from pipeline.config import Config
from pipeline.process import process
from pipeline.stage import Stage

# Rows run in this process to load the model and resources before forking: enough to touch every stage's caches.
WARM_ROWS = 50


class WorkerDied(RuntimeError):
    """A worker process ended without returning its chunk."""


def chunk_bounds(n: int, jobs: int, chunk_rows: int) -> list[int]:
    """Row positions where chunks start, and `n`: a short first chunk (the warm-up), then at least `jobs` chunks of
    at most `chunk_rows` rows, of nearly equal size so the workers finish together."""
    warm = min(WARM_ROWS, n)
    rest = n - warm
    pieces = max(jobs, -(-rest // max(1, chunk_rows))) if rest else 0
    return [0, *(warm + rest * i // pieces for i in range(pieces)), n] if pieces else [0, n]


def map_chunks(df: pd.DataFrame, cfg: Config, stages: Sequence[Stage], jobs: int
               ) -> tuple[pd.DataFrame, dict[str, float]]:
    """`process(df, cfg, stages)` (row-wise stages only) over chunks of `df` in `jobs` worker processes; the seconds
    per stage are the wall-clock time of the whole map, shared out in proportion to each stage's time in the
    workers."""
    started = time.perf_counter()
    bounds = chunk_bounds(len(df), jobs, cfg.engine.chunk_rows)
    first, took = process(df.iloc[bounds[0]:bounds[1]], cfg, stages)
    parts, seconds = [first], Counter(took)
    chunks = [df.iloc[lo:hi] for lo, hi in zip(bounds[1:-1], bounds[2:])]
    if chunks:
        pool = ProcessPoolExecutor(max_workers=min(jobs, len(chunks)), mp_context=_context(),
                                   initializer=_start_worker, initargs=(cfg, tuple(stages)))
        try:
            for part, took in pool.map(_run_chunk, chunks):
                parts.append(part)
                seconds.update(took)
        except BrokenProcessPool as err:
            names = ", ".join(s.info.name for s in stages)
            raise WorkerDied(f"proces roboczy zakończył się nieoczekiwanie (zabity albo zabrakło pamięci) w etapach "
                             f"{names}; nie zapisano żadnych wyników. Uruchom ponownie, np. z mniejszym --jobs") from err
        finally:
            pool.shutdown(cancel_futures=True)
    out = pd.concat(parts, ignore_index=True)
    out.index = df.index
    wall, spent = time.perf_counter() - started, sum(seconds.values()) or 1.0
    return out, {s.info.name: round(wall * seconds[s.info.name] / spent, 3) for s in stages}


def _context() -> multiprocessing.context.BaseContext:
    # Fork shares the loaded model and dictionaries; macOS and Windows only spawn safely.
    return multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")


_work: tuple[Config, tuple[Stage, ...]] | None = None


def _start_worker(cfg: Config, stages: tuple[Stage, ...]) -> None:
    # Once per worker, not per chunk: a model in memory travels inside the configuration.
    global _work
    _work = (cfg, stages)


def _run_chunk(chunk: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    assert _work is not None, "the pool's initializer sets the work"
    cfg, stages = _work
    return process(chunk, cfg, stages)
