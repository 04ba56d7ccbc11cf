"""Zero-shot classification: a taxonomy's keywords and descriptions, for a taxonomy without a trained model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import softmax

from pipeline.classifier import (
    DEFAULT_LEMMATIZER, CommentClassifier, default_comment_type_model, label_columns, pick_evidence,
)
from pipeline.features import KeywordMatcher, analyse, keyword_phrases
from pipeline.taxonomy import Taxonomy


class ZeroShotClassifier:
    """Keyword and description matching for a taxonomy without a trained model; every label needs review."""

    def __init__(self, taxonomy: Taxonomy, lemmatizer: str = DEFAULT_LEMMATIZER):
        self.taxonomy, self.lemmatizer = taxonomy, lemmatizer
        self.keywords = KeywordMatcher(keyword_phrases(taxonomy)).fit([])
        # Description words count less than curated keywords: they are less specific.
        docs = analyse([f"{lb.name} {lb.goal} {lb.description}" for lb in taxonomy.labels], lemmatizer)
        self.description_words = [set(d.split()) for d in docs["lemmas"]]
        # Comments that match nothing go to the catch-all label (one without keywords), if the taxonomy has one.
        empty = [i for i, lb in enumerate(taxonomy.labels) if not lb.keywords]
        self.fallback = empty[0] if empty else None
        # Further labels are listed as a trained classifier with the default parameters lists them.
        defaults = CommentClassifier(taxonomy)
        self.max_labels, self.secondary_ratio = defaults.max_labels, defaults.secondary_ratio

    def predict_frame(self, texts: Sequence[str], langs: Sequence[str] | None = None) -> pd.DataFrame:
        """The classify stage's columns, as `CommentClassifier.predict_frame` gives them."""
        analysed = analyse(texts, self.lemmatizer, langs=langs)
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
            evidence.append(pick_evidence(list(dict.fromkeys(p for k, p in hits if k == winner))))
        if self.fallback is not None:
            scores[scores.max(axis=1) == 0, self.fallback] = 1.0
        proba = softmax(scores, axis=1)
        cols = label_columns(proba, self.taxonomy.ids, self.max_labels, self.secondary_ratio)
        cols["needs_review"] = True
        cols["evidence"] = evidence
        cols["comment_type"] = default_comment_type_model().predict(analysed)
        return cols
