"""Classification against the programme goals: training, cross-validation, prediction and the stage.

The model is a linear SVM over `pipeline.features` (fitted together with one pseudo-document per label built from
the taxonomy's name, goal, description and keywords), calibrated by temperature scaling of its decision scores on
grouped out-of-fold predictions. A comment gets its primary label, further labels whose calibrated probability is
close enough, a confidence, the lemmas that weighed most (evidence), a review flag and a comment type.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.compose import ColumnTransformer
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.svm import LinearSVC

from pipeline.clean import fold, fold_chars
from pipeline.comment_type import CommentTypeModel, cross_validated_accuracy
from pipeline.config import Config
from pipeline.errors import UserError
from pipeline.features import (
    FeatureParams, KeywordMatcher, analyse, build_features, drop_fit_only_state, keyword_phrases,
)
from pipeline.models import library_versions, load_model, utc_now
from pipeline.resources import DEFAULT_MODEL, DEFAULT_TAXONOMY, resource_path
from pipeline.taxonomy import Taxonomy, load_taxonomy

OUTPUT_COLUMNS = ("label", "labels", "confidence", "evidence", "needs_review", "comment_type")
CV_FOLDS = 5


@dataclass(frozen=True)
class ClassifierParams:
    """Chosen by grouped cross-validation on both corpora in bench/tune_classify.py; not tuned at train time."""

    features: FeatureParams = field(default_factory=FeatureParams)
    C: float = 0.2
    # Weight of the per-label pseudo-documents built from the taxonomy text.
    taxonomy_weight: float = 1.0
    # Weight of the extra training rows that give a comment's further (non-primary) labels.
    secondary_weight: float = 0.5
    # A training row weighs size**-group_power of its group (campaign or identical texts), so copies of one letter
    # do not outweigh independent comments.
    group_power: float = 0.5
    # A person should check the label when the runner-up label's calibrated probability reaches this share of the
    # primary label's: ranking by this margin put more of the mistakes among the flagged than the primary
    # probability alone. Comments not in Polish are always flagged: the features are Polish, and out-of-fold
    # accuracy on them was about one half. 0.15 spends most of a review budget of a fifth of the comments: on the
    # Gdańsk corpus over fold seeds 0-2 it flagged 17.8% on average (0.2: 15.2%, 0.125: 19.7%, seeds up to 21%).
    review_ratio: float = 0.15
    # A further label is listed when its probability reaches this share of the primary label's.
    secondary_ratio: float = 0.5
    max_labels: int = 3
    calibration_folds: int = 3


# ------------------------------------------------------------------------------------------- groups and labels


def duplicate_groups(texts: Sequence[str], campaigns: Sequence[str | None] | None = None) -> np.ndarray:
    """Group ids that put identical folded texts, and members of one campaign, into one group."""
    parent = list(range(len(texts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    key_lists: list[Sequence[str | None]] = [[fold(t) for t in texts]]
    if campaigns is not None:
        key_lists.append([c if c else None for c in campaigns])
    for keys in key_lists:
        first: dict[str, int] = {}
        for i, key in enumerate(keys):
            if key is None:
                continue
            if key in first:
                parent[find(i)] = find(first[key])
            else:
                first[key] = i
    return np.array([find(i) for i in range(len(texts))])


def grouped_folds(y: np.ndarray, groups: np.ndarray, n_splits: int = CV_FOLDS, seed: int = 0
                  ) -> list[tuple[np.ndarray, np.ndarray]]:
    """The protocol's (train, test) index pairs: StratifiedGroupKFold over `y`, shuffled with `seed`; fewer folds
    when there are fewer groups or the largest label has fewer rows; none below two."""
    largest_label = max(np.unique(y, return_counts=True)[1]) if len(y) else 0
    n_splits = min(n_splits, len(set(groups)), largest_label)
    if n_splits < 2:
        return []
    with warnings.catch_warnings():
        # A label rarer than the number of folds is normal in small or corrected data sets.
        warnings.simplefilter("ignore", UserWarning)
        return list(StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed).split(y, y, groups))


def _subset(lists: Sequence[Sequence[str]] | None, rows: np.ndarray) -> list[Sequence[str]] | None:
    return None if lists is None else [lists[i] for i in rows]


# ------------------------------------------------------------------------------------------------ the model


def _label_documents(taxonomy: Taxonomy) -> list[str]:
    return [f"{lb.name}. {lb.goal} {lb.description} {', '.join(lb.keywords)}" for lb in taxonomy.labels]


def _secondary_rows(y: np.ndarray, secondary: Sequence[Sequence[str]] | None, taxonomy: Taxonomy
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(row index, label) for every further label of a comment that is a taxonomy label other than its primary."""
    if secondary is None:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=object)
    pairs = [(i, lb) for i, labels in enumerate(secondary) for lb in dict.fromkeys(labels)
             if lb != y[i] and lb in taxonomy.ids]
    return np.array([i for i, _ in pairs], dtype=int), np.array([lb for _, lb in pairs], dtype=object)


