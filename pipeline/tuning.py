"""Choosing the classifier's parameters inside the training data only (the inner loop of nested cross-validation).

Scores on the folds a figure is reported on are never used to choose: `training.cross_validate` calls
`select_params` on each outer fold's training rows, `training.train` on all the training data. Candidates are listed
simplest first, and the simplest whose inner macro-F1 is within one standard error of the best one's wins: two
models within noise are not told apart by the data, and the simpler one generalises at least as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import softmax
from sklearn.base import clone

from pipeline.classifier import CommentClassifier, cascade_mask, cascade_threshold
from pipeline.folds import grouped_folds
from pipeline.reports import classification_report

INNER_FOLDS = 3
# The regularisation and the weight of the sentence vectors; with an encoder, the lexical model alone (no encoder)
# is a candidate too, and the simplest.
C_GRID = (0.1, 0.2, 0.5)
ENCODER_WEIGHTS = (1.0, 2.0, 3.0)


def candidates(classifier: CommentClassifier) -> list[dict[str, Any]]:
    """Parameter sets to choose among, simplest first."""
    lexical = [{"C": c, "encoder": None} for c in C_GRID]
    if classifier.encoder is None:
        return lexical
    return lexical + [{"C": c, "encoder_weight": w} for w in ENCODER_WEIGHTS for c in C_GRID]


def _fold_f1(y: np.ndarray, predicted: np.ndarray, folds: Sequence[tuple[np.ndarray, np.ndarray]],
             ids: Sequence[str]) -> np.ndarray:
    return np.array([classification_report(y[te], predicted[te], ids)["macro_f1"] for _, te in folds])


def select_params(classifier: CommentClassifier, analysed: pd.DataFrame, y: np.ndarray, groups: np.ndarray,
                  secondary: Sequence[Sequence[str]] | None = None, seed: int = 0) -> dict[str, Any]:
    """The candidate (`candidates`) to fit on these rows, by grouped `INNER_FOLDS`-fold cross-validation over them:
    the simplest within one standard error of the best mean macro-F1. {} when the rows allow no folds."""
    folds = grouped_folds(y, groups, INNER_FOLDS, seed)
    if not folds:
        return {}
    ids = np.array(classifier.taxonomy.ids, dtype=object)
    k = len(ids)
    results: list[tuple[dict[str, Any], np.ndarray]] = []
    for params in candidates(classifier):
        model = clone(classifier).set_params(**params, calibration_folds=0)
        scores = model.out_of_fold_scores(analysed, y, groups, folds, secondary)
        # Uncalibrated (temperature 1): only the argmax and the cascade's ranking of margins matter here.
        proba = softmax(scores[:, :k], axis=1)
        if scores.shape[1] > k:
            chosen = cascade_mask(proba, cascade_threshold(proba, classifier.semantic_share))
            proba[chosen] = softmax(scores[chosen, k:], axis=1)
        results.append((params, _fold_f1(y, ids[proba.argmax(axis=1)], folds, ids)))
    means = np.array([f1.mean() for _, f1 in results])
    best = int(means.argmax())
    noise = results[best][1].std(ddof=1) / np.sqrt(len(folds))
    return next(params for (params, _), mean in zip(results, means) if mean >= means[best] - noise)
