"""The processes the local engine starts: forked from a server that imported uwagi, with the caller's environment."""

from __future__ import annotations

import os

from pipeline.clean import detect_language
from pipeline.engines.processes import process_pool

MARK, GONE = "UWAGI_TEST_PROCESSES_MARK", "UWAGI_TEST_PROCESSES_GONE"


def test_a_process_starts_with_uwagi_imported():
    # Spawned, a process spent about 2 s of CPU importing uwagi, spaCy and scikit-learn before its first task; forked
    # from the server, it has them before it runs anything (a builtin, so the task itself imports nothing).
    with process_pool(1) as pool:
        imported = "{name!r} in __import__('sys').modules"
        assert all(pool.submit(eval, imported.format(name=name)).result()
                   for name in ("pipeline.classify", "spacy", "sklearn"))
        assert pool.submit(os.getppid).result() != os.getpid()  # not a fork of this process


def test_a_process_starts_with_the_language_model_loaded():
    # Loaded in each process, py3langid's model took 0.5 s of CPU at the first comment without Polish letters; the
    # server has loaded it for all of them, so a process has it before it detects anything.
    with process_pool(1) as pool:
        assert pool.submit(eval, "__import__('sys').modules['pipeline.clean']._identifier is not None").result()
        assert pool.submit(detect_language, "This is a comment written in English, not Polish").result() == "en"


def test_a_process_has_the_environment_of_the_caller_when_its_pool_is_made(monkeypatch):
    monkeypatch.setenv(GONE, "set before the server started")
    with process_pool(1) as pool:  # the server has started by now, with this environment
        assert pool.submit(os.getenv, GONE).result() == "set before the server started"
    # What a test or a notebook changes later, e.g. UWAGI_CACHE_DIR, the next pool's processes see.
    monkeypatch.delenv(GONE)
    monkeypatch.setenv(MARK, "set after")
    with process_pool(2) as pool:
        assert list(pool.map(os.getenv, [MARK, MARK, GONE, GONE])) == ["set after", "set after", None, None]
