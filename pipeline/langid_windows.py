"""py3langid's identifier that reads many texts' features at once, with numpy instead of its per-byte Python loop.

py3langid counts a text's features by walking a byte automaton one byte at a time in Python (`visit_counts`), about
a quarter of a microsecond a byte and most of its time. Its model's automaton forgets: after any six bytes it is in
the same state whatever state it started from (`bench/langid_window.py` proves it for the model py3langid 0.4.0
ships, by following the set of all states through every byte string until each set is one state). So the state
after a byte depends on that byte and the five before it alone, and all the states of a batch of texts are six
array look-ups over all their bytes. Each text's features, their counts and the order in which they first appear are
the walk's, and its scores the same product py3langid computes (`_sparse_score`), one text at a time, so the scores
are equal to the last bit and the languages are the library's (`_decide` and `classify` are its own code). A model
with other transitions (another py3langid) is walked byte by byte as before.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import numpy as np
from py3langid.langid import LanguageIdentifier

# After this many bytes the automaton is in one state whatever state it started from.
WINDOW = 6
# The bytes read together: a batch's arrays take up to about 60 bytes for each of its bytes (measured), so a chunk of
# long letters, or a whole table where a stage is given one, adds at most about 60 MB.
BATCH_BYTES = 1_000_000
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
        self._batch: dict[bytes, np.ndarray] = {}

    def classify_many(self, texts: list[str]) -> list[tuple[str, float]]:
        """`classify` of each text, the features of all of them counted together."""
        if self._windows:
            for encoded in _batches([self._encode(text) for text in texts]):
                self._batch.update((data, scores) for data, scores in zip(encoded, self.feature_scores(encoded))
                                   if scores is not None)
        try:
            return [self.classify(text) for text in texts]
        finally:
            self._batch = {}

    def feature_scores(self, encoded: list[bytes]) -> list[np.ndarray | None]:
        """Per text, py3langid's scores of its features (`_sparse_score` of `visit_counts`), None for no feature."""
        features, ends = self._features(encoded)
        text = np.repeat(np.arange(len(encoded)), np.diff(ends, prepend=0))
        found = features >= 0
        features, text = features[found], text[found]
        # Each text's features with their counts, in the order each first appears: py3langid sums their scores in
        # that order (`visit_counts` is a `Counter`), and a float sum in another order may differ in its last bit.
        table = self.nb_ptc
        _, first, counts = np.unique(text * len(table) + features, return_index=True, return_counts=True)
        order = np.argsort(first)
        first_at = first[order]
        rows = table[features[first_at].astype(np.intp)]
        weights = np.log1p(counts[order].astype(np.float32))
        bounds = np.searchsorted(text[first_at], np.arange(len(encoded) + 1)).tolist()
        return [weights[a:z] @ rows[a:z] + self.nb_pc if a < z else None for a, z in zip(bounds, bounds[1:])]

    def _features(self, encoded: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
        """The feature (or -1) at each byte of the texts one after another, as `visit_counts` meets them; where each
        text ends."""
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
        return self._feature[self._next[self._row_start[before] + data]], ends

    def _raw_score(self, text: bytes) -> np.ndarray:
        # A text's scores serve one classification (py3langid may change them in place). A text not found (a
        # repeat, or a batch another thread's `classify_many` ended) is walked: the same scores either way.
        scores = self._batch.pop(text, None)
        return super()._raw_score(text) if scores is None else scores


def _batches(encoded: list[bytes]) -> Iterator[list[bytes]]:
    """`encoded` in consecutive slices of at most `BATCH_BYTES` bytes, a longer text alone."""
    batch: list[bytes] = []
    size = 0
    for data in encoded:
        if batch and size + len(data) > BATCH_BYTES:
            yield batch
            batch, size = [], 0
        batch.append(data)
        size += len(data)
    if batch:
        yield batch