def _group_weights(groups: np.ndarray, params: ClassifierParams) -> np.ndarray:
    """Per-row weight size**-power of the row's group: a campaign of 30 copies of one letter should not weigh
    like 30 independent comments."""
    _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    return counts[inverse].astype(float) ** -params.group_power


def _fit_core(analysed: pd.DataFrame, y: np.ndarray, taxonomy: Taxonomy, label_docs: pd.DataFrame,
              params: ClassifierParams, secondary: Sequence[Sequence[str]] | None = None,
              groups: np.ndarray | None = None) -> tuple[ColumnTransformer, LinearSVC]:
    # A comment's further labels are weak evidence for those labels too: the comment is added once more per
    # further label, at a small weight so that the primary label still wins on the comment itself.
    # None at weight 0: zero-weight rows would still shift the TF-IDF statistics and the balanced class weights.
    rows, extra = _secondary_rows(y, secondary if params.secondary_weight else None, taxonomy)
    X_frame = pd.concat([analysed, analysed.iloc[rows], label_docs], ignore_index=True)
    targets = np.concatenate([y, extra, np.array(taxonomy.ids, dtype=object)])
    base = _group_weights(groups, params) if groups is not None else np.ones(len(y))
    weights = np.concatenate([base, params.secondary_weight * base[rows],
                              np.full(len(label_docs), params.taxonomy_weight)])
    features = build_features(taxonomy, params.features)
    X = features.fit_transform(X_frame)
    svm = LinearSVC(C=params.C, class_weight="balanced", random_state=0)
    svm.fit(X, targets, sample_weight=weights)
    return features, svm


def _scores(svm: LinearSVC, X: sp.spmatrix, ids: Sequence[str]) -> np.ndarray:
    """Decision scores for feature rows `X`, with one column per taxonomy label, in taxonomy order. Every model,
    a cross-validation fold's too, knows every label: the label documents are among its training rows."""
    raw = svm.decision_function(X)
    if raw.ndim == 1:  # only possible with a two-label taxonomy
        raw = np.column_stack([-raw, raw])
    order = [list(svm.classes_).index(i) for i in ids]
    return raw[:, order]


def fit_temperature(scores: np.ndarray, y_index: np.ndarray) -> float:
    """The temperature T minimising the log loss of softmax(scores / T) (temperature scaling)."""
    def nll(log_t: float) -> float:
        return -float(log_softmax(scores / np.exp(log_t), axis=1)[np.arange(len(y_index)), y_index].mean())

    return float(np.exp(minimize_scalar(nll, bounds=(-6.0, 3.0), method="bounded").x))


