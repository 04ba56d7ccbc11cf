"""The comment type (propozycja, pytanie, poparcie, krytyka, inne): a linear model over every lemma of a comment.

It reads no taxonomy, so the default model's comment-type model also types comments for zero-shot runs and for
models trained on data without comment types (`pipeline.classifier` falls back to it). Under grouped cross-validation
on the Gdańsk dev corpus it was right on 0.85 of the comments (mean of fold seeds 0-2), where cue-word rules were
right on 0.66; Łódź project proposals, which are proposals by genre, it calls `propozycja`, the rules did so for 22%.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from pipeline.features import drop_fit_only_state, split_tfidf, terms, tfidf_of_columns

COMMENT_TYPES = ("propozycja", "pytanie", "poparcie", "krytyka", "inne")


def split_lemmas(lemmas: str) -> list[str]:
    """The words of a lemma string, already split by spaces (a named function: saved models may refer to no
    built-in, see `pipeline.models.TRUSTED_TYPES`)."""
    return lemmas.split()


class CommentTypeModel(BaseEstimator, ClassifierMixin):
    """Fitted on an `analyse` frame (it reads the `lemmas` column) and comment types."""

    def __init__(self, C: float = 0.3):
        self.C = C

    def fit(self, analysed: pd.DataFrame, types: Sequence[str]) -> "CommentTypeModel":
        # Every lemma, stop words included: "czy", "nie", "popierać" and "?" carry the type of a comment, not its
        # topic. Lemma pairs fitted worse: 0.83 against 0.85 right over three fold seeds.
        # The lemma string is already split by spaces: splitting tokenises it faster than a regular expression.
        self.words_ = TfidfVectorizer(analyzer=split_lemmas, sublinear_tf=True, dtype=np.float32)
        self.svm_ = LinearSVC(C=self.C, class_weight="balanced", random_state=0)
        self.svm_.fit(self.words_.fit_transform(analysed["lemmas"]), np.asarray(types, dtype=object))
        drop_fit_only_state(self.words_)
        return self

    @property
    def classes_(self) -> np.ndarray:
        return self.svm_.classes_

    def predict(self, analysed: pd.DataFrame, columns: np.ndarray | None = None) -> np.ndarray:
        """The type of each analysed text; `columns`, when given, are the vocabulary's column of each of its lemmas
        (`features.LemmaTable.look_up`), else they are looked up here."""
        words = terms(analysed, "lemmas")  # the analyzer is `split_lemmas`
        X = split_tfidf(self.words_, words) if columns is None else tfidf_of_columns(self.words_, columns, words)
        # A comment without one known word ("test", "asdf") would get whichever type the intercepts favour.
        return np.where(X.getnnz(axis=1) == 0, "inne", self.svm_.predict(X)).astype(object)


def cross_validated_accuracy(analysed: pd.DataFrame, types: Sequence[str],
                             folds: Sequence[tuple[np.ndarray, np.ndarray]]) -> float | None:
    """Share of comments whose type a model fitted on the other folds gets right (the model card's figure);
    None when no fold has two types to learn from."""
    types = np.asarray(types, dtype=object)
    right = tested = 0
    for tr, te in folds:
        if len(set(types[tr])) < 2:
            continue
        predicted = CommentTypeModel().fit(analysed.iloc[tr], types[tr]).predict(analysed.iloc[te])
        right += int((predicted == types[te]).sum())
        tested += len(te)
    return round(right / tested, 4) if tested else None
