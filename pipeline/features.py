"""Feature extraction for classification, over the Polish layer.

Texts are analysed once (`analyse`) into three strings per text; the feature union then reads those strings:
lemma word n-grams over content lemmas, character n-grams of the folded text (robust to typos and missing
diacritics) and per-label counts of taxonomy keywords matched on the folded lemma sequence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer

from pipeline import polish
from pipeline.clean import fold
from pipeline.taxonomy import Taxonomy

ANALYSED_COLUMNS = ("content", "lemmas", "folded")


def analyse(texts: Sequence[str], lemmatizer: str = "simplemma") -> pd.DataFrame:
    """One row per text: `content` (content lemmas), `lemmas` (folded lemmas of every word), `folded` text."""
    rows = []
    for a in polish.analyze(list(texts), lemmatizer=lemmatizer):
        rows.append((
            " ".join(lemma.lower() for lemma in a.content),
            # Folding the lemmas too lets keywords match comments typed without Polish letters.
            " ".join(fold(lemma) for lemma in a.lemmas if fold(lemma)),
            " ".join(t for t in a.folded if t),
        ))
    return pd.DataFrame(rows, columns=list(ANALYSED_COLUMNS))


def keyword_phrases(taxonomy: Taxonomy) -> list[tuple[tuple[str, ...], ...]]:
    """Per label, its keywords as tuples of folded lemmas, lemmatised like the texts."""
    phrases = []
    for label in taxonomy.labels:
        label_phrases = []
        for keyword in label.keywords:
            words = keyword.split()
            lemmas = tuple(fold(w) for w in polish.lemmatize_words(words))
            if all(lemmas):
                label_phrases.append(lemmas)
        phrases.append(tuple(dict.fromkeys(label_phrases)))
    return phrases


class KeywordMatcher(BaseEstimator, TransformerMixin):
    """Per-label keyword hit counts (log-scaled) from a space-joined folded lemma string.

    `phrases[k]` holds label k's keywords as tuples of folded lemmas; a phrase matches contiguous lemmas.
    """

    def __init__(self, phrases: Sequence[Sequence[tuple[str, ...]]] = (), weight: float = 1.0):
        self.phrases = phrases
        self.weight = weight

    def fit(self, X: Iterable[str], y: object = None) -> "KeywordMatcher":
        index: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        for k, label_phrases in enumerate(self.phrases):
            for phrase in label_phrases:
                index.setdefault(phrase[0], []).append((k, phrase))
        self.index_ = index
        self.n_labels_ = len(self.phrases)
        return self

    def matches(self, lemma_string: str) -> list[tuple[int, str]]:
        """(label index, matched phrase) for every keyword occurrence."""
        words = lemma_string.split()
        found = []
        for i, word in enumerate(words):
            for k, phrase in self.index_.get(word, ()):
                if tuple(words[i:i + len(phrase)]) == phrase:
                    found.append((k, " ".join(phrase)))
        return found

    def transform(self, X: Iterable[str]) -> sp.csr_matrix:
        rows, cols = [], []
        for i, text in enumerate(X):
            for k, _ in self.matches(text):
                rows.append(i)
                cols.append(k)
        n = len(X) if hasattr(X, "__len__") else (max(rows) + 1 if rows else 0)
        counts = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, self.n_labels_))
        counts.sum_duplicates()
        counts.data = self.weight * np.log1p(counts.data)
        return counts

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.array([f"keywords_{k}" for k in range(self.n_labels_)], dtype=object)


@dataclass(frozen=True)
class FeatureParams:
    """Chosen by grouped cross-validation in bench/tune_classify.py."""

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)
    min_df: int = 1
    keyword_weight: float = 1.0


def build_features(taxonomy: Taxonomy, params: FeatureParams = FeatureParams()) -> ColumnTransformer:
    """The feature union over an `analyse` frame; blocks are named `words`, `chars`, `keywords`."""
    words = TfidfVectorizer(analyzer="word", token_pattern=r"\S+", lowercase=False, ngram_range=params.word_ngrams,
                            min_df=params.min_df, sublinear_tf=True, dtype=np.float32)
    chars = TfidfVectorizer(analyzer="char_wb", lowercase=False, ngram_range=params.char_ngrams,
                            min_df=params.min_df, sublinear_tf=True, dtype=np.float32)
    keywords = KeywordMatcher(keyword_phrases(taxonomy), params.keyword_weight)
    return ColumnTransformer(
        [("words", words, "content"), ("chars", chars, "folded"), ("keywords", keywords, "lemmas")],
        sparse_threshold=1.0,
    )


def drop_fit_only_state(features: ColumnTransformer) -> None:
    """TfidfVectorizer keeps every pruned term in `stop_words_`, only for introspection; it bloats the pickle."""
    for _, transformer, _ in features.transformers_:
        if isinstance(transformer, TfidfVectorizer) and hasattr(transformer, "stop_words_"):
            transformer.stop_words_ = None