class CommentClassifier:
    """A fitted classifier for one taxonomy; build it with `fit_classifier` or `train`."""

    def __init__(self, taxonomy: Taxonomy, params: ClassifierParams, lemmatizer: str, features: ColumnTransformer,
                 svm: LinearSVC, temperature: float, type_model: CommentTypeModel | None):
        self.taxonomy, self.params, self.lemmatizer = taxonomy, params, lemmatizer
        self.features, self.svm, self.temperature, self.type_model = features, svm, temperature, type_model
        ids = list(taxonomy.ids)
        coef = svm.coef_[[list(svm.classes_).index(i) for i in ids]] if len(ids) > 2 else None
        # Contribution of a feature to a label relative to the other labels: what "weighed most" means here.
        self._coef = None if coef is None else (coef - coef.mean(axis=0)).astype(np.float32)

    def proba_analysed(self, analysed: pd.DataFrame) -> np.ndarray:
        return self._proba(self.features.transform(analysed))

    def _proba(self, X: sp.spmatrix) -> np.ndarray:
        return softmax(_scores(self.svm, X, self.taxonomy.ids) / self.temperature, axis=1)

    def predict_analysed(self, analysed: pd.DataFrame) -> pd.DataFrame:
        """The classify columns for analysed texts."""
        X = self.features.transform(analysed).tocsr()
        proba = self._proba(X)
        out = _decisions(proba, analysed, self.taxonomy.ids, self.params)
        out["evidence"] = self._evidence(analysed, X[:, self.features.output_indices_["words"]], proba.argmax(axis=1))
        types = self.type_model if self.type_model is not None else default_comment_type_model()
        out["comment_type"] = types.predict(analysed)
        return out

    def predict(self, texts: Sequence[str]) -> pd.DataFrame:
        return self.predict_analysed(analyse(texts, self.lemmatizer))

    def _evidence(self, analysed: pd.DataFrame, X: sp.csr_matrix, winners: np.ndarray) -> list[str]:
        """`X`: the word block of the features (TF-IDF of content lemmas), already computed for the scores."""
        names = self.features.named_transformers_["words"].get_feature_names_out()
        keywords: KeywordMatcher = self.features.named_transformers_["keywords"]
        out = []
        for i, (winner, lemmas) in enumerate(zip(winners, analysed["lemmas"].tolist())):
            start, end = X.indptr[i], X.indptr[i + 1]
            cols = X.indices[start:end]
            weight = X.data[start:end] * (self._coef[winner, cols] if self._coef is not None else 1.0)
            # Only the strongest words can be chosen: sorting just those halved the time the evidence takes.
            top = np.argsort(-weight, kind="stable")[:_EVIDENCE_CANDIDATES]
            ranked = [names[cols[j]] for j in top if weight[j] > 0]
            hits = dict.fromkeys(p for k, p in keywords.matches(lemmas) if k == winner)
            out.append(_pick_evidence(list(hits) + ranked))
        return out


# Words ranked for the evidence: enough for five after dropping those a chosen keyword phrase already shows.
_EVIDENCE_CANDIDATES = 20


def _pick_evidence(candidates: list[str], most: int = 5) -> str:
    """Up to `most` distinct phrases, dropping a word already shown inside a longer phrase. Phrases are compared
    folded, so a word is named once, in its Polish spelling when a candidate up to the last one chosen has it."""
    chosen: list[str] = []  # folded
    spelling: dict[str, str] = {}
    for phrase in candidates:
        key = fold_chars(phrase)
        if key in spelling:
            if spelling[key] == key:
                spelling[key] = phrase
            continue
        words = set(key.split())
        if any(words <= set(c.split()) for c in chosen):
            continue
        if len(chosen) == most:
            break
        chosen = [c for c in chosen if not set(c.split()) <= words]
        chosen.append(key)
        spelling[key] = phrase
    return "; ".join(spelling[c] for c in chosen)


def _needs_review(proba: np.ndarray, analysed: pd.DataFrame, params: ClassifierParams) -> np.ndarray:
    top2 = np.sort(proba, axis=1)[:, -2:]
    return (top2[:, 0] >= params.review_ratio * top2[:, 1]) | (analysed["lang"].to_numpy() != "pl")


def _decisions(proba: np.ndarray, analysed: pd.DataFrame, ids: Sequence[str], params: ClassifierParams
               ) -> pd.DataFrame:
    """`label`, `labels`, `confidence` and `needs_review` from calibrated probabilities (taxonomy order)."""
    return _label_columns(proba, ids, params).assign(needs_review=_needs_review(proba, analysed, params))


def _label_columns(proba: np.ndarray, ids: Sequence[str], params: ClassifierParams) -> pd.DataFrame:
    ids_arr = np.array(ids, dtype=object)
    order = np.argsort(-proba, axis=1)
    top = proba[np.arange(len(proba)), order[:, 0]]
    labels = []
    for row, ranks, p1 in zip(proba, order, top):
        chosen = [r for r in ranks[: params.max_labels] if row[r] >= params.secondary_ratio * p1]
        labels.append("|".join(ids_arr[chosen]))
    return pd.DataFrame({"label": ids_arr[order[:, 0]] if len(proba) else [], "labels": labels,
                         "confidence": np.round(top, 4)})


