"""The folder of uwagi's caches (sentence vectors, the Polish dictionary in a fast form): rebuilt when lost."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "UWAGI_CACHE_DIR"


def cache_dir() -> Path:
    """`$UWAGI_CACHE_DIR`, else `uwagi` in the user's cache folder (`$XDG_CACHE_HOME`, `~/.cache`)."""
    return Path(os.environ.get(CACHE_ENV) or os.path.join(os.environ.get("XDG_CACHE_HOME")
                                                          or os.path.expanduser("~/.cache"), "uwagi"))
