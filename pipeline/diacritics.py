"""Restore Polish letters in words typed without them ("wspolpraca" -> "współpraca").

Every word form in wordfreq's Polish list is keyed by its ASCII-folded spelling; a folded word is replaced by the
most frequent form sharing its key. The bare spelling competes too, so real words such as "program" stay as they
are. Context is ignored: "ze" always becomes the more frequent "że" (both are function words anyway).
"""

from __future__ import annotations

from functools import lru_cache

_POLISH_TO_ASCII = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")


def fold_polish(word: str) -> str:
    """Remove the Polish diacritics only (cheaper than NFKD for a 450k-word list)."""
    return word.translate(_POLISH_TO_ASCII)


@lru_cache(maxsize=1)
def polish_frequencies() -> dict[str, float]:
    """wordfreq's large Polish list: lower-case word form -> frequency (shipped inside the wheel)."""
    import wordfreq

    return wordfreq.get_frequency_dict("pl", wordlist="large")


@lru_cache(maxsize=1)
def _restorations() -> dict[str, str]:
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