def fit_classifier(analysed: pd.DataFrame, y: Sequence[str], taxonomy: Taxonomy, *,
                   groups: Sequence[Any] | None = None, comment_types: Sequence[str] | None = None,
                   params: ClassifierParams = ClassifierParams(), lemmatizer: str = "simplemma",
                   oof_scores: np.ndarray | None = None, secondary: Sequence[Sequence[str]] | None = None
                   ) -> CommentClassifier:
    """Fit on analysed texts. The temperature comes from `oof_scores` when given (grouped out-of-fold decision
    scores, as `train` computes them anyway), else from an inner grouped cross-validation. `secondary` lists
    each comment's labels (the primary one may be among them); the further ones are learned at a small weight."""
    y = np.asarray(y, dtype=object)
    groups = np.arange(len(y)) if groups is None else np.asarray(groups)
    label_docs = analyse(_label_documents(taxonomy), lemmatizer)
    if oof_scores is None:
        oof_scores = _oof_scores(analysed, y, groups, taxonomy, label_docs, params,
                                 grouped_folds(y, groups, params.calibration_folds), secondary)
    y_index = np.array([taxonomy.ids.index(v) for v in y])
    temperature = fit_temperature(oof_scores, y_index) if len(oof_scores) else 1.0
    features, svm = _fit_core(analysed, y, taxonomy, label_docs, params, secondary, groups)
    drop_fit_only_state(features)
    # Without types of its own to learn from, the model types comments with the default model's type model.
    type_model = None
    if comment_types is not None and len(set(comment_types)) > 1:
        type_model = CommentTypeModel().fit(analysed, comment_types)
    return CommentClassifier(taxonomy, params, lemmatizer, features, svm, temperature, type_model)


def _oof_scores(analysed: pd.DataFrame, y: np.ndarray, groups: np.ndarray, taxonomy: Taxonomy,
                label_docs: pd.DataFrame, params: ClassifierParams, folds: Sequence[tuple[np.ndarray, np.ndarray]],
                secondary: Sequence[Sequence[str]] | None = None) -> np.ndarray:
    scores = np.zeros((len(y), len(taxonomy.ids)))
    for tr, te in folds:
        features, svm = _fit_core(analysed.iloc[tr], y[tr], taxonomy, label_docs, params, _subset(secondary, tr),
                                  groups[tr])
        scores[te] = _scores(svm, features.transform(analysed.iloc[te]), taxonomy.ids)
    return scores if folds else np.zeros((0, len(taxonomy.ids)))


# ------------------------------------------------------------------------------ training and cross-validation


@dataclass
class TrainedModel:
    model: CommentClassifier
    card: dict[str, Any]
    oof: pd.DataFrame  # out-of-fold predictions on the training data (label, confidence, needs_review)


def _check_labels(y: Sequence[str], taxonomy: Taxonomy) -> np.ndarray:
    unknown = sorted({v for v in y if v not in taxonomy.ids})
    if unknown:
        raise UserError(f"etykiety spoza taksonomii {taxonomy.name!r}: {', '.join(map(repr, unknown))}")
    if len(set(y)) < 2:
        raise UserError("do uczenia potrzeba co najmniej dwóch różnych etykiet")
    return np.asarray(y, dtype=object)


