"""A spilled run's export hands the part files' outputs to a process of its own (`engines/background.py`): its
failure fails the run, never a silent partial output."""

from __future__ import annotations

import os

import pytest

from pipeline.config import Config, EngineConfig
from pipeline.engines.background import in_background
from pipeline.engines.workers import WorkerDied
from pipeline.errors import UserError


def _fail(message: str) -> None:
    raise UserError(message)


def test_the_background_work_runs_beside_the_block_and_its_error_ends_it():
    ran = []
    with pytest.raises(UserError, match="zepsuty plik"):
        with in_background(Config(engine=EngineConfig(jobs=2)), "plików", _fail, "zepsuty plik"):
            ran.append(True)
    assert ran == [True]


def test_a_background_process_that_dies_fails_with_a_clear_message():
    with pytest.raises(WorkerDied, match="zakończył się nieoczekiwanie.*comments.csv"):
        with in_background(Config(engine=EngineConfig(jobs=2)), "comments.csv", os._exit, 1):
            pass


def test_with_one_job_the_work_runs_here_before_the_block():
    with pytest.raises(UserError, match="zepsuty plik"):
        with in_background(Config(engine=EngineConfig(jobs=1)), "plików", _fail, "zepsuty plik"):
            pytest.fail("the block must not run after the work failed")
