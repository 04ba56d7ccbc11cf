"""The text a detector reads: earlier findings masked, so offsets stay those of the original text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.vocabulary import PLACEHOLDER, PLACEHOLDERS

# Found spans are masked with a character no detector matches, so offsets stay stable.
FOUND = "\x00"
# Every numeric identifier has at least eight digits in one run; most comments have no such run, and the number
# detectors that ask are spared.
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
        self.work = text
        self.lower = text.lower()  # for substring hints only; offsets may differ
        # A run of eight or more digits (with separators): an identifier may be in the text.
        self.has_digit_run = _DIGIT_CLUSTER.search(text) is not None
        self.spans: list[PiiSpan] = []

    def mentions(self, hints: tuple[str, ...]) -> bool:
        """The lower-cased text contains one of `hints`: a cheap test before running a costly pattern."""
        return any(map(self.lower.__contains__, hints))

    def add(self, start: int, end: int, kind: str) -> None:
        """Record `text[start:end]` as personal data of `kind` and mask it for the detectors that follow."""
        self.spans.append(PiiSpan(start, end, kind))
        self.work = self.work[:start] + FOUND * (end - start) + self.work[end:]
