"""The Dask engine survives an expression freed while the scheduler unpickles a graph that names it (the race that
made a LocalCluster report "lost dependencies")."""

from __future__ import annotations

import weakref

import pytest

pytest.importorskip("distributed")
from dask._expr import SingletonExpr  # noqa: E402

import pipeline.engines.dask  # noqa: E402,F401  (importing the engine mends the look-up)


class _Leaf(SingletonExpr):
    _parameters = ["value"]


class _FreedAfterTheCheck(weakref.WeakValueDictionary):
    """A garbage collection between `in` and the read: the check finds the instance, then its last holder lets go."""

    def __init__(self, holder: list) -> None:
        super().__init__()
        self.holder = holder

    def __contains__(self, key: object) -> bool:
        found = super().__contains__(key)
        self.holder.clear()
        return found


def test_an_expression_freed_between_check_and_read_is_built_again() -> None:
    holder = [_Leaf(7)]
    name = holder[0]._name
    _Leaf._instances = _FreedAfterTheCheck(holder)
    _Leaf._instances[name] = holder[0]
    try:
        again = _Leaf(7)
    finally:
        del _Leaf._instances

    assert again._name == name and again.value == 7


def test_expressions_of_one_name_are_still_one_object() -> None:
    first = _Leaf(3)
    assert _Leaf(3) is first
    assert _Leaf(4) is not first
