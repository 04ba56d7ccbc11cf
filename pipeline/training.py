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

from pipeline.classifier import CommentClassifier, check_labels
from pipeline.comment_type import cross_validated_accuracy
from pipeline.errors import UserError
from pipeline.features import analyse
from pipeline.folds import CV_FOLDS, duplicate_groups, fold_rows, grouped_folds
from pipeline.models import model_card
from pipeline.reports import classification_report


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
                   secondary: Sequence[Sequence[str]] | None = None) -> pd.DataFrame:
    """Out-of-fold `label`, `confidence`, `needs_review` of `classifier`'s parameters under
    StratifiedGroupKFold(5, shuffle, random_state=0) on texts analysed with its lemmatizer; each fold's model
    calibrates itself by an inner grouped cross-validation, as a deployed model would. `seed` reshuffles the outer
    folds (bench/tune_classify.py --seeds checks that a choice holds across splits); the protocol, the tests and
    the model card use 0. `secondary` (all labels per comment) is used for training rows only; scores are always
    of the primary label."""
    y = _labels(y, classifier)
    groups = np.arange(len(y)) if groups is None else np.asarray(groups)
    out = pd.DataFrame({"label": pd.Series([""] * len(y), dtype=object), "confidence": 0.0, "needs_review": True})
    for tr, te in grouped_folds(y, groups, n_splits, seed):
        model = clone(classifier).fit_analysed(analysed.iloc[tr], y[tr], groups=groups[tr],
                                               secondary=fold_rows(secondary, tr))
        test = analysed.iloc[te]
        decided = model.decisions(model.predict_proba_analysed(test), test)
        for column in out.columns:  # one by one, so each keeps its dtype
            out.loc[te, column] = decided[column].to_numpy()
    return out


def train(classifier: CommentClassifier, texts: Sequence[str], labels: Sequence[str], *,
          groups: Sequence[Any] | None = None, comment_types: Sequence[str] | None = None,
          data_sha256: str | None = None, secondary: Sequence[Sequence[str]] | None = None) -> TrainedModel:
    """A fitted copy of `classifier` on all texts (labels are taxonomy ids) and its model card with grouped
    out-of-fold metrics.

    One grouped 5-fold pass gives both the card's metrics and the temperature of the final model. `groups` default
    to identical folded texts. `secondary` lists each comment's labels (ids; the primary one may be among them),
    the further ones being learned at a small weight. Used by `uwagi train` and by `uwagi learn` for retraining.
    """
    y = _labels(labels, classifier)
    texts = list(texts)
    groups = duplicate_groups(texts) if groups is None else np.asarray(groups)
    analysed = analyse(texts, classifier.lemmatizer)
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
    return TrainedModel(model, card, oof)
