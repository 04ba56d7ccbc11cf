"""The processes the local engine starts: forked from a server that imported uwagi, with the caller's environment."""

from __future__ import annotations

import os
import time

from pipeline.engines.processes import process_pool

MARK, GONE = "UWAGI_TEST_PROCESSES_MARK", "UWAGI_TEST_PROCESSES_GONE"


def test_a_process_starts_with_uwagi_imported():
    # Spawned, a process spent about 2 s of CPU importing uwagi, spaCy and scikit-learn before its first task.
    with process_pool(1) as pool:
        assert pool.submit(time.process_time).result() < 1.0


def test_a_process_has_the_environment_of_the_caller_when_its_pool_is_made(monkeypatch):
    monkeypatch.setenv(GONE, "set before the server started")
    with process_pool(1) as pool:  # the server has started by now, with this environment
        assert pool.submit(os.getenv, GONE).result() == "set before the server started"
    # What a test or a notebook changes later, e.g. UWAGI_CACHE_DIR, the next pool's processes see.
    monkeypatch.delenv(GONE)
    monkeypatch.setenv(MARK, "set after")
    with process_pool(2) as pool:
        assert list(pool.map(os.getenv, [MARK, MARK, GONE, GONE])) == ["set after", "set after", None, None]
