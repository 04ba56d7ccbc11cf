"""The text a detector reads: earlier findings masked, so offsets stay those of the original text."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from pipeline.vocabulary import PLACEHOLDER, PLACEHOLDERS

# Found spans are masked with a character no detector matches, so offsets stay stable.
FOUND = "\x00"
# Every numeric identifier has at least eight digits in one run; most comments have no such run, and the number
# detectors that ask are spared. An address needs a digit (its house number or postal code).
_DIGIT = re.compile(r"\d")
_DIGIT_CLUSTER = re.compile(r"\d[\d ()+./–-]{6,}\d")


@dataclass(frozen=True, order=True)
class PiiSpan:
    start: int
    end: int
    kind: str


def placeholder(kind: str) -> str:
    """What replaces a span of `kind`: `[KIND]`, a word staff and later stages (`PLACEHOLDER`) recognise."""
    if kind in PLACEHOLDERS:
        return PLACEHOLDERS[kind]
    written = f"[{kind}]"
    if not PLACEHOLDER.fullmatch(written):
        raise ValueError(f"redaction kind {kind!r} must be capital letters, digits, '_' or '-', e.g. 'LEGITYMACJA'")
    return written


class Scan:
    """One text under analysis. Detectors read `work` (the text with every earlier finding replaced by `FOUND`)
    and report what they find with `add`."""

    def __init__(self, text: str):
        self.text = text
        self._work = text
        # Found since `_work` was built, by start: a long letter has thousands of findings, and rebuilding the
        # text for each one made redaction quadratic in its length.
        self._pending: list[tuple[int, int]] = []
        self._longest = 0
        self.lower = text.lower()  # for substring hints only; offsets may differ
        digit = _DIGIT.search(text)
        self.has_digit = digit is not None
        # A run of eight or more digits (with separators): an identifier may be in the text.
        self.has_digit_run = digit is not None and _DIGIT_CLUSTER.search(text, digit.start()) is not None
        self.spans: list[PiiSpan] = []

    def mentions(self, hints: tuple[str, ...]) -> bool:
        """The lower-cased text contains one of `hints`: a cheap test before running a costly pattern."""
        return any(map(self.lower.__contains__, hints))

    @property
    def work(self) -> str:
        """The text with every finding so far masked: built when a detector starts reading, not per finding."""
        if self._pending:
            self._work = self.masked(0, len(self._work))
            self._pending, self._longest = [], 0
        return self._work

    def masked(self, start: int, end: int) -> str:
        """`work[start:end]`, without building the whole of `work`: what a detector reads around each match."""
        start = max(start, 0)
        parts, pos = [], start
        first = bisect.bisect_left(self._pending, (start - self._longest, 0))
        for s, e in self._pending[first : bisect.bisect_left(self._pending, (end, 0))]:
            lo, hi = max(s, pos), min(e, end)
            if lo < hi:
                parts += [self._work[pos:lo], FOUND * (hi - lo)]
                pos = hi
        parts.append(self._work[pos:end])
        return "".join(parts)

    def add(self, start: int, end: int, kind: str) -> None:
        """Record `text[start:end]` as personal data of `kind` and mask it for the detectors that follow."""
        self.spans.append(PiiSpan(start, end, kind))
        bisect.insort(self._pending, (start, end))
        self._longest = max(self._longest, end - start)