def cross_validate(analysed: pd.DataFrame, y: Sequence[str], taxonomy: Taxonomy, *,
                   groups: Sequence[Any] | None = None, params: ClassifierParams = ClassifierParams(),
                   lemmatizer: str = "simplemma", n_splits: int = CV_FOLDS, seed: int = 0,
                   secondary: Sequence[Sequence[str]] | None = None) -> pd.DataFrame:
    """Out-of-fold `label`, `confidence`, `needs_review` under StratifiedGroupKFold(5, shuffle, random_state=0);
    each fold's model calibrates itself by an inner grouped cross-validation, as a deployed model would.
    `seed` reshuffles the outer folds (bench/tune_classify.py --seeds checks that a choice holds across splits);
    the protocol, the tests and the model card use 0. `secondary` (all labels per comment) is used for training
    rows only; scores are always of the primary label."""
    y = _check_labels(list(y), taxonomy)
    groups = np.arange(len(y)) if groups is None else np.asarray(groups)
    out = pd.DataFrame({"label": pd.Series([""] * len(y), dtype=object), "confidence": 0.0, "needs_review": True})
    for tr, te in grouped_folds(y, groups, n_splits, seed):
        model = fit_classifier(analysed.iloc[tr], y[tr], taxonomy, groups=groups[tr], params=params,
                               lemmatizer=lemmatizer, secondary=_subset(secondary, tr))
        test = analysed.iloc[te]
        decided = _decisions(model.proba_analysed(test), test, taxonomy.ids, params)
        for column in out.columns:  # one by one, so each keeps its dtype
            out.loc[te, column] = decided[column].to_numpy()
    return out


def train(texts: Sequence[str], labels: Sequence[str], taxonomy: Taxonomy, *,
          groups: Sequence[Any] | None = None, comment_types: Sequence[str] | None = None,
          params: ClassifierParams = ClassifierParams(), lemmatizer: str = "simplemma",
          data_sha256: str | None = None, secondary: Sequence[Sequence[str]] | None = None) -> TrainedModel:
    """Fit on all texts (labels are taxonomy ids) and write the model card with grouped out-of-fold metrics.

    One grouped 5-fold pass gives both the card's metrics and the temperature of the final model. `groups` default
    to identical folded texts. `secondary` lists each comment's labels (ids; the primary one may be among them),
    the further ones being learned at a small weight. Used by `uwagi train` and by `uwagi learn` for retraining.
    """
    y = _check_labels(list(labels), taxonomy)
    texts = list(texts)
    groups = duplicate_groups(texts) if groups is None else np.asarray(groups)
    analysed = analyse(texts, lemmatizer)
    label_docs = analyse(_label_documents(taxonomy), lemmatizer)
    # One set of folds for the card's goal and comment-type figures and the final model's temperature.
    folds = grouped_folds(y, groups)
    scores = _oof_scores(analysed, y, groups, taxonomy, label_docs, params, folds, secondary)
    type_accuracy = None if comment_types is None else cross_validated_accuracy(analysed, comment_types, folds)
    model = fit_classifier(analysed, y, taxonomy, groups=groups, comment_types=comment_types, params=params,
                           lemmatizer=lemmatizer, oof_scores=scores, secondary=secondary)
    oof = pd.DataFrame()
    metrics: dict[str, Any] = {}
    if len(scores):
        oof = _decisions(softmax(scores / model.temperature, axis=1), analysed, taxonomy.ids, params)[
            ["label", "confidence", "needs_review"]]
        metrics = classification_report(y, oof["label"].to_numpy(), taxonomy.ids, oof["needs_review"].to_numpy())
        metrics.pop("confusion", None)
    digest = data_sha256 or hashlib.sha256("\n".join(f"{t}\t{v}" for t, v in zip(texts, y)).encode()).hexdigest()
    card = {
        "taxonomy": {"name": taxonomy.name, "sha256": taxonomy.sha256, "labels": list(taxonomy.ids)},
        "training_data": {"sha256": digest, "rows": len(y), "groups": int(len(set(groups))),
                          "per_label": {i: int((y == i).sum()) for i in taxonomy.ids}},
        "cross_validation": {"protocol": f"StratifiedGroupKFold(n_splits={CV_FOLDS}, shuffle=True, random_state=0), "
                                         "grupy: kampanie i identyczne teksty", **metrics,
                             "comment_type_accuracy": type_accuracy},
        "params": {"C": params.C, "taxonomy_weight": params.taxonomy_weight, "review_ratio": params.review_ratio,
                   "secondary_weight": params.secondary_weight, "group_power": params.group_power,
                   "secondary_labels": int(len(_secondary_rows(y, secondary, taxonomy)[0])),
                   "secondary_ratio": params.secondary_ratio, "max_labels": params.max_labels,
                   "features": vars(params.features), "temperature": round(model.temperature, 6),
                   "lemmatizer": lemmatizer,
                   "comment_type": "model" if model.type_model is not None else "model domyślny"},
        "libraries": library_versions(),
        "date": utc_now(),
    }
    return TrainedModel(model, card, oof)


