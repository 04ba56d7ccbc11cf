"""A context variable's value for the length of a block: how an engine tells a stage something about where it runs
(where the rows are, `row_source`; where its pieces run, `pieces`) without a parameter every stage would carry."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")


@contextmanager
def scoped(var: ContextVar[T], value: T) -> Iterator[None]:
    """`var` is `value` while the block runs, and what it was before once it ends, however it ends."""
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)
