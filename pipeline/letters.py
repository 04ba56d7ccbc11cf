"""Letter conventions: the formulas that close a comment before its signature ("Z poważaniem", "Pozdrawiam").

Clustering cuts a comment at a closing so that signatures cannot make two comments look alike; redaction reads a
name on the line after a closing as a signature. Both build their patterns from this one list, so a formula added
here is known to both. Phrases are written in lower case with Polish letters; a trailing `*` lets the last word take
any ending ("pozdrawiam*" also covers "pozdrawiamy").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pipeline.clean import fold_chars

CLOSINGS = (
    "z poważaniem", "z wyrazami szacunku", "z szacunkiem", "z uszanowaniem", "z pozdrowieniami",
    "pozdrawiam*", "serdecznie pozdrawiam*", "gorąco pozdrawiam*", "ciepło pozdrawiam*",
    "pozdrowienia", "serdeczne pozdrowienia", "łączę pozdrowienia", "łączę wyrazy szacunku", "łączę wyrazy uznania",
    "z podziękowaniem", "z góry dziękuję*",
    "best regards", "kind regards", "regards", "sincerely",
    "з повагою", "с уважением",
)


def phrases_pattern(phrases: tuple[str, ...], spell: Callable[[str], str] = str) -> str:
    """A regex (no capturing group) matching any of `phrases`, each spelt by `spell` (e.g. folded), words joined by
    one space. Phrases are merged on their common beginnings ("z poważaniem|z pozdrowieniami" becomes
    "z[ ]po(?:ważaniem|zdrowieniami)"), so a line that starts with none of them is rejected in a few steps; where
    one phrase continues another, the longer is tried first."""
    trie: dict = {}
    for phrase in phrases:
        node = trie
        tokens = ["[ ]" if c == " " else re.escape(c) for c in " ".join(spell(phrase.rstrip("*")).split())]
        for token in tokens + ([r"\w*"] if phrase.endswith("*") else []):
            node = node.setdefault(token, {})
        node[""] = {}
    return _trie_pattern(trie)


def _trie_pattern(node: dict) -> str:
    branches = [token + _trie_pattern(child) for token, child in node.items() if token]
    if not branches:
        return ""
    if len(branches) == 1 and "" not in node:
        return branches[0]
    return "(?:" + "|".join(branches) + ")" + ("?" if "" in node else "")


def first_words_pattern(phrases: tuple[str, ...]) -> str:
    """A regex alternation of the phrases' first words, matching each typed with or without Polish letters: a cheap
    test on raw text before folding a line to compare it with the phrases."""
    alternatives = []
    for phrase in phrases:
        first = phrase.split()[0]
        letters = "".join(f"[{c}{fold_chars(c)}]" if fold_chars(c) != c else re.escape(c) for c in first.rstrip("*"))
        alternatives.append(letters + (r"\w*" if first.endswith("*") else r"\b"))
    return "|".join(dict.fromkeys(alternatives))
