"""The independent pieces of a batch-wide stage, run where the engine says.

A batch-wide stage (clustering, themes) decides on the whole batch, but some of its work falls into pieces that are
pure and independent of each other: clustering's added text per batch of whole clusters, themes per goal. The stage
runs them with `mapped`: one after another in this process by default (one process, `--jobs 1`, the Dask client, a
nightly run), or, while the engine says so (`mapping_with`: a spilled run's worker pool, which would otherwise wait
for the stage), wherever the engine sends them. Either way the results come in the order of the pieces, so the stage
gives the same table. While a night remembers clustering's results (`cluster_memo`), the pieces stay in this
process whatever the engine says: the memo lives here, and what a worker computed would be missing from the next
night's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from contextvars import ContextVar
from typing import Any, TypeVar

from pipeline import cluster_memo
from pipeline.scoped import scoped

T = TypeVar("T")
R = TypeVar("R")

# (fn, pieces) -> fn of each piece, in order.
Mapper = Callable[[Callable[[Any], Any], Iterable[Any]], Iterator[Any]]

_MAPPER: ContextVar[Mapper | None] = ContextVar("piece_mapper", default=None)


def mapping_with(mapper: Mapper) -> AbstractContextManager[None]:
    """While the block runs, `mapped` runs the pieces through `mapper`."""
    return scoped(_MAPPER, mapper)


def mapped(fn: Callable[[T], R], pieces: Iterable[T]) -> Iterator[R]:
    """`fn` of each piece, in order, where the engine runs a batch-wide stage's pieces (else here, as `map`). `fn`
    must be a module-level function and the pieces picklable: a worker process may run them. Here while a
    `cluster_memo` is active."""
    mapper = _MAPPER.get()
    return map(fn, pieces) if mapper is None or cluster_memo.active() else mapper(fn, pieces)
