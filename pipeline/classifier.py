"""The goal classifier: a scikit-learn estimator for one taxonomy.

A linear SVM over `pipeline.features` (fitted together with one pseudo-document per label built from the taxonomy's
name, goal, description and keywords), calibrated by temperature scaling of its decision scores on grouped
out-of-fold predictions. A comment gets its primary label, further labels whose calibrated probability is close
enough, a confidence, the lemmas that weighed most (evidence), a review flag and a comment type.

    model = CommentClassifier(taxonomy).fit(texts, labels, groups=groups)
    model.predict(texts)        # label ids
    model.predict_proba(texts)  # calibrated, columns in `model.classes_` (taxonomy) order
    model.predict_frame(texts)  # the classify stage's columns
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from functools import lru_cache
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC
from sklearn.utils._param_validation import Interval, Options
from sklearn.utils.validation import check_is_fitted

from pipeline import polish
from pipeline.clean import fold_chars
from pipeline.comment_type import CommentTypeModel
from pipeline.encoder import EncoderUnavailable, cached_mask, embed, get_encoder, open_cache
from pipeline.errors import UserError
from pipeline.features import (LemmaTable, analyse, build_features, drop_fit_only_state, feature_matrix,
                               features_and_matches, says_nothing, terms)
from pipeline.folds import fold_rows, grouped_folds
from pipeline.models import load_model
from pipeline.resources import DEFAULT_MODEL, DEFAULT_TAXONOMY, resource_path
from pipeline.taxonomy import Taxonomy, load_taxonomy

# The backend a classifier is trained with unless told otherwise, and the one zero-shot runs use.
DEFAULT_LEMMATIZER = "simplemma"
# The parameters `pipeline.features.build_features` takes; the model card lists them apart from the others.
FEATURE_PARAMS = ("word_ngrams", "char_ngrams", "min_df", "char_weight", "head_weight", "keyword_weight")
# The column of an analysed frame (`pipeline.features.analyse`) that holds a comment's sentence vector, or None for
# a comment the semantic model did not see.
VECTOR_COLUMN = "vector"


# scikit-learn's parameter validation takes its own constraint kinds only; `Options` is the one whose test can be
# replaced.
class _LemmatizerBackend(Options):
    """A backend registered in `pipeline.polish` when the estimator is fitted (a user may register one)."""

    def __init__(self) -> None:
        super().__init__(str, set())

    def is_satisfied_by(self, val: object) -> bool:
        return isinstance(val, str) and val in polish.backends()

    def __str__(self) -> str:
        return f"a lemmatizer backend among {set(polish.backends())}"


class _NgramRange(Options):
    def __init__(self) -> None:
        super().__init__(tuple, set())

    def is_satisfied_by(self, val: object) -> bool:
        return (isinstance(val, tuple) and len(val) == 2 and all(isinstance(v, Integral) for v in val)
                and 1 <= val[0] <= val[1])

    def __str__(self) -> str:
        return "a tuple (low, high) of integers with 1 <= low <= high"


class CommentClassifier(ClassifierMixin, BaseEstimator):
    """Goal classifier for one taxonomy. The defaults were chosen by grouped cross-validation on both corpora in
    bench/tune_classify.py; nothing is tuned at train time.

    Parameters
    ----------
    taxonomy : the goals; `classes_` are its label ids in its order.
    C : the SVM's regularisation.
    taxonomy_weight : weight of the per-label pseudo-documents built from the taxonomy text.
    secondary_weight : weight of the extra training rows that give a comment's further (non-primary) labels.
    group_power : a training row weighs size**-group_power of its group (campaign or identical texts), so copies of
        one letter do not outweigh independent comments.
    review_ratio : a person should check the label when the runner-up label's calibrated probability reaches this
        share of the primary label's: ranking by this margin put more of the mistakes among the flagged than the
        primary probability alone. Comments not in Polish are always flagged: the features are Polish, and
        out-of-fold accuracy on them was about one half. 0.15 spends most of a review budget of a fifth of the
        comments: on the Gdańsk corpus over fold seeds 0-2 it flagged 17.8% on average (0.2: 15.2%, 0.125: 19.7%,
        seeds up to 21%).
    secondary_ratio : a further label is listed when its probability reaches this share of the primary label's.
    max_labels : at most this many labels are listed per comment.
    calibration_folds : grouped folds of the inner cross-validation that fits the temperature; 0 leaves the scores
        uncalibrated (temperature 1), for callers that only need the most probable label.
    word_ngrams, char_ngrams, min_df : n-gram ranges of the lemma and character blocks, minimum document frequency
        of lemma n-grams.
    char_weight : weight of the character block. 0.7, not 0.5: with keyword_weight 0.15 it raised Łódź mean
        accuracy and macro-F1 over three fold seeds; Gdańsk stayed level.
    head_weight : weight of the character block over the first line (0: no such block).
    keyword_weight : weight of the per-label keyword counts. 0.15, not 0.1: with the richer Łódź keyword lists it
        raised both corpora's mean over three fold seeds; 0.3 and more let the coarse per-label counts outweigh
        the text.
    lemmatizer : the Polish layer's backend (`pipeline.polish.backends()`); a fitted model predicts with it.
    encoder : a sentence encoder registered in `pipeline.encoder` (None: the lexical model only). With one, a
        second SVM is fitted on the lexical features joined with the comments' sentence vectors (the semantic
        model); it decides the comments that carry a vector (`VECTOR_COLUMN`).
    encoder_weight : scale of the sentence vectors beside the lexical features (L2-normalised vectors; 2-3 kept the
        gain on independently written comments in shared/notes/semantic-encoders.md).
    semantic_share : the share of comments, least certain under the lexical model first, that the semantic model
        decides (the cascade): embedding is the costly part, and on held-out comments 40% gave the full gain.
    """

    _parameter_constraints: dict = {
        "taxonomy": [Taxonomy],
        "C": [Interval(Real, 0, None, closed="neither")],
        "taxonomy_weight": [Interval(Real, 0, None, closed="left")],
        "secondary_weight": [Interval(Real, 0, None, closed="left")],
        "group_power": [Interval(Real, 0, None, closed="left")],
        "review_ratio": [Interval(Real, 0, 1, closed="both")],
        "secondary_ratio": [Interval(Real, 0, 1, closed="both")],
        "max_labels": [Interval(Integral, 1, None, closed="left")],
        "calibration_folds": [Interval(Integral, 2, None, closed="left"), Options(Integral, {0})],
        "word_ngrams": [_NgramRange()],
        "char_ngrams": [_NgramRange()],
        "min_df": [Interval(Integral, 1, None, closed="left")],
        "char_weight": [Interval(Real, 0, None, closed="left")],
        "head_weight": [Interval(Real, 0, None, closed="left")],
        "keyword_weight": [Interval(Real, 0, None, closed="left")],
        "lemmatizer": [_LemmatizerBackend()],
        "encoder": [str, None],
        "encoder_weight": [Interval(Real, 0, None, closed="neither")],
        "semantic_share": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, taxonomy: Taxonomy, *, C: float = 0.2, taxonomy_weight: float = 1.0,
                 secondary_weight: float = 0.5, group_power: float = 0.5, review_ratio: float = 0.15,
                 secondary_ratio: float = 0.5, max_labels: int = 3, calibration_folds: int = 3,
                 word_ngrams: tuple[int, int] = (1, 1), char_ngrams: tuple[int, int] = (2, 5), min_df: int = 1,
                 char_weight: float = 0.7, head_weight: float = 1.0, keyword_weight: float = 0.15,
                 lemmatizer: str = DEFAULT_LEMMATIZER, encoder: str | None = None, encoder_weight: float = 2.0,
                 semantic_share: float = 0.4):
        self.taxonomy = taxonomy
        self.C = C
        self.taxonomy_weight = taxonomy_weight
        self.secondary_weight = secondary_weight
        self.group_power = group_power
        self.review_ratio = review_ratio
        self.secondary_ratio = secondary_ratio
        self.max_labels = max_labels
        self.calibration_folds = calibration_folds
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.char_weight = char_weight
        self.head_weight = head_weight
        self.keyword_weight = keyword_weight
        self.lemmatizer = lemmatizer
        self.encoder = encoder
        self.encoder_weight = encoder_weight
        self.semantic_share = semantic_share

    def __setstate__(self, state: dict[str, Any]) -> None:
        # A model saved before the sentence encoder existed is a lexical model.
        for name, value in (("encoder", None), ("encoder_weight", 2.0), ("semantic_share", 0.4)):
            state.setdefault(name, value)
        if "svm_" in state:
            state.setdefault("semantic_svm_", None)
            state.setdefault("semantic_temperature_", 1.0)
            state.setdefault("semantic_margin_", -np.inf)
        super().__setstate__(state)

    # ------------------------------------------------------------------------------------------------- fitting

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, texts: Sequence[str], y: Sequence[str], groups: Sequence[Any] | None = None,
            comment_types: Sequence[str] | None = None, secondary: Sequence[Sequence[str]] | None = None
            ) -> "CommentClassifier":
        """Fit on texts (as the pipeline's `text_clean`) and their primary label ids.

        `groups` (campaigns, identical texts; default: every text its own) keep related texts in one calibration
        fold and weigh a group's rows down; `comment_types` train the comment-type model (without them the default
        model's one types comments); `secondary` lists each comment's labels (the primary one may be among them),
        the further ones being learned at `secondary_weight`.
        """
        return self.fit_analysed(self.analyse(texts, embed_all=True), y, groups=groups,
                                 comment_types=comment_types, secondary=secondary)

    def analyse(self, texts: Sequence[str], embed_all: bool = False, langs: Sequence[str] | None = None
                ) -> pd.DataFrame:
        """`pipeline.features.analyse` with this lemmatizer (and the languages already known, `langs`); with
        `embed_all` and an encoder, every text's sentence vector in `VECTOR_COLUMN` too (from the cache where it has
        them)."""
        analysed = analyse(texts, self.lemmatizer, langs=langs)
        if embed_all and self.encoder is not None:
            analysed[VECTOR_COLUMN] = list(embed(list(texts), get_encoder(self.encoder), open_cache()))
        return analysed

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_analysed(self, analysed: pd.DataFrame, y: Sequence[str], groups: Sequence[Any] | None = None,
                     comment_types: Sequence[str] | None = None, secondary: Sequence[Sequence[str]] | None = None,
                     calibration_scores: np.ndarray | None = None) -> "CommentClassifier":
        """`fit` on texts already analysed with this lemmatizer (`pipeline.features.analyse`), with every text's
        vector when the classifier has an encoder (`analyse(texts, embed_all=True)`). The temperatures come from
        `calibration_scores` when given (`out_of_fold_scores` over the same rows, as `train` computes them anyway),
        else from an inner grouped cross-validation of `calibration_folds` folds."""
        y = check_labels(y, self.taxonomy)
        groups = np.arange(len(y)) if groups is None else np.asarray(groups)
        if calibration_scores is None:
            folds = grouped_folds(y, groups, self.calibration_folds) if self.calibration_folds else []
            calibration_scores = self.out_of_fold_scores(analysed, y, groups, folds, secondary)
        ids = list(self.taxonomy.ids)
        y_index = np.array([ids.index(v) for v in y])
        k = len(ids)
        calibrated = len(calibration_scores) > 0
        self.temperature_ = fit_temperature(calibration_scores[:, :k], y_index) if calibrated else 1.0
        self.semantic_temperature_ = (fit_temperature(calibration_scores[:, k:], y_index)
                                      if calibrated and self.encoder is not None else 1.0)
        self.features_, self.svm_, self.semantic_svm_ = self._fit_core(analysed, y, secondary, groups)
        # The cascade's margin: `semantic_share` of the (out-of-fold, else training) comments fall at or below it.
        lexical = (softmax(calibration_scores[:, :k] / self.temperature_, axis=1) if calibrated else
                   softmax(_scores(self.svm_, feature_matrix(self.features_, analysed), ids) / self.temperature_,
                           axis=1))
        self.semantic_margin_ = (cascade_threshold(lexical, self.semantic_share) if self.encoder is not None
                                 else -np.inf)
        drop_fit_only_state(self.features_)
        self.classes_ = np.array(ids, dtype=object)
        self.n_secondary_labels_ = len(_secondary_rows(y, secondary, self.taxonomy)[0])
        # Without types of its own to learn from, the model types comments with the default model's type model.
        self.type_model_ = None
        if comment_types is not None and len(set(comment_types)) > 1:
            self.type_model_ = CommentTypeModel().fit(analysed, comment_types)
        coef = self.svm_.coef_[[list(self.svm_.classes_).index(i) for i in ids]] if len(ids) > 2 else None
        # Contribution of a feature to a label relative to the other labels: what "weighed most" means here.
        self.evidence_weights_ = None if coef is None else (coef - coef.mean(axis=0)).astype(np.float32)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def out_of_fold_scores(self, analysed: pd.DataFrame, y: Sequence[str], groups: np.ndarray,
                           folds: Sequence[tuple[np.ndarray, np.ndarray]],
                           secondary: Sequence[Sequence[str]] | None = None) -> np.ndarray:
        """Decision scores (rows of `analysed`, columns in taxonomy order) of models with these parameters, each
        fitted on a fold's training rows and scoring its test rows; no rows when there are no folds. With an
        encoder, the semantic model's scores follow the lexical ones (twice as many columns; `probabilities`
        reads both). This estimator stays as it is."""
        y, groups = np.asarray(y, dtype=object), np.asarray(groups)
        k = len(self.taxonomy.ids)
        scores = np.zeros((len(y), 2 * k if self.encoder is not None else k))
        for tr, te in folds:
            features, svm, semantic = self._fit_core(analysed.iloc[tr], y[tr], fold_rows(secondary, tr), groups[tr])
            test = analysed.iloc[te]
            X = feature_matrix(features, test)
            scores[te, :k] = _scores(svm, X, self.taxonomy.ids)
            if semantic is not None:
                scores[te, k:] = _scores(semantic, self._semantic_features(X, _vectors(test)), self.taxonomy.ids)
        return scores if folds else np.zeros((0, scores.shape[1]))

    def feature_params(self) -> dict[str, Any]:
        """The parameters of the feature union, by name."""
        return {name: getattr(self, name) for name in FEATURE_PARAMS}

    def _fit_core(self, analysed: pd.DataFrame, y: np.ndarray, secondary: Sequence[Sequence[str]] | None,
                  groups: np.ndarray) -> tuple[ColumnTransformer, LinearSVC, LinearSVC | None]:
        taxonomy = self.taxonomy
        label_docs = analyse(_label_documents(taxonomy), self.lemmatizer)
        # A comment's further labels are weak evidence for those labels too: the comment is added once more per
        # further label, at a small weight so that the primary label still wins on the comment itself.
        # None at weight 0: zero-weight rows would still shift the TF-IDF statistics and the balanced class weights.
        rows, extra = _secondary_rows(y, secondary if self.secondary_weight else None, taxonomy)
        X_frame = pd.concat([analysed, analysed.iloc[rows], label_docs], ignore_index=True)
        targets = np.concatenate([y, extra, np.array(taxonomy.ids, dtype=object)])
        # A campaign of 30 copies of one letter should not weigh like 30 independent comments.
        _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
        base = counts[inverse].astype(float) ** -self.group_power
        weights = np.concatenate([base, self.secondary_weight * base[rows],
                                  np.full(len(label_docs), self.taxonomy_weight)])
        features = build_features(taxonomy, **self.feature_params())
        X = features.fit_transform(X_frame)
        svm = LinearSVC(C=self.C, class_weight="balanced", random_state=0)
        svm.fit(X, targets, sample_weight=weights)
        if self.encoder is None:
            return features, svm, None
        vectors = _vectors(analysed)
        if vectors is None:
            raise ValueError("a classifier with an encoder is fitted on analysed texts with every text's vector")
        label_vectors = embed(_label_documents(taxonomy), get_encoder(self.encoder), open_cache())
        V = np.vstack([vectors, vectors[rows], label_vectors])
        semantic = LinearSVC(C=self.C, class_weight="balanced", random_state=0)
        semantic.fit(self._semantic_features(X, V), targets, sample_weight=weights)
        return features, svm, semantic

    def _semantic_features(self, X: sp.spmatrix, vectors: np.ndarray) -> sp.csr_matrix:
        return sp.hstack([X, sp.csr_matrix(self.encoder_weight * vectors.astype(np.float32))], format="csr")
    # ---------------------------------------------------------------------------------------------- prediction

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """The most probable label id of each text."""
        proba = self.predict_proba(texts)
        return self.classes_[proba.argmax(axis=1)]

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, one column per label in `classes_` (taxonomy) order; with an encoder, the
        least certain `semantic_share` of the texts are decided by the semantic model."""
        check_is_fitted(self)  # before the costly analysis
        return self.predict_proba_analysed(self._cascade_or_lexical(texts))

    def predict_frame(self, texts: Sequence[str], langs: Sequence[str] | None = None) -> pd.DataFrame:
        """The classify stage's columns: `label`, `labels`, `confidence`, `needs_review`, `evidence`,
        `comment_type`, and `semantic` (whether the semantic model decided the comment); `langs` as in
        `pipeline.features.analyse`."""
        check_is_fitted(self)
        return self.predict_frame_analysed(self._cascade_or_lexical(texts, langs))

    def _cascade_or_lexical(self, texts: Sequence[str], langs: Sequence[str] | None = None) -> pd.DataFrame:
        analysed = self.analyse(texts, langs=langs)
        try:
            return self.cascade(texts, analysed)
        except EncoderUnavailable as exc:
            warnings.warn(f"model semantyczny niedostępny ({exc}); klasyfikacja tylko leksykalna", stacklevel=3)
            return analysed

    def cascade(self, texts: Sequence[str], analysed: pd.DataFrame, budget: int | None = None) -> pd.DataFrame:
        """`analysed` with the vectors of the texts the semantic model should decide: the least certain
        `semantic_share` under the lexical model, of those at most `budget` not yet in the encoder's cache (None:
        no limit). Without an encoder, `analysed` as it is."""
        return self._cascade(texts, analysed, budget)[0]

    def cascade_deferred(self, texts: Sequence[str], analysed: pd.DataFrame
                         ) -> tuple[pd.DataFrame, dict[int, float]]:
        """`cascade` embedding nothing new: the vectors of the chosen texts already in the cache, and the rows of
        the chosen ones not in it with their margins, for a caller that spends one budget over several calls (least
        certain first: smallest margin, then earliest row)."""
        return self._cascade(texts, analysed, 0)

    def _cascade(self, texts: Sequence[str], analysed: pd.DataFrame, budget: int | None
                 ) -> tuple[pd.DataFrame, dict[int, float]]:
        check_is_fitted(self)
        if self.semantic_svm_ is None or not len(analysed):
            return analysed, {}
        proba = self._proba(feature_matrix(self.features_, analysed))
        chosen = cascade_order(proba, self.semantic_margin_)
        encoder, cache = get_encoder(self.encoder), open_cache()
        left_out: dict[int, float] = {}
        if budget is not None:
            # Cached texts cost nothing; new ones are taken least certain first while the budget lasts.
            new = ~cached_mask([texts[i] for i in chosen], encoder, cache)
            kept = ~new | (np.cumsum(new) <= budget)
            left_out = dict(zip(chosen[~kept].tolist(), margins(proba[chosen[~kept]]).tolist()))
            chosen = chosen[kept]
        vectors: list[np.ndarray | None] = [None] * len(analysed)
        for i, vector in zip(chosen, embed([texts[i] for i in chosen], encoder, cache)):
            vectors[i] = vector
        return analysed.assign(**{VECTOR_COLUMN: vectors}), left_out

    def predict_proba_analysed(self, analysed: pd.DataFrame) -> np.ndarray:
        """`predict_proba` for texts already analysed with this lemmatizer: the semantic model decides the rows
        with a vector (`cascade`), the lexical model the others."""
        check_is_fitted(self)
        return self._proba(feature_matrix(self.features_, analysed), analysed)

    def predict_frame_analysed(self, analysed: pd.DataFrame) -> pd.DataFrame:
        """`predict_frame` for texts already analysed with this lemmatizer."""
        check_is_fitted(self)
        types = self.type_model_ if self.type_model_ is not None else default_comment_type_model()
        columns, starts = self._lemma_table(types).look_up(terms(analysed, "lemmas"))
        X, matches, words = features_and_matches(self.features_, analysed, starts)
        proba = self._proba(X, analysed)
        out = self.decisions(proba, analysed)
        out["semantic"] = semantic_rows(analysed) if self.semantic_svm_ is not None else False
        out["evidence"] = self._evidence(words, proba.argmax(axis=1), matches)
        out["comment_type"] = types.predict(analysed, columns)
        return out

    def _lemma_table(self, types: CommentTypeModel) -> LemmaTable:
        """The process's `LemmaTable` for these comment types and this model's keywords, made when first needed."""
        table, keywords = self.__dict__.get("_lemmas"), self.features_.named_transformers_["keywords"]
        if table is None or table.vocabulary is not types.words_.vocabulary_ or table.keywords is not keywords:
            self._lemmas = table = LemmaTable(types.words_.vocabulary_, keywords)
        return table

    def __getstate__(self) -> dict[str, Any]:
        # The lemma table is a process's memo, rebuilt on demand; pickling it would bloat the model file.
        return {k: v for k, v in super().__getstate__().items() if k != "_lemmas"}

    def probabilities(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated probabilities from decision scores (taxonomy order), e.g. from `out_of_fold_scores`; scores
        with the semantic model's columns give what the cascade gives."""
        k = len(self.taxonomy.ids)
        proba = softmax(scores[:, :k] / self.temperature_, axis=1)
        if scores.shape[1] > k:
            chosen = cascade_mask(proba, self.semantic_margin_)
            proba[chosen] = softmax(scores[chosen, k:] / self.semantic_temperature_, axis=1)
        return proba

    def decisions(self, proba: np.ndarray, analysed: pd.DataFrame) -> pd.DataFrame:
        """`label`, `labels`, `confidence` and `needs_review` from calibrated probabilities (taxonomy order) of the
        analysed texts."""
        top2 = np.sort(proba, axis=1)[:, -2:]
        empty = says_nothing(analysed)
        needs_review = ((top2[:, 0] >= self.review_ratio * top2[:, 1]) | (analysed["lang"].to_numpy() != "pl")
                        | empty)
        columns = label_columns(proba, self.taxonomy.ids, self.max_labels, self.secondary_ratio)
        # "test", "ok", "nie mam uwag": whatever the model says, there is nothing to be confident about.
        columns.loc[empty, "confidence"] = np.minimum(columns.loc[empty, "confidence"], EMPTY_CONFIDENCE)
        return columns.assign(needs_review=needs_review)

    def _proba(self, X: sp.spmatrix, analysed: pd.DataFrame | None = None) -> np.ndarray:
        proba = softmax(_scores(self.svm_, X, self.taxonomy.ids) / self.temperature_, axis=1)
        rows = semantic_rows(analysed) if analysed is not None and self.semantic_svm_ is not None else None
        if rows is not None and rows.any():
            vectors = np.vstack(analysed[VECTOR_COLUMN].to_numpy()[rows])
            scores = _scores(self.semantic_svm_, self._semantic_features(X.tocsr()[rows], vectors), self.taxonomy.ids)
            proba[rows] = softmax(scores / self.semantic_temperature_, axis=1)
        return proba

    def _evidence(self, words: sp.csr_matrix, winners: np.ndarray, matches: list[list[tuple[int, str]]]
                  ) -> list[str]:
        """`words`: the `words` block of the features already computed for the scores; `matches`: each row's keyword
        matches, found for them (`features_and_matches`)."""
        ranked = _ranked_words(words, winners, self.evidence_weights_,
                               _feature_names(self.features_.named_transformers_["words"]))
        out = []
        for winner, found, words in zip(winners.tolist(), matches, ranked):
            hits = dict.fromkeys(p for k, p in found if k == winner)
            out.append(pick_evidence([*hits, *words]))
        return out


# ------------------------------------------------------------------------------------------------- helpers

# The most a classifier may say of a comment that says nothing (`features.says_nothing`).
EMPTY_CONFIDENCE = 0.5


def check_labels(y: Sequence[str], taxonomy: Taxonomy) -> np.ndarray:
    """`y` as an array, refused when a value is not a label id of `taxonomy`."""
    y = np.asarray(list(y), dtype=object)
    unknown = sorted({v for v in y if v not in taxonomy.ids})
    if unknown:
        raise UserError(f"etykiety spoza taksonomii {taxonomy.name!r}: {', '.join(map(repr, unknown))}")
    return y


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


def _vectors(analysed: pd.DataFrame) -> np.ndarray | None:
    """Every analysed row's vector as one array; None unless every row has one."""
    if not semantic_rows(analysed).all() or not len(analysed):
        return None
    return np.vstack(analysed[VECTOR_COLUMN].to_numpy())


def semantic_rows(analysed: pd.DataFrame) -> np.ndarray:
    """Which analysed rows carry a vector (the semantic model decides them)."""
    if VECTOR_COLUMN not in analysed:
        return np.zeros(len(analysed), dtype=bool)
    return np.array([v is not None for v in analysed[VECTOR_COLUMN]], dtype=bool)


def margins(proba: np.ndarray) -> np.ndarray:
    """How sure the model is of each row: the gap between its two most probable labels."""
    top2 = np.sort(proba, axis=1)[:, -2:]
    return top2[:, -1] - top2[:, 0]


def cascade_threshold(proba: np.ndarray, share: float) -> float:
    """The margin at or below which a comment goes to the semantic model, so that `share` of these rows would."""
    n = int(np.ceil(share * len(proba)))
    return float(np.sort(margins(proba))[n - 1]) if n else -np.inf


def cascade_mask(proba: np.ndarray, threshold: float) -> np.ndarray:
    """The rows the semantic model decides: a margin at most `threshold`. A fixed threshold, not a share of the
    batch, so a comment's route never depends on which other comments share its chunk or partition."""
    return margins(proba) <= threshold


def cascade_order(proba: np.ndarray, threshold: float) -> np.ndarray:
    """The rows of `cascade_mask`, least certain first (the order a budget of new embeddings is spent in)."""
    m = margins(proba)
    order = np.argsort(m, kind="stable")
    return order[m[order] <= threshold]


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


# Words ranked for the evidence: enough for five after dropping those a chosen keyword phrase already shows.
_EVIDENCE_CANDIDATES = 20


@lru_cache(maxsize=4)
def _feature_names(vectorizer: TfidfVectorizer) -> np.ndarray:
    """The vectorizer's words by column, listed once per fitted model rather than once per chunk of comments."""
    return vectorizer.get_feature_names_out()


def _ranked_words(X: sp.csr_matrix, winners: np.ndarray, weights: np.ndarray | None, names: np.ndarray
                  ) -> list[list[str]]:
    """Per row of `X` (TF-IDF of content lemmas, float32 like the evidence weights), its words that weigh for the
    row's winning label, strongest first (ties in column order), at most `_EVIDENCE_CANDIDATES`: one sort of the
    whole matrix's positive entries by row, then weight, instead of one per row."""
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    weight = X.data * (weights[winners[rows], X.indices] if weights is not None else 1.0)
    positive = np.flatnonzero(weight > 0)
    # The bits of a positive float32, read as an unsigned integer, order as its value does: the row and the inverted
    # bits make one integer key, sorted stably (equal weights keep their column order) in a tenth of the time
    # `np.lexsort` took over the row and the weight.
    key = (rows[positive].astype(np.uint64) << np.uint64(32)) | (~weight[positive].view(np.uint32)).astype(np.uint64)
    ranked = positive[np.argsort(key, kind="stable")]
    found = np.bincount(rows[positive], minlength=X.shape[0])
    rank = np.arange(len(ranked)) - np.repeat(np.cumsum(found) - found, found)
    words = names[X.indices[ranked[rank < _EVIDENCE_CANDIDATES]]].tolist()
    bounds = np.concatenate([[0], np.cumsum(np.minimum(found, _EVIDENCE_CANDIDATES))]).tolist()
    return [words[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


@lru_cache(maxsize=1 << 16)
def _folded_phrase(phrase: str) -> tuple[str, frozenset[str]]:
    """A phrase folded and its folded words. The phrases evidence is picked from are a model's words and keyword
    phrases: a bounded set, folded and split once each."""
    key = fold_chars(phrase)
    return key, frozenset(key.split())


def pick_evidence(candidates: list[str], most: int = 5) -> str:
    """Up to `most` distinct phrases, dropping a word already shown inside a longer phrase. Phrases are compared
    folded, so a word is named once, in its Polish spelling when a candidate up to the last one chosen has it."""
    chosen: list[tuple[str, frozenset[str]]] = []  # folded, and its words
    spelling: dict[str, str] = {}
    for phrase in candidates:
        key, words = _folded_phrase(phrase)
        if key in spelling:
            if spelling[key] == key:
                spelling[key] = phrase
            continue
        if any(words <= other for _, other in chosen):
            continue
        if len(chosen) == most:
            break
        chosen = [(c, other) for c, other in chosen if not other <= words]
        chosen.append((key, words))
        spelling[key] = phrase
    return "; ".join(spelling[c] for c, _ in chosen)


def label_columns(proba: np.ndarray, ids: Sequence[str], max_labels: int, secondary_ratio: float) -> pd.DataFrame:
    """`label` (the most probable), `labels` (up to `max_labels` whose probability reaches `secondary_ratio` of the
    first's, '|'-joined) and `confidence` from probabilities in the order of `ids`."""
    ids_arr = np.array(ids, dtype=object)
    order = np.argsort(-proba, axis=1)
    top = proba[np.arange(len(proba)), order[:, 0]]
    first = order[:, :max_labels]
    kept = np.take_along_axis(proba, first, axis=1) >= secondary_ratio * top[:, None]
    labels = ["|".join(itertools.compress(names, keep)) for names, keep in zip(ids_arr[first].tolist(), kept.tolist())]
    return pd.DataFrame({"label": ids_arr[order[:, 0]] if len(proba) else [], "labels": labels,
                         "confidence": np.round(top, 4)})


# ---------------------------------------------------------------------------------------------- models on disk


@lru_cache(maxsize=4)
def _cached_model(model_dir: str, mtime: float, taxonomy_path: str | None) -> CommentClassifier:
    taxonomy = load_taxonomy(taxonomy_path) if taxonomy_path else None
    model, _card = load_model(model_dir, taxonomy)
    if not isinstance(model, CommentClassifier):
        raise UserError("plik modelu nie zawiera klasyfikatora uwagi; wytrenuj go ponownie (uwagi train)",
                        path=model_dir)
    return model


def load_classifier(model_dir: Path | str, taxonomy_path: Path | str | None = None) -> CommentClassifier:
    """The model in `model_dir`, checked (sha256, taxonomy) and cached for the life of the process."""
    card = Path(model_dir) / "model.json"
    mtime = card.stat().st_mtime if card.exists() else 0.0
    return _cached_model(str(model_dir), mtime, str(taxonomy_path) if taxonomy_path else None)


def default_comment_type_model() -> CommentTypeModel:
    """The default model's comment-type model, for zero-shot runs and models trained without comment types."""
    type_model = load_classifier(resource_path(*DEFAULT_MODEL), resource_path(*DEFAULT_TAXONOMY)).type_model_
    if type_model is None:
        raise UserError("domyślny model nie ma modelu typów uwag; wytrenuj go ponownie (make model)",
                        path=resource_path(*DEFAULT_MODEL))
    return type_model
