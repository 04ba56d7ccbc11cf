"""Seeded samples for the checks that a shortcut gives what the plain code gives: every kind of text the shortcut
treats apart, a few hundred of each at most, so a check over a large corpus stays cheap and still meets each kind."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable


def stratified(texts: Iterable[str], kind: Callable[[str], Hashable], per_kind: int, seed: int = 0) -> list[str]:
    """Up to `per_kind` of the distinct `texts` of each `kind(text)`, drawn at random (seeded); every text of a
    rarer kind. In the corpus's order."""
    distinct = list(dict.fromkeys(texts))
    by_kind: dict[Hashable, list[int]] = defaultdict(list)
    for i, text in enumerate(distinct):
        by_kind[kind(text)].append(i)
    rng = random.Random(seed)
    chosen = [i for ids in by_kind.values() for i in (ids if len(ids) <= per_kind else rng.sample(ids, per_kind))]
    return [distinct[i] for i in sorted(chosen)]
