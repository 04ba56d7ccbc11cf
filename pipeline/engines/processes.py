"""The processes the local engine starts (the row-wise workers, the export's background writer): forked from a fork
server that has imported uwagi once, not each spawned afresh.

A spawned process starts Python and imports the calling script, uwagi and what it stands on (spaCy, scikit-learn,
SciPy, pandas, Arrow) before its first task: about 2.2 s of CPU each, three times a run with `--jobs 2` (two workers
and the background writer). The fork server (`multiprocessing`'s "forkserver") is a fresh process, started by the
first pool a process makes (or before it, `start_server`: a spilled run starts it before it reads its first part),
that imports those modules (`PRELOAD`), loads the data every worker needs (`preload.py`) and then only forks: each
worker starts with them. The reasons the workers are never forks of the run's process do
not hold for the server: it has run nothing but imports and that loading, so it holds no OpenMP threads (the
sentence encoder's) and no open SQLite connection (the vector cache); the threads its imports start (the idle
OpenBLAS pools of NumPy and SciPy, Arrow's jemalloc background thread) are left consistent in the child by their
libraries' fork handlers.

The server lives as long as the process that started it (a test session, a notebook), so what it inherited at start
may be stale: the child takes the caller's current working folder and `sys.path` as a spawned one does
(`multiprocessing` sends them), and its environment here (`_start`), so that e.g. `UWAGI_CACHE_DIR` set after the
server started still names the cache a worker reads.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import forkserver
from typing import Any

# What the server imports once for every process it forks: the calling script (a script file, as `uwagi` is; it is
# imported as a spawned process would import it, so it needs the same `if __name__ == "__main__":`), the package,
# whose `__init__` imports every stage, and the data every worker would load (`preload.py`).
PRELOAD = ["__main__", "pipeline", "pipeline.engines.preload"]


def process_pool(workers: int, initializer: Callable[..., None] | None = None,
                 initargs: tuple[Any, ...] = ()) -> ProcessPoolExecutor:
    """A pool of `workers` processes forked from the fork server, each given this process's environment as it is
    now, then `initializer(*initargs)`."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=_start,
                               initargs=(dict(os.environ), initializer, initargs))


def start_server() -> None:
    """Starts the fork server, unless it runs, and returns at once: its imports (about 2.3 s of CPU) then run while
    this process goes on (a run reads its first parts), not while its first pool waits for the server's first
    fork."""
    _context()
    forkserver.ensure_running()


def _context() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)  # read only when the server starts: the first pool of this process
    return context


def _start(environ: dict[str, str], initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    os.environ.clear()
    os.environ.update(environ)
    if initializer is not None:
        initializer(*initargs)
