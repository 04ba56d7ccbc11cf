"""Classification: quality under the grouped protocol, the review flag, the stage's columns, models on disk, CLI."""

from __future__ import annotations

import importlib
import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from pipeline.classifier import CommentClassifier, default_comment_type_model, load_classifier, pick_evidence
from pipeline.classify import classify
from pipeline.clean import clean_text, fold
from pipeline.cli import main
from pipeline.comment_type import cross_validated_accuracy
from pipeline.config import ClassifyConfig, Config, NlpConfig
from pipeline.errors import UserError
from pipeline.features import analyse, says_nothing
from pipeline.folds import duplicate_groups, grouped_folds
from pipeline.models import load_model
from pipeline.reports import classification_report
from pipeline.resources import DEFAULT_MODEL, resource_path
from pipeline.taxonomy import load_taxonomy
from pipeline.training import cross_validate
from pipeline.zero_shot import ZeroShotClassifier
from tests.quality_data import GDANSK_PARAPHRASE, read_jsonl

ROOT = Path(__file__).resolve().parents[1]
GDANSK = load_taxonomy(ROOT / "data" / "taxonomies" / "gdansk_ngo_2023.toml")
LODZ = load_taxonomy(ROOT / "data" / "taxonomies" / "lodz_bo_2025.toml")
DEFAULT = resource_path(*DEFAULT_MODEL)


# ----------------------------------------------------------------------------------- quality (issue 4, item 6)

@pytest.fixture(scope="module")
def gdansk_data(gdansk_dev: list[dict]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Analysed texts, primary labels and the protocol's groups."""
    texts = [clean_text(r["text"]) for r in gdansk_dev]
    y = np.array([r["primary_label"] for r in gdansk_dev], dtype=object)
    return analyse(texts), y, duplicate_groups(texts, [r["campaign"] for r in gdansk_dev])


@pytest.fixture(scope="module")
def gdansk_oof(gdansk_dev: list[dict], gdansk_data: tuple) -> tuple[np.ndarray, pd.DataFrame]:
    """Out-of-fold decisions on the 520 dev comments, in their own folds, with the default model's synthetic
    paraphrases (paraphrase.jsonl) in every training part and never scored."""
    analysed, y, _ = gdansk_data
    rows = gdansk_dev + read_jsonl(GDANSK_PARAPHRASE)
    texts = [clean_text(r["text"]) for r in rows]
    groups = duplicate_groups(texts, [r["campaign"] for r in rows])
    analysed = pd.concat([analysed, analyse(texts[len(gdansk_dev):])], ignore_index=True)
    oof = cross_validate(CommentClassifier(GDANSK), analysed, [r["primary_label"] for r in rows], groups=groups,
                         secondary=[r["labels"] for r in rows], train_only=np.arange(len(rows)) >= len(gdansk_dev))
    return y, oof


# A target the model does not reach yet stays in the suite as a strict expected failure, so the day it passes the
# marker must go; the figure reached is asserted separately and guards against regressions.
NOT_YET = "issue 4 target not met yet: "


def test_gdansk_macro_f1_reaches_the_target(gdansk_oof: tuple[np.ndarray, pd.DataFrame]) -> None:
    y, oof = gdansk_oof
    assert classification_report(y, oof["label"], GDANSK.ids)["macro_f1"] >= 0.90  # baseline 0.85


def test_review_flag_separates_doubtful_labels(gdansk_oof: tuple[np.ndarray, pd.DataFrame]) -> None:
    y, oof = gdansk_oof
    flagged = oof["needs_review"].to_numpy(dtype=bool)
    right = oof["label"].to_numpy() == y
    assert right[flagged].mean() <= 0.75  # the flag is where the mistakes are
    assert oof["confidence"].between(0, 1).all()


def test_unflagged_comments_are_almost_always_right(gdansk_oof: tuple[np.ndarray, pd.DataFrame]) -> None:
    y, oof = gdansk_oof
    flagged = oof["needs_review"].to_numpy(dtype=bool)
    assert flagged.mean() <= 0.20
    assert (oof["label"].to_numpy()[~flagged] == y[~flagged]).mean() >= 0.97


def test_training_only_rows_join_every_training_part_and_are_never_scored(monkeypatch: pytest.MonkeyPatch) -> None:
    # Figures with and without synthetic training rows compare only if the scored rows keep their folds; a
    # training-only row repeating a test comment's text would hand the model that comment's label.
    texts = [f"{stem} w dzielnicy numer {i}." for stem in ("Dotacje i granty dla organizacji",
                                                           "Ubezpieczenie i szkolenia wolontariuszy",
                                                           "Raport z ewaluacji programu") for i in range(8)]
    y = ["finansowanie"] * 8 + ["wolontariat"] * 8 + ["ewaluacja"] * 8
    extra_texts = [texts[0], "Wyższe kwoty małych grantów.", "Koordynator wolontariatu w szkołach."]
    all_texts = texts + extra_texts
    analysed = analyse(all_texts)
    groups = duplicate_groups(all_texts)
    parts: list[set[int]] = []
    # The outer training part is what the nested selection receives; record it and keep the given parameters.
    monkeypatch.setattr(importlib.import_module("pipeline.training"), "select_params",
                        lambda classifier, rows, *args: parts.append(set(rows.index)) or {})
    alone = cross_validate(CommentClassifier(GDANSK), analysed[:24], y, groups=groups[:24], nested=True)
    alone_parts, parts[:] = list(parts), []
    both = cross_validate(CommentClassifier(GDANSK), analysed, y + ["finansowanie", "finansowanie", "wolontariat"],
                          groups=groups, nested=True, train_only=[False] * 24 + [True] * 3)
    assert len(both) == len(alone) == 24 and len(parts) == len(alone_parts) == 5
    for before, after in zip(alone_parts, parts):
        assert after - {24, 25, 26} == before
        assert {25, 26} <= after and (24 in after) == (0 in before)


@pytest.fixture(scope="module")
def lodz_data(lodz_proposals: Path) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    frame = pd.read_csv(lodz_proposals, dtype=str, keep_default_na=False)
    texts = [clean_text(f"{a}\n\n{b}") for a, b in zip(frame["nazwa"], frame["opis"])]
    y = np.array([LODZ.resolve(k) for k in frame["kategoria"]], dtype=object)
    return analyse(texts), y, duplicate_groups(texts)


@pytest.fixture(scope="module")
def lodz_report(lodz_data: tuple) -> dict:
    analysed, y, groups = lodz_data
    oof = cross_validate(CommentClassifier(LODZ), analysed, y, groups=groups)
    return classification_report(y, oof["label"], LODZ.ids)


def test_lodz_proposals_with_the_hand_written_taxonomy(lodz_report: dict) -> None:
    assert lodz_report["macro_f1"] >= 0.72
    assert lodz_report["accuracy"] >= 0.82


@pytest.mark.xfail(strict=True, reason=NOT_YET + "Łódź accuracy 0.836 of 0.84")
def test_lodz_accuracy_reaches_the_target(lodz_report: dict) -> None:
    assert lodz_report["accuracy"] >= 0.84


# ------------------------------------------------------------------------------------------------- the stage

def table(texts: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"comment_id": [f"c{i}" for i in range(len(texts))], "text": texts, "text_clean": texts})


