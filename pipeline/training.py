"""Training and cross-validating the goal classifier under the grouped protocol (`pipeline.folds`).

`train` fits the final model and writes its card from grouped out-of-fold predictions; `cross_validate` gives
out-of-fold decisions only. Both take an unfitted `CommentClassifier` whose parameters they use and leave unfitted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from pipeline.classifier import VECTOR_COLUMN, CommentClassifier, cascade_mask, check_labels, semantic_rows
from pipeline.comment_type import cross_validated_accuracy
from pipeline.errors import UserError, plural
from pipeline.features import analyse
from pipeline.folds import CV_FOLDS, duplicate_groups, fold_rows, grouped_folds
from pipeline.models import model_card
from pipeline.reports import classification_report
from pipeline.tuning import INNER_FOLDS, select_params

NESTED_PROTOCOL = (f"zagnieżdżona walidacja krzyżowa: zewnętrznie StratifiedGroupKFold(n_splits={CV_FOLDS}, "
                   f"shuffle=True, random_state=0), parametry wybierane wyłącznie w części uczącej każdej części "
                   f"zewnętrznej ({INNER_FOLDS}-krotna grupowana walidacja, najprostszy model w granicach błędu "
                   "standardowego najlepszego); grupy: kampanie i identyczne teksty")
TRAIN_ONLY_PROTOCOL = ("; ocena tylko na {scored}, w częściach wyznaczonych na nich samych; dane tylko do uczenia "
                       "({extra}) w części uczącej każdej części zewnętrznej (poza grupami jej części testowej) i w "
                       "wyborze parametrów jak każdy wiersz uczący, nigdy oceniane")


@dataclass
class TrainedModel:
    model: CommentClassifier
    card: dict[str, Any]
    oof: pd.DataFrame  # out-of-fold predictions on the training data (label, confidence, needs_review)


def _labels(y: Sequence[str], classifier: CommentClassifier) -> np.ndarray:
    y = check_labels(y, classifier.taxonomy)
    if len(set(y)) < 2:
        raise UserError("do uczenia potrzeba co najmniej dwóch różnych etykiet")
    return y


def cross_validate(classifier: CommentClassifier, analysed: pd.DataFrame, y: Sequence[str], *,
                   groups: Sequence[Any] | None = None, n_splits: int = CV_FOLDS, seed: int = 0,
                   secondary: Sequence[Sequence[str]] | None = None, nested: bool = False,
                   train_only: Sequence[bool] | None = None) -> pd.DataFrame:
    """Out-of-fold `label`, `confidence`, `needs_review` (and `semantic`, whether the semantic model decided) of
    `classifier`'s parameters under
    StratifiedGroupKFold(5, shuffle, random_state=0) on texts analysed with its lemmatizer; each fold's model
    calibrates itself by an inner grouped cross-validation, as a deployed model would. `seed` reshuffles the outer
    folds (bench/tune_classify.py --seeds checks that a choice holds across splits); the protocol, the tests and
    the model card use 0. `secondary` (all labels per comment) is used for training rows only; scores are always
    of the primary label. With an encoder, `analysed` carries every text's vector and each test fold goes through
    the cascade as a deployed model's input would. `nested`: each outer fold's parameters are chosen by
    `pipeline.tuning.select_params` on its training rows only (nested cross-validation), the figure to report when
    the parameters are chosen from data at all.

    `train_only` marks rows (True) that are learnt but never scored, such as synthetic comments written to teach
    the model: the folds are those of the other rows alone (the same as a run on them without these rows), every
    outer training part gets all of them (but those sharing a group with its test part: a repeated text or a
    campaign) and the selection sees them as any training row. The result then has one row per scored row, in
    their order."""
    y = _labels(y, classifier)
    groups = np.arange(len(y)) if groups is None else np.asarray(groups)
    extra = _mask(train_only, len(y))
    scored, added = np.flatnonzero(~extra), np.flatnonzero(extra)
    out = pd.DataFrame({"label": pd.Series([""] * len(scored), dtype=object), "confidence": 0.0,
                        "needs_review": True, "semantic": False})
    for fold_train, te in grouped_folds(y[scored], groups[scored], n_splits, seed):
        tr = np.concatenate([scored[fold_train], added[~np.isin(groups[added], groups[scored[te]])]])
        params = select_params(classifier, analysed.iloc[tr], y[tr], groups[tr], fold_rows(secondary, tr),
                               seed) if nested else {}
        model = clone(classifier).set_params(**params).fit_analysed(
            analysed.iloc[tr], y[tr], groups=groups[tr], secondary=fold_rows(secondary, tr))
        test = _cascaded(model, analysed.iloc[scored[te]])
        decided = model.decisions(model.predict_proba_analysed(test), test).assign(
            semantic=semantic_rows(test) & (model.semantic_svm_ is not None))
        for column in out.columns:  # one by one, so each keeps its dtype
            out.loc[te, column] = decided[column].to_numpy()
    return out


def _mask(rows: Sequence[bool] | None, n: int) -> np.ndarray:
    return np.zeros(n, dtype=bool) if rows is None else np.asarray(rows, dtype=bool)


def _cascaded(model: CommentClassifier, analysed: pd.DataFrame) -> pd.DataFrame:
    """Test rows with the vectors of only those the cascade gives the semantic model."""
    if model.semantic_svm_ is None or VECTOR_COLUMN not in analysed:
        return analysed
    keep = cascade_mask(model.predict_proba_analysed(analysed.drop(columns=VECTOR_COLUMN)), model.semantic_margin_)
    return analysed.assign(**{VECTOR_COLUMN: [v if k else None for v, k in zip(analysed[VECTOR_COLUMN], keep)]})


def train(classifier: CommentClassifier, texts: Sequence[str], labels: Sequence[str], *,
          groups: Sequence[Any] | None = None, comment_types: Sequence[str] | None = None,
          data_sha256: str | None = None, secondary: Sequence[Sequence[str]] | None = None,
          tune: bool = False, train_only: Sequence[bool] | None = None) -> TrainedModel:
    """A fitted copy of `classifier` on all texts (labels are taxonomy ids) and its model card with grouped
    out-of-fold metrics.

    One grouped 5-fold pass gives both the card's metrics and the temperature of the final model. `groups` default
    to identical folded texts. `secondary` lists each comment's labels (ids; the primary one may be among them),
    the further ones being learned at a small weight. Used by `uwagi train` and by `uwagi learn` for retraining.

    `tune`: the parameters `pipeline.tuning.select_params` chooses on all these texts replace the given ones, and
    the card adds `nested_cross_validation`, the figure of that whole procedure with the choice made inside each
    fold's training part (the grouped figure is then optimistic: it scores the choice on the data it was made on).
    `train_only` marks rows the model learns like any other but that figure never scores (`cross_validate`): it is
    then of the other rows, in their own folds.
    """
    y = _labels(labels, classifier)
    texts = list(texts)
    groups = duplicate_groups(texts) if groups is None else np.asarray(groups)
    analysed = classifier.analyse(texts, embed_all=True)
    nested: dict[str, Any] | None = None
    if tune:
        nested_oof = cross_validate(classifier, analysed, y, groups=groups, secondary=secondary, nested=True,
                                    train_only=train_only)
        extra = _mask(train_only, len(y))
        protocol = NESTED_PROTOCOL if not extra.any() else NESTED_PROTOCOL + TRAIN_ONLY_PROTOCOL.format(
            scored=plural(int((~extra).sum()), "wiersz", "wiersze", "wierszy"),
            extra=plural(int(extra.sum()), "wiersz", "wiersze", "wierszy"))
        nested = {"protocol": protocol, "n": int((~extra).sum()), **_summary(y[~extra], nested_oof, classifier)}
        classifier = clone(classifier).set_params(**select_params(classifier, analysed, y, groups, secondary))
    # One set of folds for the card's goal and comment-type figures and the final model's temperature.
    folds = grouped_folds(y, groups)
    scores = classifier.out_of_fold_scores(analysed, y, groups, folds, secondary)
    type_accuracy = None if comment_types is None else cross_validated_accuracy(analysed, comment_types, folds)
    model = clone(classifier).fit_analysed(analysed, y, groups=groups, comment_types=comment_types,
                                           secondary=secondary, calibration_scores=scores)
    oof = pd.DataFrame()
    metrics: dict[str, Any] = {}
    if len(scores):
        oof = model.decisions(model.probabilities(scores), analysed)[["label", "confidence", "needs_review"]]
        metrics = classification_report(y, oof["label"].to_numpy(), model.taxonomy.ids,
                                        oof["needs_review"].to_numpy())
        metrics.pop("confusion", None)
    digest = data_sha256 or hashlib.sha256("\n".join(f"{t}\t{v}" for t, v in zip(texts, y)).encode()).hexdigest()
    training_data = {"sha256": digest, "rows": len(y), "groups": int(len(set(groups))),
                     "per_label": {i: int((y == i).sum()) for i in model.taxonomy.ids}}
    card = model_card(model, {**metrics, "comment_type_accuracy": type_accuracy}, training_data)
    if nested is None:
        card["cross_validation"]["protocol"] += ("; parametry stałe (domyślne lub podane), nie wybierane w tej "
                                                 "walidacji; wynik zagnieżdżony: uwagi crossval")
    else:
        card["cross_validation"]["protocol"] += "; parametry wybrane na tych samych danych (wynik zawyżony)"
        card["nested_cross_validation"] = nested
    return TrainedModel(model, card, oof)


def _summary(y: np.ndarray, oof: pd.DataFrame, classifier: CommentClassifier) -> dict[str, Any]:
    report = classification_report(y, oof["label"].to_numpy(), classifier.taxonomy.ids,
                                   oof["needs_review"].to_numpy())
    return {"accuracy": report["accuracy"], "macro_f1": report["macro_f1"], "needs_review": report["needs_review"],
            "semantic_share": round(float(oof["semantic"].mean()), 4)}
