"""One look-up, not two, where Dask's expressions find their singleton.

Dask (`dask/_expr.py`, read in 2026.8 and 2026.11, the newest) deduplicates expressions by name:
`SingletonExpr.__new__` asks `_name in cls._instances` and then reads `cls._instances[_name]` from a
`WeakValueDictionary`. An instance held only by a garbage cycle, or by another thread about to drop it, passes the
check and can be freed before the read, which then raises `KeyError`. A LocalCluster's scheduler runs in the client's process and unpickles each graph it is sent
while the client drops the very expressions of that graph: the graph fails to deserialise and every key of it is
"lost dependencies" (about one full test run in eight on this machine). `get` answers with the instance or None in
one step, which closes the window; everything else `__new__` does is unchanged.

Only the process that imports the engine is mended: a scheduler given by `--scheduler` runs Dask's own code.
"""

from __future__ import annotations

import weakref
from typing import Any

from dask._expr import SingletonExpr


def _new(cls: type[SingletonExpr], *args: Any, _determ_token: Any = None, **kwargs: Any) -> SingletonExpr:
    if not hasattr(cls, "_instances"):
        cls._instances = weakref.WeakValueDictionary()
    inst = super(SingletonExpr, cls).__new__(cls, *args, _determ_token=_determ_token, **kwargs)
    found = cls._instances.get(inst._name)
    if found is not None and cls.__init__ == object.__init__:
        return found
    cls._instances[inst._name] = inst
    return inst


def mend_singleton_lookup() -> None:
    """Make `SingletonExpr.__new__` look its instance up once (idempotent)."""
    SingletonExpr.__new__ = staticmethod(_new)