def test_stage_fills_every_column_keeping_rows_and_order() -> None:
    texts = ["Proponujemy zwiększyć pulę środków na małe granty w trybie art. 19a i skrócić czas rozliczania dotacji.",
             "",
             "Czy wolontariusze pomagający uchodźcom będą ubezpieczeni przez Miasto?",
             "Dziura w chodniku na ul. Długiej od miesięcy, nikt nie naprawia."]
    out = classify(table(texts), Config())
    assert list(out["comment_id"]) == ["c0", "c1", "c2", "c3"]
    assert out.loc[0, "label"] == "finansowanie"
    assert out.loc[3, "label"] == "poza_zakresem"
    assert out.loc[2, "comment_type"] == "pytanie"
    assert out.loc[1, ["label", "labels", "evidence"]].tolist() == ["", "", ""]
    assert not out.loc[1, "needs_review"]
    filled = out.drop(index=1)
    assert filled["confidence"].between(0, 1).all()
    assert all(labels.split("|")[0] == label for label, labels in zip(filled["label"], filled["labels"]))
    assert set(filled["comment_type"]) <= {"propozycja", "pytanie", "poparcie", "krytyka", "inne"}
    assert out["needs_review"].dtype == bool


def test_slices_of_the_batch_classify_as_the_whole_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lexical model runs a slice of texts at a time to bound memory; no comment may change its result."""
    texts = ["Proponujemy zwiększyć pulę środków na małe granty.", "", "Czy wolontariusze będą ubezpieczeni?",
             "Dziura w chodniku na ul. Długiej.", "ok", "Więcej zieleni przy szkołach i ławek w parkach."] * 3
    cfg = Config(classify=ClassifyConfig(encoder="off"))
    whole = classify(table(texts), cfg)
    monkeypatch.setattr(importlib.import_module("pipeline.classify"), "LEXICAL_SLICE", 4)
    pd.testing.assert_frame_equal(classify(table(texts), cfg), whole)


def test_copies_of_a_comment_are_classified_as_the_comment_alone() -> None:
    """A campaign's identical letters are analysed and classified once: every copy gets what the text gets alone."""
    texts = ["Proponujemy zwiększyć pulę środków na małe granty.", "Czy wolontariusze będą ubezpieczeni?",
             "Więcej zieleni przy szkołach i ławek w parkach."]
    cfg = Config(classify=ClassifyConfig(encoder="off"))
    columns = ["label", "labels", "confidence", "evidence", "needs_review", "comment_type", "semantic"]
    batch = [texts[0], texts[1], texts[0], texts[2], texts[0]]
    copies = classify(table(batch), cfg)[columns]
    for row, text in enumerate(batch):
        alone = classify(table([text]), cfg)[columns].iloc[0]
        pd.testing.assert_series_equal(copies.iloc[row], alone, check_names=False)


def test_evidence_names_lemmas_of_the_comment() -> None:
    text = "Prosimy o zwiększenie kwoty dotacji w otwartych konkursach ofert i o dłuższe dotacje wieloletnie."
    evidence = classify(table([text]), Config()).loc[0, "evidence"].split("; ")
    assert 3 <= len(evidence) <= 5
    content = set(analyse([text])["content"][0].split()) | set(analyse([text])["lemmas"][0].split())
    assert all(set(phrase.split()) <= content for phrase in evidence)
    assert any("dotacja" in phrase or "konkurs" in phrase for phrase in evidence)


def test_stage_works_on_any_chunk_independently() -> None:
    texts = ["Więcej szkoleń dla liderów organizacji.", "Brak uwag.", "Popieram cel b) – szybka pomoc w kryzysie."]
    whole = classify(table(texts), Config())
    parts = pd.concat([classify(table(texts[:1]), Config()), classify(table(texts[1:]), Config())])
    assert whole["label"].tolist() == parts["label"].tolist()
    assert np.allclose(whole["confidence"], parts["confidence"])


def test_zero_shot_uses_keywords_and_flags_every_row() -> None:
    cfg = Config(classify=ClassifyConfig(taxonomy=ROOT / "data" / "taxonomies" / "lodz_bo_2025.toml"))
    out = classify(table(["Nowe nasadzenia drzew i krzewów w parku.", "Budowa boiska do koszykówki i siłowni "
                                                                        "plenerowej."]), cfg)
    assert out["label"].tolist() == ["tereny_zielone", "sport_rekreacja"]
    assert out["needs_review"].all()
    assert "drzewo" in out.loc[0, "evidence"]


