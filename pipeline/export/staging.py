"""Every output file of a run is written to a staging folder inside the output folder, then swapped in as one set.

The swap first removes the old `run.json`, moves the other files into place and moves the new `run.json` last: a
folder with `run.json` always holds the files it describes, and a folder without one is between two runs. A run
killed halfway leaves its staging folder (and perhaps temp files of an older version); the next run, holding the
lock, removes them before it writes anything.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

STAGING_NAME = ".uwagi-staging"
# Inside the staging folder: a spilled run's part files (`pipeline/engines/spill.py`), gone before the swap.
SPILL_FOLDER = ".parts"
MANIFEST = "run.json"


def leftovers(out_dir: Path) -> list[Path]:
    """What a killed run left: the staging folder and the `.NAME.*.tmp` files of `atomic_path`."""
    if not out_dir.is_dir():
        return []
    return sorted(p for p in out_dir.iterdir()
                  if p.name == STAGING_NAME or (p.name.startswith(".") and p.name.endswith(".tmp")))


def remove_leftovers(out_dir: Path) -> list[str]:
    removed = leftovers(out_dir)
    for path in removed:
        shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    return [p.name for p in removed]


def new_staging(out_dir: Path) -> Path:
    """An empty staging folder; call with the run's lock held."""
    remove_leftovers(out_dir)
    staging = out_dir / STAGING_NAME
    staging.mkdir()
    return staging


def publish(staging: Path, out_dir: Path, names: Sequence[str], renames: Sequence[tuple[Path, Path]] = ()) -> None:
    """Swap the staged files `names` in, `run.json` last; `renames` (old, new) are done first, with the old
    `run.json` gone, e.g. an edited workbook moved aside."""
    (out_dir / MANIFEST).unlink(missing_ok=True)
    for old, new in renames:
        os.replace(old, new)
    for name in names:
        if name != MANIFEST:
            if (staging / name).is_dir() and (out_dir / name).is_dir():  # rename cannot replace a full folder
                os.replace(out_dir / name, staging / f".old-{name}")  # removed with the staging folder below
            os.replace(staging / name, out_dir / name)
    if MANIFEST in names:
        os.replace(staging / MANIFEST, out_dir / MANIFEST)
    shutil.rmtree(staging)
    _sync_dir(out_dir)


def _sync_dir(path: Path) -> None:
    """Make the renames durable: after a power cut the folder holds the new set or the old one."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
