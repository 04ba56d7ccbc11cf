"""Character n-grams as integers: a fitted vocabulary's n-grams found in many words at once by numpy.

`CharNgrams` remembers each word's n-gram columns, but words not met before keep coming (a tenth of a warm worker's
prediction time went to them): cutting each of their n-grams as a Python string and looking it up was a Python step
per n-gram. Written as integers (each character a digit of base `len(characters) + 1`, digits from 1, so every
string of the vocabulary's characters has a number of its own), all the n-grams of a chunk's new words are numbered
by array arithmetic over their characters and found among the vocabulary's by one sorted search.
"""

from __future__ import annotations

import numpy as np


class GramCodes:
    """A vocabulary's n-grams (`CharNgrams.vocabulary_`: n-gram -> column) as sorted integers and their columns."""

    def __init__(self, vocabulary: dict[str, int], digits: np.ndarray, base: int):
        self.digits = digits  # code point -> digit (0: a character no n-gram of the vocabulary has)
        self.base = base
        grams = list(vocabulary)
        codes = np.zeros(len(grams), dtype=np.int64)
        lengths = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))
        for n in np.unique(lengths).tolist():
            which = np.flatnonzero(lengths == n)
            codes[which] = self._numbers(self._digits("".join([grams[i] for i in which.tolist()])).reshape(-1, n))
        order = np.argsort(codes)
        self.codes = codes[order]
        self.columns = np.fromiter(vocabulary.values(), dtype=np.int32, count=len(grams))[order]

    @classmethod
    def of(cls, vocabulary: dict[str, int], longest: int) -> GramCodes | None:
        """The vocabulary's codes, or None when n-grams of `longest` characters would not fit in 63 bits (thousands
        of distinct characters)."""
        characters = sorted({ch for gram in vocabulary for ch in gram})
        base = len(characters) + 1
        if not characters or base ** max(longest, *map(len, vocabulary)) > 2 ** 63:
            return None
        digits = np.zeros(ord(characters[-1]) + 2, dtype=np.int64)  # the last entry stands for every code point above
        digits[[ord(ch) for ch in characters]] = np.arange(1, base)
        return cls(vocabulary, digits, base)

    def _digits(self, text: str) -> np.ndarray:
        points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        return self.digits[np.minimum(points, len(self.digits) - 1)]

    def _numbers(self, digits: np.ndarray) -> np.ndarray:
        """Rows of digits as numbers (first digit most significant)."""
        numbers = np.zeros(len(digits), dtype=np.int64)
        for k in range(digits.shape[1]):
            numbers = numbers * self.base + digits[:, k]
        return numbers

    def word_columns(self, words: list[str], low: int, high: int) -> tuple[np.ndarray, np.ndarray]:
        """The columns of the n-grams (n from `low` to `high`) of each word padded by a space on each side, those
        in the vocabulary, word after word, each word's by n then position (`CharNgrams._columns`' order), and how
        many each word has."""
        if not words:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64)
        padded = np.fromiter(map(len, words), dtype=np.int64, count=len(words)) + 2
        digits = self._digits(f" {'  '.join(words)} ")
        at = np.arange(len(digits))
        # How many characters an n-gram starting here may span: to its word's end, and not over an unknown character
        # (whose n-grams are in no vocabulary).
        stop = np.repeat(np.cumsum(padded), padded)
        unknown = np.flatnonzero(digits == 0)
        if len(unknown):
            following = np.full(len(digits), len(digits))
            following[unknown] = unknown
            stop = np.minimum(stop, np.minimum.accumulate(following[::-1])[::-1])
        room = stop - at
        word = np.repeat(np.arange(len(words)), padded)
        found_words, found_columns = [], []
        numbers = digits
        for n in range(1, high + 1):
            if n > 1:
                numbers = numbers[:-1] * self.base + digits[n - 1:]
            if n < low:
                continue
            whole = np.flatnonzero(room[:len(numbers)] >= n)
            codes = numbers[whole]
            place = np.minimum(np.searchsorted(self.codes, codes), len(self.codes) - 1)
            known = self.codes[place] == codes
            found_words.append(word[whole[known]])
            found_columns.append(self.columns[place[known]])
        found = np.concatenate(found_words)
        order = np.argsort(found, kind="stable")  # by word; within a word still by n, then position
        return np.concatenate(found_columns)[order], np.bincount(found, minlength=len(words))
