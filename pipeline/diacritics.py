"""Restore Polish letters in words typed without them ("wspolpraca" -> "współpraca").

Every word form in wordfreq's Polish list is keyed by its ASCII-folded spelling; a folded word is replaced by the
most frequent form sharing its key. The bare spelling competes too, so real words such as "program" stay as they
are. Context is ignored: "ze" always becomes the more frequent "że" (both are function words anyway).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import lru_cache
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

from pipeline.cache_dir import cache_dir
from pipeline.hashing import file_sha256
from pipeline.polish_dictionary import cached_table

# The restorations, kept in the cache folder in the Polish dictionary's table format: opening the file takes
# milliseconds, building the mapping from wordfreq's list about a second of CPU in every process that meets a
# comment typed without Polish letters.
FILE_NAME = "wordfreq-pl-restorations.table"
_BUILD = "restorations-1"  # bump when `_build_restorations` changes what it keeps

_POLISH_TO_ASCII = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")


def fold_polish(word: str) -> str:
    """Remove the Polish diacritics only (cheaper than NFKD for a 450k-word list)."""
    return word.translate(_POLISH_TO_ASCII)


@lru_cache(maxsize=1)
def polish_frequencies() -> dict[str, float]:
    """wordfreq's large Polish list: lower-case word form -> frequency (shipped inside the wheel)."""
    import wordfreq

    return wordfreq.get_frequency_dict("pl", wordlist="large")


def _source_digest() -> bytes:
    """What the restorations are built from: wordfreq's version and large Polish list, and how they are built."""
    # The list is found without importing wordfreq (a fifth of a second of CPU that a run with the table built
    # never needs); wordfreq ships it as a plain file in its package folder.
    source = Path(find_spec("wordfreq").submodule_search_locations[0]) / "data" / "large_pl.msgpack.gz"
    return hashlib.sha256(f"{_BUILD}\0{metadata.version('wordfreq')}\0{file_sha256(source)}".encode()).digest()


@lru_cache(maxsize=1)
def _restorations() -> Mapping[str, str]:
    """Folded spelling -> the most frequent word form with it, where the two differ."""
    return cached_table(cache_dir() / FILE_NAME, _source_digest(), _build_restorations)


def _build_restorations() -> dict[str, str]:
    best: dict[str, tuple[float, str]] = {}
    for word, freq in polish_frequencies().items():
        if not word.isalpha():
            continue
        key = fold_polish(word)
        if key not in best or best[key][0] < freq:
            best[key] = (freq, word)
    return {key: word for key, (_, word) in best.items() if word != key}


@lru_cache(maxsize=200_000)
def restore_word(word: str) -> str:
    """The most likely Polish spelling of a word typed without Polish letters, keeping its case pattern."""
    restored = _restorations().get(word.lower())
    if restored is None:
        return word
    if word.isupper() and len(word) > 1:
        return restored.upper()
    if word[:1].isupper():
        return restored[:1].upper() + restored[1:]
    return restored
