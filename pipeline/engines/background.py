"""Work handed to a process of its own while this one goes on: the second core during a spilled run's export.

A spilled run's export has two halves that do not wait on each other: the files of every row, written part by part
(comments.csv, research.*, comments.parquet), and what the main process builds from the whole batch (clusters.csv's
templates, the workbook). With `--jobs` above 1 the first half runs in a process of its own (forked from the fork
server as the workers are, `engines/processes.py`: never a fork of this one) while this process does the second;
with one job it runs here first, as before. Either way the files are the same: each half writes files of its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from pipeline.config import Config
from pipeline.engines.local import jobs_for
from pipeline.engines.processes import process_pool
from pipeline.engines.workers import WorkerDied


@contextlib.contextmanager
def in_background(cfg: Config, what: str, fn: Callable[..., Any], *args: Any) -> Iterator[None]:
    """`fn(*args)` (a module-level function, its arguments picklable) in a process of its own while the block runs,
    waited for when the block ends (its exception raised then); with one job (`cfg.engine.jobs`), here, before the
    block. `what` names the work for the message of a process that died."""
    if jobs_for(cfg) == 1:
        fn(*args)
        yield
        return
    with process_pool(1) as pool:
        done = pool.submit(fn, *args)
        yield
        try:
            done.result()
        except BrokenProcessPool as err:
            raise WorkerDied(f"proces roboczy zakończył się nieoczekiwanie (zabity albo zabrakło pamięci) przy "
                             f"zapisie {what}; nie zapisano żadnych wyników. Uruchom ponownie, np. z --jobs 1"
                             ) from err