def classification_report(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str],
                          needs_review: Sequence[bool] | None = None) -> dict[str, Any]:
    """Per-label precision/recall/F1, macro-F1 (over labels present in the data), accuracy, confusion matrix and,
    given review flags, how many are flagged and the accuracy on the rest."""
    y_true, y_pred = np.asarray(y_true, dtype=object), np.asarray(y_pred, dtype=object)
    labels = list(labels)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    present = s > 0
    report: dict[str, Any] = {
        "n": int(len(y_true)),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(f[present].mean()), 4) if present.any() else 0.0,
        "per_label": {lb: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4),
                           "f1": round(float(f[i]), 4), "support": int(s[i])} for i, lb in enumerate(labels)},
        "confusion": {"labels": labels, "matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist()},
    }
    if needs_review is not None:
        flagged = np.asarray(needs_review, dtype=bool)
        kept = ~flagged
        report["needs_review"] = {
            "flagged_share": round(float(flagged.mean()), 4) if len(flagged) else 0.0,
            "accuracy_unflagged": round(float((y_true[kept] == y_pred[kept]).mean()), 4) if kept.any() else 0.0,
        }
    return report


def format_report(report: dict[str, Any], taxonomy: Taxonomy) -> str:
    """The report as plain text for the terminal."""
    width = max(len(i) for i in taxonomy.ids + ("macro-F1",))
    lines = [f"{'etykieta':<{width}}  {'precyzja':>8}  {'czułość':>8}  {'F1':>6}  {'liczba':>6}"]
    for label_id, m in report["per_label"].items():
        lines.append(f"{label_id:<{width}}  {m['precision']:>8.3f}  {m['recall']:>8.3f}  {m['f1']:>6.3f}  "
                     f"{m['support']:>6}")
    lines.append(f"{'macro-F1':<{width}}  {'':>8}  {'':>8}  {report['macro_f1']:>6.3f}  {report['n']:>6}")
    lines.append(f"trafność (accuracy): {report['accuracy']:.3f}")
    if "needs_review" in report:
        nr = report["needs_review"]
        lines.append(f"do sprawdzenia: {nr['flagged_share']:.1%} uwag; trafność pozostałych: "
                     f"{nr['accuracy_unflagged']:.3f}")
    if report.get("comment_type_accuracy") is not None:
        lines.append(f"typ uwagi: trafność {report['comment_type_accuracy']:.3f}")
    if "confusion" in report:
        ids = report["confusion"]["labels"]
        short = [i[:6] for i in ids]
        lines.append("macierz pomyłek (wiersze: etykieta prawdziwa, kolumny: przewidziana):")
        lines.append(" " * (width + 2) + " ".join(f"{s:>6}" for s in short))
        for label_id, row in zip(ids, report["confusion"]["matrix"]):
            lines.append(f"{label_id:<{width}}  " + " ".join(f"{v:>6}" for v in row))
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ zero-shot


class ZeroShotClassifier:
    """Keyword and description matching for a taxonomy without a trained model; every label needs review."""

    def __init__(self, taxonomy: Taxonomy, lemmatizer: str = "simplemma"):
        self.taxonomy, self.lemmatizer = taxonomy, lemmatizer
        self.keywords = KeywordMatcher(keyword_phrases(taxonomy)).fit([])
        # Description words count less than curated keywords: they are less specific.
        docs = analyse([f"{lb.name} {lb.goal} {lb.description}" for lb in taxonomy.labels], lemmatizer)
        self.description_words = [set(d.split()) for d in docs["lemmas"]]
        # Comments that match nothing go to the catch-all label (one without keywords), if the taxonomy has one.
        empty = [i for i, lb in enumerate(taxonomy.labels) if not lb.keywords]
        self.fallback = empty[0] if empty else None

    def predict(self, texts: Sequence[str]) -> pd.DataFrame:
        analysed = analyse(texts, self.lemmatizer)
        n_labels = len(self.taxonomy.ids)
        scores = np.zeros((len(texts), n_labels))
        evidence = []
        for i, lemmas in enumerate(analysed["lemmas"]):
            hits = self.keywords.matches(lemmas)
            for k, _ in hits:
                scores[i, k] += 1.0
            words = set(lemmas.split())
            for k, desc in enumerate(self.description_words):
                scores[i, k] += 0.2 * len(words & desc)
            winner = int(scores[i].argmax())
            evidence.append(_pick_evidence(list(dict.fromkeys(p for k, p in hits if k == winner))))
        if self.fallback is not None:
            scores[scores.max(axis=1) == 0, self.fallback] = 1.0
        proba = softmax(scores, axis=1)
        cols = _label_columns(proba, self.taxonomy.ids, ClassifierParams())
        cols["needs_review"] = True
        cols["evidence"] = evidence
        cols["comment_type"] = default_comment_type_model().predict(analysed)
        return cols


