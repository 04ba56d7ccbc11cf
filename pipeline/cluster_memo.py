"""What clustering derives from a cluster's texts alone, remembered between nights.

Each night groups every comment again (a new one may join any cluster), and then, per cluster, reads its letters
again for what each member adds beyond the template (`added_text`) and for the template itself (clusters.csv): about
a fifth of a next night's CPU, although most clusters are those of the night before. Both results depend on nothing
but texts and settings: a member's added text on the cluster's first letters (which make the template) and its own
text, a template on the representative's text and the first letters of its members. So they are remembered by a
fingerprint of exactly those inputs (and uwagi's version): a cluster that grew keeps its first letters, and its
known members and its template cost nothing. The folded core of each unit in a candidate pair, which verifying
reads, is remembered by its text alone. A run remembers only within `remembering` (a night with a state,
which keeps tonight's entries for the next); elsewhere everything is computed as before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from pipeline import __version__


@dataclass
class Memo:
    stored: Mapping[str, str]  # fingerprint → result, from the night before
    used: dict[str, str] = field(default_factory=dict)  # tonight's entries, remembered or computed


_MEMO: ContextVar[Memo | None] = ContextVar("cluster_memo", default=None)


@contextmanager
def remembering(stored: Mapping[str, str]) -> Iterator[Memo]:
    """Within the block, `remembered` takes results from `stored` and collects tonight's in the memo it yields."""
    memo = Memo(stored)
    token = _MEMO.set(memo)
    try:
        yield memo
    finally:
        _MEMO.reset(token)


def active() -> bool:
    """Whether results are remembered in this run: a caller fingerprints its inputs only then."""
    return _MEMO.get() is not None


def fingerprint(*parts: object) -> str:
    """A fingerprint of JSON-able inputs and uwagi's version (JSON, not a separator: no text makes two alike)."""
    return hashlib.sha256(json.dumps([__version__, *parts], ensure_ascii=False).encode()).hexdigest()[:32]


def remembered(keys: Sequence[str], compute: Callable[[Sequence[int]], Sequence[str]]) -> list[str]:
    """The results fingerprinted `keys`: remembered from the night before where they were, the others from
    `compute`, which gets their positions (all of them outside `remembering`)."""
    memo = _MEMO.get()
    if memo is None:
        return list(compute(range(len(keys))))
    found = [memo.used.get(key, memo.stored.get(key)) for key in keys]
    todo = [n for n, value in enumerate(found) if value is None]
    if todo:
        for n, value in zip(todo, compute(todo)):
            found[n] = value
    memo.used.update(zip(keys, found))
    return found  # type: ignore[return-value]