def test_comment_types_are_learnt_better_than_cue_words(gdansk_dev: list[dict], gdansk_data: tuple) -> None:
    analysed, y, groups = gdansk_data
    types = [r["comment_type"] for r in gdansk_dev]
    assert cross_validated_accuracy(analysed, types, grouped_folds(y, groups)) >= 0.78  # cue-word rules: 0.66


def test_zero_shot_runs_type_comments_with_the_default_type_model() -> None:
    out = ZeroShotClassifier(GDANSK).predict_frame([
        "Kiedy zostanie opublikowany raport z konsultacji?",
        "Popieramy projekt programu w całości, dziękujemy za współpracę.",
        "Proponujemy dodać do programu obszar ekologii.",
        "test",
    ])
    assert out["comment_type"].tolist() == ["pytanie", "poparcie", "propozycja", "inne"]


def test_project_proposals_from_another_city_are_typed_as_proposals(lodz_data: tuple) -> None:
    # Łódź participatory-budget proposals are proposals by genre, though few use the words "proponuję" or "należy"
    # (cue-word rules called 22% of them proposals).
    analysed, _, _ = lodz_data
    assert (default_comment_type_model().predict(analysed) == "propozycja").mean() >= 0.8


# ---------------------------------------------------------------------------------------------- models on disk

def test_default_model_card_records_taxonomy_data_and_metrics() -> None:
    card = json.loads((DEFAULT / "model.json").read_text(encoding="utf-8"))
    assert card["taxonomy"]["sha256"] == GDANSK.sha256
    assert card["training_data"]["rows"] == 745
    # `make model`: every labelled comment, the demo slice and the paraphrase file among them; the honest figure is
    # then the nested one, on the 520 comments written as submissions in their own folds, the 225 synthetic
    # paraphrases learnt in every training part and never scored (issue 12's targets are for real comments).
    assert [f["file"] for f in card["training_data"]["files"]] == ["train.jsonl", "demo_gold.jsonl",
                                                                   "paraphrase.jsonl"]
    nested = card["nested_cross_validation"]
    assert nested["protocol"].startswith("zagnieżdżona") and "nigdy oceniane" in nested["protocol"]
    assert nested["n"] == 520 and nested["training_only_files"] == ["paraphrase.jsonl"]
    assert nested["macro_f1"] >= 0.90  # 0.936
    assert nested["needs_review"]["flagged_share"] <= 0.20 and nested["needs_review"]["accuracy_unflagged"] >= 0.97
    assert set(card["cross_validation"]["per_label"]) == set(GDANSK.ids)
    assert {"scikit-learn", "numpy", "python"} <= set(card["libraries"])
    assert (DEFAULT / "model.skops").stat().st_size < 6_000_000  # 5.6 MB: the vocabulary of 745 comments


