"""Polish sentence boundaries and the abbreviation list they rest on, shared by clustering and the Polish layer.

A regular-expression splitter, not a spaCy component: clustering splits every campaign letter of a 100k-comment
run, where a tokenizer pass per text would cost more than the clustering itself. The abbreviation list
(`resources/abbreviations_pl.txt`) also feeds the spaCy tokenizer and lemmatizer (`pipeline.polish`), so a word
kept whole there is the same word that does not end a sentence here.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from pipeline.resources import resource_lines


class Abbreviation(NamedTuple):
    lemma: str | None  # None: not a content word
    ends_sentence: bool


@lru_cache(maxsize=1)
def abbreviations() -> dict[str, Abbreviation]:
    """Abbreviation (as written, also capitalised) -> its lemma and whether it may close a sentence."""
    table: dict[str, Abbreviation] = {}
    for line in resource_lines("abbreviations_pl.txt"):
        abbr, lemma, *flags = line.split("\t")
        entry = Abbreviation(None if lemma == "-" else lemma, "end" in flags)
        table[abbr] = entry
        table.setdefault(abbr[:1].upper() + abbr[1:], entry)
    return table


@lru_cache(maxsize=1)
def _ends_by_abbreviation() -> dict[str, bool]:
    """Lower-case abbreviation without its final dot -> whether it may close a sentence."""
    return {abbr.lower().rstrip("."): entry.ends_sentence for abbr, entry in abbreviations().items()}


# A possible boundary: final punctuation, then (group 1) an optional closing quote or bracket and spaces. The
# punctuation is matched, not looked behind for, so the engine jumps to candidates instead of trying every position.
_SENTENCE_END = re.compile(r"[.!?…]([\"”»)]?\s+)")
# The word a full stop follows, with the dots inside it ("m.in.", "Dz.U.").
_LAST_WORD = re.compile(r"((?:\w+\.)*\w+)\.$")


def _ends_at(line: str, start: int, end: int) -> bool:
    """Whether the sentence that began at `start` ends with the punctuation just before `end`, given that the
    next sentence would open with a character that is not lower case."""
    # The word is all word characters and dots, so it starts after the last space: searched from there, not from
    # `start`, which would try every position of the sentence (quadratic in a long line).
    word = _LAST_WORD.search(line, max(start, line.rfind(" ", start, end) + 1), end)
    if word is None:  # "!", "?", "…" or a full stop after punctuation
        return True
    key = word.group(1)
    closes = _ends_by_abbreviation().get(key.lower())
    if closes is not None:
        # "w 2023 r. Jesteśmy" ends; "w 2023 r. (ok. 200 osób)" does not.
        return closes and line[end:].lstrip("\"”») \t")[:1].isupper()
    # An initial ("J. Kowalski") or a list number opening the sentence ("12. Proponujemy").
    if len(key) == 1 and key.isupper():
        return False
    return not (key.isdigit() and not line[start : word.start()].strip())


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: a line break always ends one; a full stop after an abbreviation that does
    not close sentences, after an initial or a list number, or before a lower-case word does not."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        start = 0
        for m in _SENTENCE_END.finditer(line):
            if line[m.end() : m.end() + 1].islower() or not _ends_at(line, start, m.start(1)):
                continue
            spans.append((pos + start, pos + m.end()))
            start = m.end()
        spans.append((pos + start, pos + len(line)))
        pos += len(line) + 1
    return [(a, b) for a, b in spans if text[a:b].strip()]


def split_sentences(text: str) -> list[str]:
    """The sentences of a text (see `sentence_spans`), stripped."""
    return [text[a:b].strip() for a, b in sentence_spans(text)]
