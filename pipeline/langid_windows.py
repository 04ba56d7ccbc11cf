"""py3langid's identifier that reads many texts' features at once, with numpy instead of its per-byte Python loop.

py3langid counts a text's features by walking a byte automaton one byte at a time in Python (`visit_counts`), about
a quarter of a microsecond a byte and most of its time. Its model's automaton forgets: after any six bytes it is in
the same state whatever state it started from (`bench/langid_window.py` proves it for the model py3langid 0.4.0
ships, by following the set of all states through every byte string until each set is one state). So the state
after a byte depends on that byte and the five before it alone, and all the states of a batch of texts are six
array look-ups over all their bytes. The features, their counts and the order in which they first appear are the
walk's; the scores are then py3langid's own code (`_sparse_score`, `_decide`, `classify`), so the languages are the
library's. A model with other transitions (another py3langid) is walked byte by byte as before.
"""

from __future__ import annotations

import zlib
from collections import Counter

import numpy as np
from py3langid.langid import LanguageIdentifier

# After this many bytes the automaton is in one state whatever state it started from.
WINDOW = 6
# CRC-32 of the transitions that `bench/langid_window.py` proved forget after `WINDOW` bytes (py3langid 0.4.0).
PROVEN_TRANSITIONS = 0x96FD3E27


def transitions_fingerprint(identifier: LanguageIdentifier) -> int:
    """CRC-32 of the automaton's transitions: its distinct rows of 256 next states, then each state's row."""
    return zlib.crc32(identifier.tk_row, zlib.crc32(identifier.tk_nextmove))


class WindowedIdentifier(LanguageIdentifier):
    """`LanguageIdentifier` with `classify_many`: the same answers as `classify` for each text."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._windows = transitions_fingerprint(self) == PROVEN_TRANSITIONS
        if self._windows:
            item = {2: np.uint16, 4: np.uint32, 8: np.uint64}[self.tk_nextmove.itemsize]
            self._next = np.frombuffer(self.tk_nextmove, dtype=item)  # the model's own memory, not a copy
            self._row_start = np.asarray(self._rowbase, dtype=np.int64)
            self._feature = np.asarray(self.tk_output, dtype=np.int32)
        self._batch: dict[bytes, Counter[int] | None] = {}

    def classify_many(self, texts: list[str]) -> list[tuple[str, float]]:
        """`classify` of each text, the features of all of them counted together."""
        if self._windows:
            encoded = [self._encode(text) for text in texts]
            self._batch = dict(zip(encoded, self.feature_counts(encoded)))
        try:
            return [self.classify(text) for text in texts]
        finally:
            self._batch = {}

    def feature_counts(self, encoded: list[bytes]) -> list[Counter[int] | None]:
        """Per text, `visit_counts`' answer: its features' counts in the order each first appears, None for none."""
        if not encoded:
            return []
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        data = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        ends = np.cumsum(lengths)
        # The state before each byte, from the WINDOW - 1 bytes before it as if every text went on before its start.
        before = np.zeros(len(data), dtype=np.int64)
        for back in range(WINDOW - 1, 0, -1):
            before[back:] = self._next[self._row_start[before[back:]] + data[: max(len(data) - back, 0)]]
        # Near a text's start fewer bytes came before: those few positions are walked from state 0, as py3langid does.
        offset = np.arange(WINDOW - 1)
        near = offset < lengths[:, None]
        head = ((ends - lengths)[:, None] + offset)[near]
        at = np.broadcast_to(offset, near.shape)[near]
        state = np.zeros(len(head), dtype=np.int64)
        for back in range(WINDOW - 1, 0, -1):
            moves = at >= back
            state[moves] = self._next[self._row_start[state[moves]] + data[head[moves] - back]]
        before[head] = state
        features = self._feature[self._next[self._row_start[before] + data]]
        return [Counter(found[found >= 0].tolist()) or None for found in np.split(features, ends[:-1])]

    def _raw_score(self, text: bytes) -> np.ndarray:
        visits = self._batch.get(text)
        if visits:
            return self._sparse_score(visits, self.nb_ptc)
        return super()._raw_score(text)
