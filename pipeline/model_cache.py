"""Loaded models kept in the cache folder, so a run does not rebuild its model from the `.skops` file every time.

Rebuilding a model with skops means importing skops, whose list of trusted types imports every scikit-learn module,
and auditing the file: about three seconds of CPU at each start of a nightly run. Once a `.skops` file has passed
that audit, the model it gave is written to `cache_dir()/models/` as a pickle named by the file's sha256 and the
library versions, and later runs load that instead. Only uwagi writes there, from models skops has already
checked, so the entry is as trusted as the rest of the cache folder (the sentence vectors, the dictionary); a file
from elsewhere still goes through skops the first time, whatever its name. Each entry starts with the SHA-256 of the
pickle after it: a damaged entry (a truncated write, a flipped bit) fails that check, is never unpickled, and is
rebuilt from the `.skops` file with a warning.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import platform
import tempfile
import warnings
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.cache_dir import cache_dir

FOLDER = "models"
_MAGIC = b"uwagi-model-cache 1\n"
_DIGEST_SIZE = hashlib.sha256().digest_size
# A pickle holds classes by name and their state as the library version wrote it: another version of any of these
# gets an entry of its own.
_LIBRARIES = ("scikit-learn", "numpy", "scipy", "simplemma")


def entry_path(model_sha256: str, folder: Path | None = None) -> Path:
    """Where the model of the `.skops` file with this sha256 is kept for this uwagi, Python and libraries."""
    versions = [__version__, platform.python_version(), *(_version(name) for name in _LIBRARIES)]
    tag = hashlib.sha256(repr(versions).encode()).hexdigest()[:16]
    return (folder or cache_dir()) / FOLDER / f"{model_sha256}-{tag}.pickle"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return ""


def _read(path: Path) -> Any:
    """The model in a cache entry; ValueError when the entry is damaged (its pickle is then never loaded)."""
    data = path.read_bytes()
    head, digest, payload = (data[:len(_MAGIC)], data[len(_MAGIC):len(_MAGIC) + _DIGEST_SIZE],
                             data[len(_MAGIC) + _DIGEST_SIZE:])
    if head != _MAGIC or hashlib.sha256(payload).digest() != digest:
        raise ValueError("suma kontrolna się nie zgadza")
    return pickle.loads(payload)


def _write(path: Path, model: Any) -> None:
    """Write the entry under a temporary name, then rename it: a reader sees a whole entry or none."""
    payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(_MAGIC + hashlib.sha256(payload).digest() + payload)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cached_model(model_sha256: str, load: Callable[[], Any], folder: Path | None = None) -> Any:
    """The model of the `.skops` file whose (checked) sha256 is `model_sha256`: from the cache entry, else `load()`'s
    (skops, with its audit), written to the cache for the next run. A cache folder that cannot be written only costs
    the next run the same load."""
    path = entry_path(model_sha256, folder)
    if path.is_file():
        try:
            return _read(path)
        except Exception as exc:  # noqa: BLE001 - whatever a damaged entry raises, it is rebuilt, never trusted
            warnings.warn(f"uszkodzony wpis pamięci modeli {path} ({exc}); wczytuję model z pliku .skops i zapisuję "
                          "wpis od nowa", stacklevel=2)
    model = load()
    try:
        _write(path, model)
    except OSError as exc:
        warnings.warn(f"nie można zapisać modelu w pamięci {path.parent} ({exc}); następny przebieg wczyta go z "
                      "pliku .skops", stacklevel=2)
    return model
