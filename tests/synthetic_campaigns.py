"""Seeded generator of consultation corpora with campaigns, and the scores used to judge a clustering.

A corpus mixes unique comments, campaign members (a template with human edits: typos, Polish letters stripped,
personal sentences added at the start or end, a sentence or paragraph cut, a word changed, other greetings and
signatures, redaction placeholders) and exact/whitespace/case duplicates of earlier comments. Text is built from
sentences of a sample (stock phrases that unrelated comments share, as real ones do) and from words drawn by
Polish frequency (wordfreq), so character statistics resemble real Polish. Shared by the scale test and the
benchmark.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import wordfreq

from pipeline.clean import fold

_GREETINGS = ("Szanowni Państwo,", "Dzień dobry,", "Witam,", "Szanowna Pani Prezydent,", "Dzień dobry!")
_CLOSINGS = ("Z poważaniem", "Pozdrawiam", "Z wyrazami szacunku", "Łączę pozdrowienia", "Serdecznie pozdrawiam")
_FIRST = ("Anna", "Piotr", "Katarzyna", "Tomasz", "Magdalena", "Paweł", "Agnieszka", "Michał", "Ewa", "Jan", "Zofia")
_LAST = ("Nowak", "Kowalska", "Wiśniewski", "Wójcik", "Kamińska", "Lewandowski", "Zielińska", "Szymański",
         "Dąbrowska")
_PLACEHOLDERS = ("[EMAIL]", "[TELEFON]", "[OSOBA]", "[ADRES]")
_SHORT = ("Popieram.", "Brak uwag.", "Nie popieram.", "Popieram projekt.", "Jestem przeciw.", "Zgadzam się.",
          "Dobry program.", "Nie mam uwag", "test", "Popieram w całości.")
_NO_POLISH_LETTERS = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-ZĄĆĘŁŃÓŚŹŻ])|\n+")


@dataclass
class Corpus:
    frame: pd.DataFrame  # comment_id, text_clean
    truth: np.ndarray  # one label per row; rows with the same label belong together


class _Writer:
    def __init__(self, rng: np.random.Generator, sample: Sequence[str]) -> None:
        self.rng = rng
        words = wordfreq.top_n_list("pl", 20_000)
        frequencies = wordfreq.get_frequency_dict("pl")
        freq = np.array([frequencies.get(w, 0.0) for w in words])
        self.words = np.array(words, dtype=object)
        self.cdf = np.cumsum(freq / freq.sum())
        stock = {s.strip() for t in sample for s in _SENTENCE_SPLIT.split(t) if 6 <= len(s.split()) <= 40}
        self.stock = sorted(stock)
        self._buffer: list[str] = []
        self._pos = 0

    def _draw(self, n: int) -> list[str]:
        # Words are drawn in bulk: per-sentence numpy calls would dominate the time of a 1M corpus.
        if self._pos + n > len(self._buffer):
            idx = np.searchsorted(self.cdf, self.rng.random(200_000))
            self._buffer = self.words[np.minimum(idx, len(self.words) - 1)].tolist()
            self._pos = 0
        self._pos += n
        return self._buffer[self._pos - n : self._pos]

    def sentence(self) -> str:
        n = 6 + int(self.rng.random() * 16)
        return " ".join(self._draw(n)).capitalize() + ".?!."[int(self.rng.random() * 4)]

    def sentences(self, lo: int, hi: int, stock_share: float = 0.3) -> list[str]:
        out = [self.sentence() for _ in range(int(self.rng.integers(lo, hi + 1)))]
        if self.stock and self.rng.random() < stock_share:
            out.insert(int(self.rng.integers(0, len(out) + 1)), self.stock[int(self.rng.integers(len(self.stock)))])
        return out

    def signature(self) -> str:
        r = self.rng
        name = f"{r.choice(_FIRST)} {r.choice(_LAST)}"
        lines = [str(r.choice(_CLOSINGS)), name]
        if r.random() < 0.3:
            lines.append(str(r.choice(_PLACEHOLDERS)))
        return "\n".join(lines)

    def frame_letter(self, paragraphs: list[list[str]]) -> str:
        r = self.rng
        body = "\n\n".join(" ".join(p) for p in paragraphs if p)
        if r.random() < 0.5:
            body = f"{r.choice(_GREETINGS)}\n{body}"
        if r.random() < 0.6:
            body = f"{body}\n\n{self.signature()}"
        return body

    def typo(self, text: str) -> str:
        r = self.rng
        if len(text) < 10:
            return text
        i = int(r.random() * (len(text) - 2))
        if not text[i].isalpha():
            return text
        kind = int(r.random() * 4)
        if kind == 0:
            return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        if kind == 1:
            return text[:i] + text[i + 1 :]
        if kind == 2:
            return text[:i] + text[i] + text[i:]
        return text[:i] + str(r.choice(list("aeioulnrstzk"))) + text[i + 1 :]

    def change_word(self, sentence: str) -> str:
        words = sentence.split()
        words[int(self.rng.integers(len(words)))] = str(self.rng.choice(self.words[:3000]))
        return " ".join(words)


def _member(w: _Writer, template: list[list[str]]) -> str:
    r = w.rng
    paragraphs = [list(p) for p in template]
    if r.random() < 0.2 and sum(map(len, paragraphs)) > 3:
        # Cut one sentence, or a whole paragraph when there are several.
        if len(paragraphs) > 2 and r.random() < 0.5:
            paragraphs.pop(int(r.integers(1, len(paragraphs))))
        else:
            p = max(paragraphs, key=len)
            p.pop(int(r.integers(len(p))))
    if r.random() < 0.3:
        p = paragraphs[int(r.integers(len(paragraphs)))]
        j = int(r.integers(len(p)))
        p[j] = w.change_word(p[j])
    if r.random() < 0.35:
        # Personal sentences: usually a few, sometimes a paragraph as long as the template itself.
        long = r.random() < 0.15
        extra = [w.sentence() for _ in range(int(r.integers(3, 7)) if long else int(r.integers(1, 3)))]
        if r.random() < 0.5:
            paragraphs.insert(0, extra)
        else:
            paragraphs.append(extra)
    text = w.frame_letter(paragraphs)
    for _ in range(int(r.poisson(len(text) / 400))):
        text = w.typo(text)
    if r.random() < 0.2:
        text = text.translate(_NO_POLISH_LETTERS)
    return text


def _duplicate(r: np.random.Generator, text: str) -> str:
    kind = r.integers(4)
    if kind == 0:
        return text
    if kind == 1:
        return text.replace(" ", "  ", 3).replace(",", " ,", 1)
    if kind == 2:
        return text.lower()
    return text.rstrip(".") + "!!"


def make_corpus(n: int, seed: int = 0, sample: Sequence[str] = (), unique_share: float = 0.3,
                campaign_share: float = 0.4, short_share: float = 0.05) -> Corpus:
    """`n` comments: `unique_share` unique (some very short), `campaign_share` campaign members, the rest
    duplicates of earlier comments. Campaign sizes are heavy-tailed (a few hundred down to two)."""
    r = np.random.default_rng(seed)
    w = _Writer(r, sample)
    n_unique = int(n * unique_share)
    n_members = int(n * campaign_share)
    texts: list[str] = []
    labels: list[str] = []
    for i in range(n_unique):
        if r.random() < short_share:
            texts.append(str(r.choice(_SHORT)))
        else:
            paragraphs = [w.sentences(1, 3, stock_share=0.0) for _ in range(int(r.integers(1, 4)))]
            if sum(map(len, paragraphs)) >= 3 and w.stock and r.random() < 0.3:
                # A stock phrase shared with other letters, but never most of this one.
                paragraphs[-1].append(w.stock[int(r.integers(len(w.stock)))])
            texts.append(w.frame_letter(paragraphs))
        labels.append(f"u{i}")
    sizes: list[int] = []
    while sum(sizes) < n_members:
        sizes.append(min(int(2 + r.lognormal(1.5, 1.3)), max(2, n // 50)))
    sizes[-1] -= sum(sizes) - n_members
    for c, size in enumerate(sizes):
        template = [w.sentences(2, 4, stock_share=0.5) for _ in range(int(r.integers(2, 5)))]
        for _ in range(size):
            texts.append(_member(w, template))
            labels.append(f"k{c}")
    order = r.permutation(len(texts))
    texts = [texts[i] for i in order]
    labels = [labels[i] for i in order]
    for _ in range(n - len(texts)):
        j = int(r.integers(len(texts)))
        texts.append(_duplicate(r, texts[j]))
        labels.append(labels[j])
    # Different people writing the very same short text are exact duplicates too.
    first_label: dict[str, str] = {}
    for i, t in enumerate(texts):
        labels[i] = first_label.setdefault(fold(t), labels[i])
    frame = pd.DataFrame({"comment_id": [f"s{i:07d}" for i in range(n)], "text_clean": texts})
    return Corpus(frame, np.asarray(labels, dtype=object))


def pair_scores(truth: Sequence, predicted: Sequence) -> tuple[float, float, float]:
    """Pair precision, recall and F1 of a clustering (pairs of rows put together), counted without enumerating."""
    both = pd.DataFrame({"t": pd.factorize(np.asarray(truth, dtype=object))[0],
                         "p": pd.factorize(np.asarray(predicted, dtype=object))[0]})

    def pairs(counts: pd.Series) -> int:
        c = counts.to_numpy(dtype=np.int64)
        return int((c * (c - 1) // 2).sum())

    tp = pairs(both.groupby(["t", "p"]).size())
    pred, true = pairs(both.groupby("p").size()), pairs(both.groupby("t").size())
    precision = tp / pred if pred else 1.0
    recall = tp / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def bcubed_f1(truth: Sequence, predicted: Sequence) -> float:
    """B-cubed F1: per row, precision and recall of its predicted cluster against its true one, averaged."""
    both = pd.DataFrame({"t": pd.factorize(np.asarray(truth, dtype=object))[0],
                         "p": pd.factorize(np.asarray(predicted, dtype=object))[0]})
    cell = both.groupby(["t", "p"])["t"].transform("size")
    precision = (cell / both.groupby("p")["p"].transform("size")).mean()
    recall = (cell / both.groupby("t")["t"].transform("size")).mean()
    return float(2 * precision * recall / (precision + recall))
