"""The loaded-model cache (`pipeline/model_cache.py`): a run after the first loads the model without skops, gets the
same predictions, and a damaged entry is rebuilt with a warning instead of being unpickled."""

from __future__ import annotations

import pickle
from pathlib import Path
from types import SimpleNamespace

import pytest

import pipeline.model_cache
import pipeline.models
from pipeline.model_cache import entry_path
from pipeline.models import load_model, read_card
from pipeline.resources import DEFAULT_MODEL, resource_path

DEFAULT = resource_path(*DEFAULT_MODEL)
TEXTS = ["Więcej środków na małe granty dla organizacji.", "Proszę uprościć sprawozdania z realizacji zadań."]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UWAGI_CACHE_DIR", str(tmp_path))
    return entry_path(read_card(DEFAULT)["model_sha256"], tmp_path)


def _no_skops(*_: object) -> None:
    raise AssertionError("the model was rebuilt with skops")


def _no_unpickling(*_: object) -> None:
    raise AssertionError("a damaged entry was unpickled")


def test_a_model_loaded_once_comes_from_the_cache_with_the_same_predictions(
        cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    audited, _ = load_model(DEFAULT)
    assert cache.is_file()
    monkeypatch.setattr(pipeline.models, "_audited_load", _no_skops)
    cached, card = load_model(DEFAULT)
    assert card["model_sha256"] in cache.name
    assert cached is not audited  # each load is a model of its own, which a caller may change
    assert cached.predict_frame(TEXTS).equals(audited.predict_frame(TEXTS))


def test_a_damaged_cache_entry_is_rebuilt_with_a_warning_not_unpickled(
        cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = load_model(DEFAULT)[0].predict_frame(TEXTS)
    data = bytearray(cache.read_bytes())
    data[-100] ^= 0xFF  # one flipped bit of the pickle; the checksum before it no longer matches
    cache.write_bytes(bytes(data))
    never_loads = SimpleNamespace(loads=_no_unpickling, dumps=pickle.dumps, HIGHEST_PROTOCOL=pickle.HIGHEST_PROTOCOL)
    monkeypatch.setattr(pipeline.model_cache, "pickle", never_loads)
    with pytest.warns(UserWarning, match="uszkodzony wpis pamięci modeli"):
        rebuilt, _ = load_model(DEFAULT)
    monkeypatch.undo()
    assert rebuilt.predict_frame(TEXTS).equals(expected)
    assert cache.read_bytes() != bytes(data)  # written again whole
    monkeypatch.setenv("UWAGI_CACHE_DIR", str(cache.parents[1]))
    monkeypatch.setattr(pipeline.models, "_audited_load", _no_skops)
    assert load_model(DEFAULT)[0].predict_frame(TEXTS).equals(expected)


def test_an_entry_cut_short_is_rebuilt(cache: Path) -> None:
    load_model(DEFAULT)
    cache.write_bytes(cache.read_bytes()[:1000])
    with pytest.warns(UserWarning, match="uszkodzony wpis pamięci modeli"):
        load_model(DEFAULT)
    assert cache.stat().st_size > 1_000_000
