"""The themes stage's text analysis, run ahead as a row-wise stage: the same themes, less memory."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest

from pipeline.config import Config
from pipeline.row_source import reading_from
from pipeline.theme_content import theme_content
from pipeline.themes import CONTENT_COLUMN, themes
from tests.test_themes import PARKS, ROADS, _table


def test_content_analysed_ahead_in_slices_gives_the_themes_the_stage_finds_alone(monkeypatch: pytest.MonkeyPatch
                                                                                  ) -> None:
    texts = PARKS + ROADS + ["Kampania: więcej drzew w parku!", ""]
    df = _table(texts, ["zielen"] * 14, [0.9] * 6 + [0.3] * 6 + [0.9, 0.0])
    df.loc[12, ["cluster_role", "cluster_representative"]] = ["członek", "c0"]
    df.loc[13, "status"] = "pusta"
    alone = themes(df, Config())
    monkeypatch.setattr(importlib.import_module("pipeline.theme_content"), "SLICE_ROWS", 5)
    ahead = theme_content(df, Config())
    # Only the comments themes group are analysed: not a campaign member, not an empty comment.
    assert ahead[CONTENT_COLUMN].isna().tolist() == [False] * 12 + [True, True]
    found = themes(ahead, Config())
    assert found["theme"].tolist() == alone["theme"].tolist()
    assert found.attrs["themes"] == alone.attrs["themes"]


def test_without_the_texts_the_lemmas_tell_which_rows_to_group_and_only_the_quotes_are_read() -> None:
    """A spilled run gives themes the content lemmas but not the texts: the same themes, reading `text_clean` of
    only the quoted representatives."""
    texts = PARKS + ROADS + ["   ", "Kampania: więcej drzew w parku!"]
    df = _table(texts, ["zielen"] * 14, [0.9] * 6 + [0.3] * 6 + [0.9, 0.9])
    df.loc[13, ["cluster_role", "cluster_representative"]] = ["członek", "c0"]
    ahead = theme_content(df, Config())
    alone = themes(ahead, Config())
    read: list[int] = []

    def reader(column: str, rows: np.ndarray) -> pd.Series:
        read.extend(rows.tolist())
        return pd.Series(df[column].iloc[rows].to_numpy(), index=rows)

    with reading_from(reader):
        found = themes(ahead.drop(columns="text_clean"), Config())
    assert found["theme"].tolist() == alone["theme"].tolist()
    assert alone["theme"].iloc[12] == ""  # the blank comment gets no theme either way
    assert found.attrs["themes"] == alone.attrs["themes"]
    assert sorted(read) == sorted(set(read)) and len(read) == len(alone.attrs["themes"]) < len(df)


def test_classify_gives_the_lemmas_themes_analyse_and_the_stage_keeps_only_those_it_groups(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Classify's analysis leaves each comment's content lemmas (English ones without the glossary's Polish), so
    theme_content analyses nothing again; it keeps those of the comments themes group, None for the others."""
    from pipeline.classify import classify
    from pipeline.config import ClassifyConfig, ThemesConfig
    from pipeline.themes import content_lemmas

    texts = PARKS + ROADS + ["Please plant more trees in the park near the school.", "Kampania: drzewa!", ""]
    cfg = Config(classify=ClassifyConfig(encoder="off"))
    classified = classify(pd.DataFrame({"text_clean": texts}), cfg)
    assert classified[CONTENT_COLUMN].tolist()[:-1] == content_lemmas(texts[:-1], cfg)
    assert pd.isna(classified[CONTENT_COLUMN].iloc[-1])
    assert classify(pd.DataFrame({"text_clean": texts}),
                    Config(classify=ClassifyConfig(encoder="off"), themes=ThemesConfig(enabled=False))
                    )[CONTENT_COLUMN].isna().all()
    df = _table(texts, ["zielen"] * 15, [0.9] * 15).assign(content_lemmas=classified[CONTENT_COLUMN])
    df.loc[13, ["cluster_role", "cluster_representative"]] = ["członek", "c0"]
    df.loc[14, "status"] = "pusta"

    def analysed_again(texts: list[str], cfg: Config) -> list[str]:
        raise AssertionError("analysed again")

    monkeypatch.setattr(importlib.import_module("pipeline.theme_content"), "content_lemmas", analysed_again)
    ahead = theme_content(df, Config())
    assert ahead[CONTENT_COLUMN].tolist()[:13] == classified[CONTENT_COLUMN].tolist()[:13]
    assert ahead[CONTENT_COLUMN].iloc[13:].isna().all()
