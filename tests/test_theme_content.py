"""The themes stage's text analysis, run ahead as a row-wise stage: the same themes, less memory."""

from __future__ import annotations

import importlib

import pytest

from pipeline.config import Config
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