# -------------------------------------------------------------------------------------------------- the stage


@lru_cache(maxsize=4)
def _cached_model(model_dir: str, mtime: float, taxonomy_path: str | None) -> CommentClassifier:
    taxonomy = load_taxonomy(taxonomy_path) if taxonomy_path else None
    model, _card = load_model(model_dir, taxonomy)
    if not isinstance(model, CommentClassifier):
        raise UserError("plik modelu nie zawiera klasyfikatora uwagi", path=model_dir)
    return model


@lru_cache(maxsize=4)
def _cached_zero_shot(taxonomy_path: str, mtime: float, lemmatizer: str) -> ZeroShotClassifier:
    return ZeroShotClassifier(load_taxonomy(taxonomy_path), lemmatizer)


def load_classifier(model_dir: Path | str, taxonomy_path: Path | str | None = None) -> CommentClassifier:
    """The model in `model_dir`, checked (sha256, taxonomy) and cached for the life of the process."""
    card = Path(model_dir) / "model.json"
    mtime = card.stat().st_mtime if card.exists() else 0.0
    return _cached_model(str(model_dir), mtime, str(taxonomy_path) if taxonomy_path else None)


def default_comment_type_model() -> CommentTypeModel:
    """The default model's comment-type model, for zero-shot runs and models trained without comment types."""
    type_model = load_classifier(resource_path(*DEFAULT_MODEL), resource_path(*DEFAULT_TAXONOMY)).type_model
    if type_model is None:
        raise UserError("domyślny model nie ma modelu typów uwag; wytrenuj go ponownie (make model)",
                        path=resource_path(*DEFAULT_MODEL))
    return type_model


def resolve_classifier(cfg: Config) -> CommentClassifier | ZeroShotClassifier:
    """--model (checked against --taxonomy if both), else zero-shot for --taxonomy, else the default model."""
    model, taxonomy = cfg.classify.model, cfg.classify.taxonomy
    if model is not None:
        return load_classifier(model, taxonomy)
    if taxonomy is not None:
        path = Path(taxonomy)
        mtime = path.stat().st_mtime if path.exists() else 0.0
        return _cached_zero_shot(str(path), mtime, cfg.nlp.lemmatizer)
    return load_classifier(resource_path(*DEFAULT_MODEL), resource_path(*DEFAULT_TAXONOMY))


def classify(df: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """Stage: add `label`, `labels`, `confidence`, `evidence`, `needs_review`, `comment_type` from `text_clean`.

    Empty texts get no label (their status already says so) and are not flagged for review.
    """
    classifier = resolve_classifier(cfg)
    out = df.copy()
    texts = out["text_clean"].fillna("").astype(str).tolist()
    filled = [i for i, t in enumerate(texts) if t.strip()]
    result = pd.DataFrame({"label": "", "labels": "", "confidence": 0.0, "evidence": "", "needs_review": False,
                           "comment_type": "inne"}, index=range(len(texts)))
    if filled:
        predicted = classifier.predict([texts[i] for i in filled])
        for column in OUTPUT_COLUMNS:
            result.loc[filled, column] = predicted[column].to_numpy()
    for column in OUTPUT_COLUMNS:
        out[column] = result[column].to_numpy()
    out["needs_review"] = out["needs_review"].astype(bool)
    out["confidence"] = out["confidence"].astype(float)
    return out
