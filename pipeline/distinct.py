"""Row-wise work done once per distinct value: a batch repeats texts (a campaign's copies of one letter, a comment
sent twice), and the row-wise stages' text functions depend on the text alone."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def map_distinct(func: Callable[[K], V], values: Iterable[K]) -> list[V]:
    """`[func(v) for v in values]`, calling `func` once per distinct value; copies share the one result."""
    done: dict[K, V] = {}
    return [done[v] if v in done else done.setdefault(v, func(v)) for v in values]
