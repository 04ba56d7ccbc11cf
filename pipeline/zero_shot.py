"""Zero-shot classification: a taxonomy's keywords and descriptions, for a taxonomy without a trained model.

Two views of a comment are combined, each standardised across the labels so neither dominates by scale: keyword
and description-word overlap (the lexical view), and, when the sentence encoder is available, the cosine similarity
of the comment's passage vector to each label's e5 query ("query: name. goal. description") and to the label's
keywords embedded as a pseudo-example passage (the semantic view). Neither alone is enough (issue 12: keywords
0.63 macro-F1, similarity to the description 0.53 on held-out comments).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import softmax

from pipeline.classifier import (
    DEFAULT_LEMMATIZER, EMPTY_CONFIDENCE, CommentClassifier, default_comment_type_model, label_columns,
    pick_evidence,
)
from pipeline.encoder import DEFAULT_ENCODER, embed, get_encoder, open_cache
from pipeline.features import KeywordMatcher, analyse, keyword_phrases, says_nothing
from pipeline.taxonomy import Taxonomy


class ZeroShotClassifier:
    """Keyword and description matching for a taxonomy without a trained model; every label needs review."""

    def __init__(self, taxonomy: Taxonomy, lemmatizer: str = DEFAULT_LEMMATIZER, encoder: str = DEFAULT_ENCODER):
        self.taxonomy, self.lemmatizer, self.encoder = taxonomy, lemmatizer, encoder
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

    def label_vectors(self) -> np.ndarray:
        """Per label, its description as an e5 query and its keywords as a pseudo-example passage: (2, labels, dim)."""
        encoder = get_encoder(self.encoder)
        queries = encoder.queries([f"{lb.name}. {lb.goal} {lb.description}" for lb in self.taxonomy.labels])
        examples = embed([f"{lb.name}: {', '.join(lb.keywords)}" for lb in self.taxonomy.labels], encoder,
                         open_cache())
        return np.stack([queries, examples])

    def predict_frame(self, texts: Sequence[str], semantic: bool = False, langs: Sequence[str] | None = None
                      ) -> pd.DataFrame:
        """The classify stage's columns, as `CommentClassifier.predict_frame` gives them; `semantic`: with the
        sentence encoder's view (EncoderUnavailable without it), every comment embedded; `langs` as in `analyse`."""
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
        if semantic:
            vectors = embed(list(texts), get_encoder(self.encoder), open_cache())
            similarity = np.einsum("nd,sld->nl", vectors, self.label_vectors())
            scores = _standardised(scores) + _standardised(similarity)
        proba = softmax(scores, axis=1)
        cols = label_columns(proba, self.taxonomy.ids, self.max_labels, self.secondary_ratio)
        empty = says_nothing(analysed)
        cols.loc[empty, "confidence"] = np.minimum(cols.loc[empty, "confidence"], EMPTY_CONFIDENCE)
        cols["needs_review"] = True
        cols["semantic"] = semantic
        cols["evidence"] = evidence
        cols["comment_type"] = default_comment_type_model().predict(analysed)
        return cols


def _standardised(scores: np.ndarray) -> np.ndarray:
    """Each row centred on its mean over the labels and divided by its spread (a row without spread stays 0)."""
    centred = scores - scores.mean(axis=1, keepdims=True)
    spread = centred.std(axis=1, keepdims=True)
    return np.divide(centred, spread, out=np.zeros_like(centred), where=spread > 0)
