"""process: the chain of stages is checked against the table before any work, and rows are never lost."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline import STAGES, Config, MissingColumnsError, check_chain, classify, clean, process, stage


def test_a_chain_missing_a_column_fails_before_any_stage_runs() -> None:
    ran: list[str] = []

    @stage("spy", requires=("text",), assigns=())
    def spy(df: pd.DataFrame, cfg: Config) -> pd.DataFrame:
        ran.append("spy")
        return df

    with pytest.raises(MissingColumnsError) as err:
        process(pd.DataFrame({"text": ["Prosimy o dotacje."]}), stages=(spy, classify))
    assert (err.value.stage, err.value.missing) == ("classify", ("text_clean",))
    assert "classify" in str(err.value) and "text_clean" in str(err.value)
    assert ran == []  # checked before the first stage ran


def test_the_default_chain_needs_only_what_ingest_gives() -> None:
    check_chain(["comment_id", "source_file", "source_row", "text", "status", "error"], STAGES)
    with pytest.raises(MissingColumnsError, match="'clean'.*'text'"):
        check_chain(["comment_id"], STAGES)


def test_a_stage_that_breaks_its_promise_is_a_bug_not_bad_input() -> None:
    @stage("liar", requires=(), assigns=("score",))
    def liar(df: pd.DataFrame, cfg: Config) -> pd.DataFrame:
        return df

    with pytest.raises(RuntimeError, match="liar.*score"):
        liar(pd.DataFrame({"text": ["x"]}))


def test_a_stage_that_drops_rows_stops_the_run() -> None:
    @stage("dropper", requires=("text",), assigns=())
    def dropper(df: pd.DataFrame, cfg: Config) -> pd.DataFrame:
        return df.iloc[:1]

    with pytest.raises(RuntimeError, match="row count"):
        process(pd.DataFrame({"text": ["a", "b"]}), stages=(clean, dropper))