def test_tampered_model_is_refused_before_unpickling(tmp_path: Path) -> None:
    copy = tmp_path / "m"
    shutil.copytree(DEFAULT, copy)
    with open(copy / "model.skops", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(UserError, match="sha256"):
        load_model(copy)


def test_model_for_another_taxonomy_is_refused() -> None:
    with pytest.raises(UserError, match="taksonomii"):
        load_model(DEFAULT, LODZ)
    cfg = Config(classify=ClassifyConfig(model=DEFAULT, taxonomy=ROOT / "data" / "taxonomies" / "lodz_bo_2025.toml"))
    with pytest.raises(UserError):
        classify(table(["Więcej pieniędzy na granty."]), cfg)


# ------------------------------------------------------------------------------------------------------- CLI

TRAIN_ROWS = [
    ("Więcej środków na dotacje i małe granty, wyższy budżet konkursów ofert.", "finansowanie"),
    ("Konkursy ofert powinny mieć prostsze rozliczenie dotacji.", "Finansowe formy współpracy i środki"),
    ("Prosimy o wyższą kwotę na granty wieloletnie.", "finansowanie"),
    ("Wolontariusze potrzebują ubezpieczenia i szkoleń.", "wolontariat"),
    ("Nagrody dla wolontariuszy i koordynator wolontariatu w każdej dzielnicy.", "wolontariat"),
    ("Wolontariat seniorów warto promować.", "Wolontariat"),
]


def write_csv(path: Path, rows: list[tuple[str, str]], header: str = "label") -> Path:
    pd.DataFrame(rows, columns=["tekst", header]).to_csv(path, index=False)
    return path


def test_train_and_evaluate_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    data = write_csv(tmp_path / "train.csv", TRAIN_ROWS)
    taxonomy = str(ROOT / "data" / "taxonomies" / "gdansk_ngo_2023.toml")
    assert main(["train", str(data), "--taxonomy", taxonomy, "--out", str(tmp_path / "m"),
                 "--text-col", "tekst"]) == 0
    card = json.loads((tmp_path / "m" / "model.json").read_text(encoding="utf-8"))
    assert card["training_data"]["per_label"]["wolontariat"] == 3
    capsys.readouterr()
    assert main(["evaluate", str(data), "--model", str(tmp_path / "m"), "--text-col", "tekst", "--json"]) == 0
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert report["n"] == 6 and report["accuracy"] == 1.0
    assert "model uczono na tym pliku" in err  # a perfect score on the training file is no evidence
    assert len(report["confusion"]["matrix"]) == len(GDANSK.ids)


def test_a_model_learns_several_files_and_evaluate_knows_each(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    first, second = write_csv(tmp_path / "a.csv", TRAIN_ROWS[:4]), write_csv(tmp_path / "b.csv", TRAIN_ROWS[2:])
    unseen = write_csv(tmp_path / "c.csv", [("Dotacje na małe granty dla organizacji.", "finansowanie"),
                                            ("Szkolenia dla wolontariuszy seniorów.", "wolontariat")])
    taxonomy = str(ROOT / "data" / "taxonomies" / "gdansk_ngo_2023.toml")
    assert main(["train", str(first), str(second), "--taxonomy", taxonomy, "--out", str(tmp_path / "m"),
                 "--text-col", "tekst"]) == 0
    card = json.loads((tmp_path / "m" / "model.json").read_text(encoding="utf-8"))
    assert card["training_data"]["rows"] == 8 and [f["file"] for f in card["training_data"]["files"]] == \
        ["a.csv", "b.csv"]
    capsys.readouterr()
    for data, learnt in ((second, True), (unseen, False)):
        assert main(["evaluate", str(data), "--model", str(tmp_path / "m"), "--text-col", "tekst", "--json"]) == 0
        assert ("model uczono na tym pliku" in capsys.readouterr().err) is learnt


def test_rows_left_out_of_training_and_evaluation_are_named(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    data = write_csv(tmp_path / "luki.csv", TRAIN_ROWS + [("Bez etykiety.", ""), ("", "wolontariat")])
    taxonomy = str(ROOT / "data" / "taxonomies" / "gdansk_ngo_2023.toml")
    assert main(["train", str(data), "--taxonomy", taxonomy, "--out", str(tmp_path / "m"), "--text-col", "tekst"]) == 0
    assert "pominięto 2 wiersze (bez tekstu: wiersz 9; bez etykiety: wiersz 8)" in capsys.readouterr().err
    for argv in (["evaluate", str(data), "--model", str(tmp_path / "m")],
                 ["crossval", str(data), "--taxonomy", taxonomy]):
        assert main([*argv, "--text-col", "tekst", "--json"]) == 0
        out, err = capsys.readouterr()
        assert "luki.csv: pominięto 2 wiersze" in err and json.loads(out)["n"] == len(TRAIN_ROWS)


def test_training_only_files_are_learnt_but_not_scored(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    data = write_csv(tmp_path / "a.csv", TRAIN_ROWS)
    extra = write_csv(tmp_path / "extra.csv", [("Dotacje na wkład własny.", "finansowanie"),
                                               ("Szkolenia dla wolontariuszy.", "wolontariat")])
    taxonomy = str(ROOT / "data" / "taxonomies" / "gdansk_ngo_2023.toml")
    common = ["--taxonomy", taxonomy, "--text-col", "tekst", "--encoder", "off"]
    assert main(["crossval", str(data), "--train-only", str(extra), *common, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == len(TRAIN_ROWS)
    assert main(["train", str(data), "--train-only", str(extra), "--tune", "--out", str(tmp_path / "m"), *common]) == 0
    card = json.loads((tmp_path / "m" / "model.json").read_text(encoding="utf-8"))
    assert card["training_data"]["rows"] == len(TRAIN_ROWS) + 2  # the model learnt both files
    nested = card["nested_cross_validation"]
    assert nested["n"] == len(TRAIN_ROWS) and nested["training_only_files"] == ["extra.csv"]
    assert "nigdy oceniane" in nested["protocol"]


def test_labels_column_as_json_list_or_pipes(tmp_path: Path) -> None:
    rows = [(t, json.dumps([lb, "ewaluacja"]) if i % 2 else f"{lb}|ewaluacja") for i, (t, lb) in enumerate(TRAIN_ROWS)]
    data = write_csv(tmp_path / "multi.csv", rows, header="labels")
    taxonomy = str(ROOT / "data" / "taxonomies" / "gdansk_ngo_2023.toml")
    assert main(["train", str(data), "--taxonomy", taxonomy, "--out", str(tmp_path / "m"), "--text-col", "tekst"]) == 0
    model = load_classifier(tmp_path / "m")
    assert model.predict(["Dotacje i granty na konkursy."]).tolist() == ["finansowanie"]
    # The first label is the primary one; every further one is learnt as well, at a smaller weight.
    assert json.loads((tmp_path / "m" / "model.json").read_text())["params"]["secondary_labels"] == len(TRAIN_ROWS)


def test_unknown_labels_exit_2_naming_the_rows(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    data = write_csv(tmp_path / "bad.csv", TRAIN_ROWS + [("Coś o sporcie.", "sport"), ("I jeszcze.", "sport")])
    taxonomy = str(ROOT / "data" / "taxonomies" / "gdansk_ngo_2023.toml")
    assert main(["train", str(data), "--taxonomy", taxonomy, "--out", str(tmp_path / "m"),
                 "--text-col", "tekst"]) == 2
    err = capsys.readouterr().err
    assert "'sport'" in err and "wiersze 8, 9" in err and "bad.csv" in err
    assert not (tmp_path / "m").exists()


# ------------------------------------------------------------------------------------------- the estimator

def test_classifier_follows_scikit_learn_parameter_conventions() -> None:
    model = CommentClassifier(GDANSK, C=0.3, char_ngrams=(2, 4))
    params = model.get_params()
    assert params["C"] == 0.3 and params["char_ngrams"] == (2, 4) and params["taxonomy"] is GDANSK
    assert model.set_params(**params).get_params() == params
    assert model.set_params(review_ratio=0.2, lemmatizer="morfeusz2") is model
    assert (model.review_ratio, model.lemmatizer) == (0.2, "morfeusz2")
    copy = clone(model)
    assert copy is not model and copy.get_params() == model.get_params()


def test_clone_of_a_fitted_classifier_is_unfitted() -> None:
    texts, labels = zip(*TRAIN_ROWS)
    fitted = CommentClassifier(GDANSK).fit(list(texts), [GDANSK.resolve(v) for v in labels])
    with pytest.raises(NotFittedError):
        clone(fitted).predict(["Granty."])


@pytest.mark.parametrize(("params", "named"), [({"C": -1.0}, "'C'"), ({"max_labels": 0}, "'max_labels'"),
                                                ({"calibration_folds": 1}, "'calibration_folds'"),
                                                ({"word_ngrams": (2, 1)}, "'word_ngrams'"),
                                                ({"lemmatizer": "spacy"}, "'lemmatizer'")])
def test_invalid_parameter_is_refused_at_fit_naming_it(params: dict, named: str) -> None:
    model = CommentClassifier(GDANSK, **params)  # construction only stores, as in scikit-learn
    with pytest.raises(ValueError, match=named):
        model.fit(["Więcej grantów.", "Wolontariusze."], ["finansowanie", "wolontariat"])


@pytest.fixture(scope="module")
def in_memory_model() -> CommentClassifier:
    # Labels deliberately unlike the default model's: money matters are "ewaluacja" here.
    texts = [t for t, _ in TRAIN_ROWS]
    labels = ["ewaluacja" if GDANSK.resolve(v) == "finansowanie" else GDANSK.resolve(v) for _, v in TRAIN_ROWS]
    return CommentClassifier(GDANSK).fit(texts, labels)


def test_fitted_model_in_memory_is_used_by_the_stage(in_memory_model: CommentClassifier) -> None:
    text = ["Więcej pieniędzy na granty i dotacje."]
    assert classify(table(text), Config()).loc[0, "label"] == "finansowanie"
    cfg = Config(classify=ClassifyConfig(model=in_memory_model))
    out = classify(table(text), cfg)
    assert out.loc[0, "label"] == "ewaluacja" == in_memory_model.predict(text)[0]
    proba = in_memory_model.predict_proba(text)
    assert list(in_memory_model.classes_) == list(GDANSK.ids) and proba.shape == (1, len(GDANSK.ids))
    assert out.loc[0, "confidence"] == pytest.approx(proba.max(), abs=1e-4)
    # run.json must still be written: the model shows by its class.
    assert json.loads(json.dumps(cfg.to_dict()))["classify"]["model"] == "<w pamięci: CommentClassifier>"


def test_a_model_refuses_another_lemmatizer_than_it_was_trained_with(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture) -> None:
    assert load_classifier(DEFAULT).lemmatizer == "simplemma"
    cfg = Config(nlp=NlpConfig(lemmatizer="morfeusz2"))
    with pytest.raises(UserError, match="wytrenowano z lematyzatorem 'simplemma'.*--lemmatizer morfeusz2"):
        classify(table(["Więcej grantów."]), cfg)
    assert classify(table(["Więcej grantów."]), Config(nlp=NlpConfig(lemmatizer="simplemma"))).loc[0, "label"]
    demo = ROOT / "data" / "samples" / "konsultacje_2023_demo.csv"
    assert main(["run", str(demo), "--out", str(tmp_path / "out"), "--lemmatizer", "morfeusz2"]) == 2
    assert "uwagi train" in capsys.readouterr().err and not (tmp_path / "out" / "comments.csv").exists()


# ---------------------------------------------------------------------------------- cross-lingual glossary

def test_glossary_gives_polish_lemmas_for_english_and_ukrainian_comments() -> None:
    english = "We ask the city for more grants for volunteers and for training of NGO staff."
    ukrainian = "Просимо місто надати більше грантів для волонтерів і навчання для громадських організацій."
    analysed = analyse([english, ukrainian])
    assert analysed["lang"].tolist() == ["en", "uk"]
    for content, lemmas in zip(analysed["content"], analysed["lemmas"]):
        assert {"wolontariusz", "grant", "szkolenie", "organizacja"} <= set(content.split())
        assert {"wolontariusz", "grant", "szkolenie"} <= set(lemmas.split())  # folded, for the keyword features
    # The original words stay; Polish comments get nothing added.
    assert "volunteers" in analysed["content"][0].split()
    polish = analyse(["Prosimy o więcej grantów dla wolontariuszy i szkoleń dla organizacji pozarządowych."])
    assert polish["content"][0].split().count("grant") == 1
    # A long English letter naming Gdańsk is Polish by the foundation's letter rule, but is translated all the same.
    letter = analyse(["Dear Sirs, as a foundation working with refugees in Gdańsk we ask the city to keep the "
                      "emergency reserve for crisis grants and to publish the calls for volunteers earlier."])
    assert letter["lang"][0] == "pl" and {"uchodźca", "wolontariusz", "grant"} <= set(letter["content"][0].split())


def test_glossary_is_swappable() -> None:
    from pipeline.glossary import Glossary

    glossary = Glossary.parse(["dotacja\tsubsidy\tдотація"])
    assert glossary.translate(["More", "subsidies", "please"], "en") == ["dotacja"]
    assert glossary.translate(["дотації"], "uk") == ["dotacja"]
    assert glossary.translate(["subsidies"], "pl") == []
    assert glossary.covers("en") and glossary.covers("uk") and not glossary.covers("pl")
    assert not Glossary({}).covers("en")
    empty = analyse(["We need more grants for volunteers and NGOs in the city."], glossary=Glossary({}))
    assert "wolontariusz" not in empty["content"][0].split()


def test_evidence_names_each_word_once_in_its_polish_spelling() -> None:
    picked = pick_evidence(["dostepnosc", "szkolenie", "dostępność", "jakosc", "jakość", "lokal"]).split("; ")
    assert picked == ["dostępność", "szkolenie", "jakość", "lokal"]
    # Keywords match folded lemmas, count once however many spellings the taxonomy gives, and read as spelled.
    from pipeline.features import KeywordMatcher

    matcher = KeywordMatcher([[("dostępność",), ("dostepnosc",), ("mały", "grant")]]).fit([])
    assert matcher.matches("duzy dostepnosc i maly grant") == [(0, "dostępność"), (0, "mały grant")]
    text = "Prosimy o poprawę dostępności lokali i jakości szkoleń dla organizacji, dostępność to priorytet."
    evidence = classify(table([text]), Config()).loc[0, "evidence"].split("; ")
    folded = [fold(phrase) for phrase in evidence]
    assert len(folded) == len(set(folded))
    assert not {"dostepnosc", "jakosc", "szkolenie dostepnosc"} & set(evidence)


@pytest.mark.parametrize("text", ["test", "ok", "nie mam uwag", "Brak uwag.", "Zgadzam się całkowicie.",
                                  "Popieram. [EMAIL] [TELEFON]"])
def test_a_comment_empty_of_content_gets_no_confident_goal(text: str) -> None:
    frame = load_classifier(DEFAULT).predict_frame([text])
    assert frame["needs_review"].iloc[0] and frame["confidence"].iloc[0] <= 0.5
    zero_shot = ZeroShotClassifier(GDANSK).predict_frame([text])
    assert zero_shot["confidence"].iloc[0] <= 0.5


def test_one_rule_says_which_comments_say_nothing() -> None:
    # The same rule for the trained model, zero-shot and the stage: few words, or only words that name no goal.
    texts = ["Zgadzam się całkowicie.", "Nie mam żadnych uwag, dziękuję, pozdrawiam", "Więcej szkoleń dla liderów NGO.",
             "[EMAIL] [ADRES] [TELEFON] [PESEL] Popieram"]
    assert says_nothing(analyse(texts)).tolist() == [True, True, False, True]


def test_char_ngrams_count_each_occurrence_of_each_word() -> None:
    import scipy.sparse as sp

    from pipeline.features import CharNgrams

    chars = CharNgrams((2, 3))
    chars.fit(["male granty dla ngo", "granty granty", "aaa"])
    texts = ["granty male granty aaa", "", "nieznane slowo granty", "aaaa aa"]

    def counted(text: str) -> Counter:
        grams = Counter(g for word in text.split() for g in chars._ngrams(word))
        return Counter({chars.vocabulary_[g]: n for g, n in grams.items() if g in chars.vocabulary_})

    rows = [counted(text) for text in texts]
    expected = sp.csr_matrix([[row.get(j, 0) for j in range(len(chars.vocabulary_))] for row in rows],
                             dtype=np.float32)
    # The very floats, not nearly: the model's scores, and so every label and confidence, are sums of these.
    reference = chars.tfidf_.transform(expected).astype(np.float32)
    assert np.array_equal(chars.transform(texts).toarray(), reference.toarray())
    assert _same_matrix(chars.transform(texts), _counted_char_tfidf(chars, texts))


def _counted_char_tfidf(chars, texts: list[str]):
    """The plain computation of a fitted `CharNgrams` block: each text's n-grams counted word by word, then the
    block's TF-IDF."""
    import scipy.sparse as sp

    cells = Counter((i, chars.vocabulary_[g]) for i, text in enumerate(texts) for word in text.split()
                    for g in chars._ngrams(word) if g in chars.vocabulary_)
    rows, cols = zip(*cells) if cells else ((), ())
    counts = sp.csr_matrix((np.array(list(cells.values()), dtype=np.float32), (rows, cols)),
                           shape=(len(texts), len(chars.vocabulary_)))
    counts.sort_indices()
    return chars.tfidf_.transform(counts).astype(np.float32)


@given(chunks=st.lists(st.lists(st.text(alphabet="ab ż\n", max_size=14), min_size=1, max_size=6), min_size=1,
                      max_size=4),
       limit=st.integers(0, 4))
def test_char_ngrams_of_remembered_and_forgotten_words_are_the_counted_ngrams(chunks: list[list[str]],
                                                                            limit: int) -> None:
    """Chunk after chunk, each word's n-gram columns come from the memo of words met before or are cut afresh
    (beyond the memo's `limit` words, for the chunk only); either way the block is the plain count's TF-IDF."""
    from pipeline.features import CharNgrams

    chars = CharNgrams((1, 3)).fit(["ab ba aab", "ż ab b", "bżb"])
    chars._CACHE_LIMIT = limit
    for texts in chunks:
        assert _same_matrix(chars.transform(texts), _counted_char_tfidf(chars, texts))
    assert len(chars._word_cache.slots) <= limit


def test_char_ngram_blocks_of_the_corpora_are_the_counted_ngrams(gdansk_dev: list[dict], lodz_proposals: Path,
                                                                 benchmark_export: list[str]) -> None:
    """The default model's two character blocks on a seeded sample of the labelled corpora and of the 20k export,
    chunk after chunk as a worker runs them, with a memo that fills up midway: the plain count's TF-IDF."""
    import copy

    rng = np.random.default_rng(0)
    lodz = pd.read_csv(lodz_proposals, dtype=str, keep_default_na=False)
    texts = ([clean_text(gdansk_dev[i]["text"]) for i in rng.choice(len(gdansk_dev), 120, replace=False)]
             + [clean_text(f"{lodz['nazwa'][i]}\n\n{lodz['opis'][i]}")
                for i in rng.choice(len(lodz), 120, replace=False)]
             + [clean_text(benchmark_export[i])
                for i in np.random.default_rng(0).choice(len(benchmark_export), 360, replace=False)])
    analysed = analyse(texts)
    features = copy.deepcopy(load_classifier(DEFAULT).features_)
    for name, column in (("chars", "folded"), ("head", "head")):
        chars = features.named_transformers_[name]
        chars._CACHE_LIMIT = 2_000
        for lo in range(0, len(texts), 200):
            docs = analysed[column].iloc[lo:lo + 200].tolist()
            assert _same_matrix(chars.transform(docs), _counted_char_tfidf(chars, docs))
        assert len(chars._word_cache.slots) == chars._CACHE_LIMIT


# ------------------------------------------------------------------------------- the features, computed faster

def _same_matrix(a, b) -> bool:
    """The very floats in the very places: every score, label and confidence is a sum of these."""
    return (a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a.indptr, b.indptr)
            and np.array_equal(a.indices, b.indices) and np.array_equal(a.data, b.data))


@pytest.mark.parametrize("params", [{}, {"word_ngrams": (1, 2), "head_weight": 0.0}])
def test_the_feature_matrix_is_the_feature_union_s(params: dict) -> None:
    """`feature_matrix` calls the blocks itself; a model's matrix must be what its `ColumnTransformer` gives, with
    the default blocks and with word pairs (which the vectorizer counts itself) and no first-line block."""
    from pipeline.features import feature_matrix

    texts = [t for t, _ in TRAIN_ROWS]
    labels = [GDANSK.resolve(v) for _, v in TRAIN_ROWS]
    model = CommentClassifier(GDANSK, calibration_folds=0, **params).fit(texts, labels) if params else \
        load_classifier(DEFAULT)
    analysed = analyse(texts + ["", "Nieznane słowa: kwerenda, ćwierćnuta.", "Hello, more money for NGOs please."])
    assert _same_matrix(feature_matrix(model.features_, analysed), model.features_.transform(analysed).tocsr())


def test_word_counts_by_vocabulary_look_up_give_the_vectorizer_s_tfidf() -> None:
    """`split_tfidf` for the word block's vectorizer and the comment type's: repeated and unknown words, empty
    documents, a non-breaking space (whitespace to `str.split` and to the pattern "\\S+" alike)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from pipeline.comment_type import split_lemmas
    from pipeline.features import split_tfidf

    train = ["dotacja grant dotacja", "szkoła park ? ?", "ngo dotacja szkoła", "park"]
    docs = ["dotacja dotacja dotacja park", "", "nieznane słowo", "szkoła\u00a0park ? dotacja", "? ?  ?"]
    for vectorizer in (TfidfVectorizer(analyzer="word", token_pattern=r"\S+", lowercase=False, sublinear_tf=True,
                                       dtype=np.float32),
                       TfidfVectorizer(analyzer=split_lemmas, sublinear_tf=True, dtype=np.float32)):
        vectorizer.fit(train)
        words = [doc.split() for doc in docs]
        assert _same_matrix(split_tfidf(vectorizer, words), vectorizer.transform(docs).tocsr())


_LEMMAS = ["dotacja", "grant", "maly", "park", "szkola", "?", "nowy", "nieznany", "duzy"]


@settings(deadline=None)
@given(st.lists(st.lists(st.lists(st.sampled_from(_LEMMAS), max_size=12), min_size=1, max_size=6), min_size=1,
                max_size=5),
       st.integers(min_value=1, max_value=30))
def test_one_lemma_look_up_gives_the_comment_type_s_tfidf_and_the_keyword_matches(
        chunks: list[list[list[str]]], limit: int) -> None:
    """`LemmaTable`, chunk after chunk and starting afresh once full: each lemma's column gives `split_tfidf`'s
    matrix, and the keyword starts give `matches_words`' matches of every text, in order."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from pipeline.comment_type import split_lemmas
    from pipeline.features import KeywordMatcher, LemmaTable, split_tfidf, tfidf_of_columns

    vectorizer = TfidfVectorizer(analyzer=split_lemmas, sublinear_tf=True, dtype=np.float32)
    vectorizer.fit(["dotacja grant dotacja", "szkola park ? ?", "maly grant szkola"])
    matcher = KeywordMatcher([[("mały", "grant"), ("dotacja",)], [("park",), ("park", "nowy"), ("szkoła",)]]).fit([])
    table = LemmaTable(vectorizer.vocabulary_, matcher, limit=limit)
    for words in chunks:
        columns, starts = table.look_up(words)
        assert _same_matrix(tfidf_of_columns(vectorizer, columns, words), split_tfidf(vectorizer, words))
        assert matcher.matches_from(words, starts) == [matcher.matches_words(w) for w in words]


def test_the_lemma_table_grows_past_its_first_size() -> None:
    from pipeline.features import KeywordMatcher, LemmaTable

    matcher = KeywordMatcher([[("w7",), ("w4999", "w0")]]).fit([])
    table = LemmaTable({"w3": 0, "w4100": 1}, matcher)
    for words in ([[f"w{i}" for i in range(3000)]], [[f"w{i}" for i in range(5000)], ["w4999", "w0", "w7"]]):
        columns, starts = table.look_up(words)
        flat = [w for text in words for w in text]
        assert columns.tolist() == [table.vocabulary.get(w, -1) for w in flat]
        assert matcher.matches_from(words, starts) == [matcher.matches_words(w) for w in words]
    assert matcher.matches_from(words, starts) == [[(0, "w7")], [(0, "w4999 w0"), (0, "w7")]]


def test_the_classifier_s_lemma_table_is_not_pickled_and_follows_its_models() -> None:
    import pickle

    model = load_classifier(DEFAULT)
    analysed = analyse(["Więcej dotacji na granty dla małych organizacji.", "Czy park zostanie?"])
    expected = model.predict_frame_analysed(analysed)
    assert "_lemmas" in model.__dict__ and "_lemmas" not in pickle.loads(pickle.dumps(model)).__dict__
    types = default_comment_type_model()
    assert model._lemma_table(types) is model._lemma_table(types)
    pd.testing.assert_frame_equal(model.predict_frame_analysed(analysed), expected)
    assert expected["comment_type"].tolist() == types.predict(analysed).tolist()


def test_evidence_ranks_each_comment_s_words_strongest_first() -> None:
    """The words of one sort over the whole chunk are each row's own: strongest first, ties in column order, only
    positive weights, at most the candidates' number; rows without words get none."""
    import scipy.sparse as sp

    from pipeline.classifier import _EVIDENCE_CANDIDATES, _ranked_words

    rng = np.random.default_rng(0)
    X = sp.random(60, 40, density=0.5, format="csr", random_state=1, dtype=np.float32)
    X.data = np.round(X.data * 4) / 4  # many ties
    X = sp.vstack([X, sp.csr_matrix((2, 40), dtype=np.float32)], format="csr")
    weights = (rng.integers(-2, 3, size=(3, 40)) / 2).astype(np.float32)
    names = np.array([f"w{j}" for j in range(40)], dtype=object)
    winners = rng.integers(0, 3, size=X.shape[0])
    for w in (weights, None):
        expected = []
        for i, winner in enumerate(winners):
            row = X.getrow(i)
            weight = row.data * (w[winner, row.indices] if w is not None else 1.0)
            top = np.argsort(-weight, kind="stable")[:_EVIDENCE_CANDIDATES]
            expected.append([names[row.indices[j]] for j in top if weight[j] > 0])
        assert _ranked_words(X, winners, w, names) == expected
    assert any(len(words) == _EVIDENCE_CANDIDATES for words in expected)


@pytest.mark.parametrize("params", [None, {"keyword_weight": 0.0}])
def test_evidence_names_the_keyword_phrases_the_keyword_block_counted(params: dict | None) -> None:
    """The lemmas are searched for keyword phrases once, for the `keywords` block and the evidence: the evidence must
    name what a search of each row for its winning label's phrases names, whichever label wins (here random ones),
    also when the counts weigh 0; the matrix is `feature_matrix`'s, the `words` block its word columns."""
    from pipeline.classifier import _feature_names, _ranked_words
    from pipeline.features import feature_matrix, features_and_matches

    texts = [t for t, _ in TRAIN_ROWS] + ["", "Hello, more money for NGOs please.", "Brak uwag."]
    if params is None:
        model = load_classifier(DEFAULT)
    else:
        labels = [GDANSK.resolve(v) for _, v in TRAIN_ROWS]
        model = CommentClassifier(GDANSK, calibration_folds=0, **params).fit([t for t, _ in TRAIN_ROWS], labels)
    analysed = analyse(texts)
    X, matches, words = features_and_matches(model.features_, analysed)
    assert _same_matrix(X, feature_matrix(model.features_, analysed))
    starts = model._lemma_table(default_comment_type_model()).look_up(analysed["lemmas_terms"].tolist())[1]
    assert features_and_matches(model.features_, analysed, starts)[1] == matches
    assert _same_matrix(words, X[:, model.features_.output_indices_["words"]])
    keywords = model.features_.named_transformers_["keywords"]
    rng = np.random.default_rng(0)
    for winners in (model._proba(X).argmax(axis=1), rng.integers(0, len(GDANSK.ids), size=len(texts))):
        ranked = _ranked_words(X[:, model.features_.output_indices_["words"]], winners, model.evidence_weights_,
                               _feature_names(model.features_.named_transformers_["words"]))
        expected = [pick_evidence(list(dict.fromkeys(p for k, p in keywords.matches(lemmas) if k == winner)) + w)
                    for winner, lemmas, w in zip(winners, analysed["lemmas"], ranked)]
        assert model._evidence(words, winners, matches) == expected
    if params is None:  # the comparison covers rows with keyword phrases in the evidence
        assert any(any(k == w for k, _ in keywords.matches(lemmas))
                   for w, lemmas in zip(model._proba(X).argmax(axis=1), analysed["lemmas"]))


@pytest.mark.parametrize("ngram_range", [(2, 5), (1, 3)])
def test_char_ngrams_of_a_word_are_its_padded_slices_by_length_then_position(ngram_range: tuple[int, int]) -> None:
    """A new word's n-grams, cut by cached slices (or, for a rare long word, slices made for it), in the order the
    vectorizer counts them: by length, then position; words shorter than n give no n-gram of that length."""
    from pipeline.features import _SLICED_LENGTH, CharNgrams

    chars = CharNgrams(ngram_range)
    low, high = ngram_range
    for word in ["a", "ab", "dotacja", "ż" * (_SLICED_LENGTH - 2), "x" * (_SLICED_LENGTH - 1), "długie" * 40]:
        padded = f" {word} "
        expected = [padded[i:i + n] for n in range(low, high + 1) for i in range(len(padded) - n + 1)]
        assert chars._ngrams(word) == expected


@pytest.mark.parametrize("max_labels, ratio", [(3, 0.5), (5, 0.0), (1, 1.0), (2, 0.9)])
def test_labels_are_the_most_probable_ones_within_the_ratio_of_the_first(max_labels: int, ratio: float) -> None:
    """`labels` lists, most probable first, up to `max_labels` labels whose probability reaches `ratio` of the
    first's; `label` is the first, `confidence` its probability to four places (rows with ties, more labels allowed
    than there are, no rows)."""
    from pipeline.classifier import label_columns

    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(4), size=50)
    proba[:10] = np.round(proba[:10] * 4) / 4  # ties
    ids = ["a", "b", "c", "d"]
    columns = label_columns(proba, ids, max_labels, ratio)
    for row, label, labels, confidence in zip(proba, columns["label"], columns["labels"], columns["confidence"]):
        ranked = np.argsort(-row)
        assert label == ids[ranked[0]] and confidence == round(float(row[ranked[0]]), 4)
        expected = [ids[j] for j in ranked[:max_labels] if row[j] >= ratio * row[ranked[0]]]
        assert labels == "|".join(expected)
    assert label_columns(np.zeros((0, 4)), ids, max_labels, ratio).empty
