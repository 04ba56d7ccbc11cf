"""Vectorised MinHash signatures and LSH banding over character shingles.

One-permutation hashing (Li, Owen & Zhang 2012) with rotation densification (Shrivastava & Li 2014): every
shingle is hashed once to 64 bits, the top bits choose one of `num_bins` bins and the low 32 bits are the value;
a document's signature is the minimum per bin. The cost is one hash per shingle instead of one per shingle and
permutation, and everything runs as numpy array operations over a batch of documents. The collision probability
of one bin is the Jaccard similarity of the two shingle sets, as with classic MinHash.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_MASK32 = np.uint64(0xFFFFFFFF)
_EMPTY = np.uint32(0xFFFFFFFF)
# Odd 64-bit multipliers (splitmix64 finaliser) for a well-mixed shingle hash.
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_BASE = np.uint64(0x100000001B3)
# Added per step when an empty bin borrows a neighbour's value, so borrowed values differ from the original.
_ROTATION_STEP = np.uint32(0x9E3779B1)
_KEY_CHUNK = 20_000
_BATCH_CHARS = 1_000_000


def _mix(h: np.ndarray, seed: int) -> np.ndarray:
    h = h ^ np.uint64(seed & 0xFFFFFFFFFFFFFFFF)
    h ^= h >> np.uint64(30)
    h *= _MIX1
    h ^= h >> np.uint64(27)
    h *= _MIX2
    h ^= h >> np.uint64(31)
    return h


def shingle_hashes(texts: Sequence[str], k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of all character k-grams of each text, and the owning document of each hash.

    A text shorter than k contributes one shingle (itself, padded); an empty text contributes none.
    """
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    padded = np.maximum(lengths, np.where(lengths > 0, k, 0))
    # Only a text shorter than k is padded (ljust of each text was a tenth of the signatures' time).
    joined = "".join(t.ljust(p, "\x00") for t, p in zip(texts, padded.tolist())) if (lengths < padded).any() \
        else "".join(texts)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n_starts = np.maximum(padded - k + 1, 0)
    if codes.size < k or n_starts.sum() == 0:
        return np.empty(0, np.uint64), np.empty(0, np.int64)
    # Polynomial rolling hash, wrapping in uint64, in place.
    n = codes.size - k + 1
    h = codes[:n].copy()
    for j in range(1, k):
        h *= _BASE
        h += codes[j : n + j]
    docs = np.repeat(np.arange(len(texts), dtype=np.int64), n_starts)
    # Valid shingles start anywhere but in the last k - 1 characters of a text, where they would cross into the
    # next one: a mask in the order of the positions, cheaper than computing every position.
    valid = np.ones(n, dtype=bool)
    crossing = (np.cumsum(padded)[padded > 0, None] - np.arange(1, k)[None, :]).ravel()
    valid[crossing[crossing < n]] = False
    return _mix(h[valid], seed), docs


def signatures(texts: Sequence[str], num_bins: int = 128, k: int = 5, seed: int = 0) -> np.ndarray:
    """(len(texts), num_bins) uint32 one-permutation MinHash signatures; num_bins must be a power of two."""
    if num_bins & (num_bins - 1):
        raise ValueError("num_bins must be a power of two")
    n = len(texts)
    hashes, docs = shingle_hashes(texts, k, seed)
    bits = np.uint64(64 - int(num_bins).bit_length() + 1)
    bins = (hashes >> bits).astype(np.int64)
    sig = np.full(n * num_bins, _EMPTY, dtype=np.uint32)
    np.minimum.at(sig, docs * num_bins + bins, (hashes & _MASK32).astype(np.uint32))
    return _densify(sig.reshape(n, num_bins))


def _densify(sig: np.ndarray) -> np.ndarray:
    """Fill each empty bin from the nearest non-empty bin to its right (circularly), shifted per step."""
    n, m = sig.shape
    empty = sig == _EMPTY
    if not empty.any():
        return sig
    col = np.arange(m)
    own = np.where(empty, 2 * m, col[None, :])
    # Nearest non-empty bin at or to the right, then wrap around to the first non-empty bin of the row.
    right = np.minimum.accumulate(own[:, ::-1], axis=1)[:, ::-1]
    first = own.min(axis=1, keepdims=True) + m
    source = np.where(right < 2 * m, right, first)
    all_empty = first[:, 0] >= 2 * m
    source[all_empty] = col  # nothing to borrow: leave the row as it is
    distance = (source - col[None, :]).astype(np.uint32)
    rows = np.arange(n)[:, None]
    filled = sig[rows, source % m] + distance * _ROTATION_STEP
    return np.where(empty & ~all_empty[:, None], filled, sig)


def band_keys(sig: np.ndarray, rows_per_band: int) -> np.ndarray:
    """(n, bands) uint64 keys: one hash per band of `rows_per_band` consecutive signature values."""
    n, m = sig.shape
    bands = m // rows_per_band
    blocks = sig[:, : bands * rows_per_band].reshape(n, bands, rows_per_band)
    keys = np.empty((n, bands), dtype=np.uint64)
    # The band number goes into the key so that equal values in different bands never collide.
    band_salt = _mix(np.arange(bands, dtype=np.uint64), 7)[None, :]
    for lo in range(0, n, _KEY_CHUNK):
        block = blocks[lo : lo + _KEY_CHUNK].astype(np.uint64)
        key = np.zeros(block.shape[:2], dtype=np.uint64)
        for j in range(rows_per_band):
            key = _mix(key * _BASE + block[:, :, j], j)
        keys[lo : lo + _KEY_CHUNK] = key ^ band_salt
    return keys


def batched_signatures(texts: Sequence[str], num_bins: int, k: int, seed: int = 0) -> np.ndarray:
    """Signatures for many texts, in batches of about `_BATCH_CHARS` characters.

    Small batches are faster, not only leaner: their arrays stay below glibc's mmap threshold, so memory is
    reused instead of being mapped and page-faulted afresh for every batch.
    """
    out = np.empty((len(texts), num_bins), np.uint32)
    ends = np.cumsum([len(t) + 1 for t in texts])
    cuts = np.searchsorted(ends, np.arange(_BATCH_CHARS, ends[-1] if len(ends) else 0, _BATCH_CHARS))
    bounds = np.unique(np.concatenate(([0], cuts, [len(texts)])))
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        out[lo:hi] = signatures(texts[lo:hi], num_bins, k, seed)
    return out


def sorted_unique(x: np.ndarray, kind: str | None = None) -> np.ndarray:
    """np.unique by sorting: numpy 2.4's default hash-based unique is ~10x slower on large integer arrays. `kind` as
    `np.sort` takes it: "stable" (timsort) for values that come in sorted runs, which it merges."""
    x = np.sort(x, kind=kind)
    return x[np.concatenate(([True], x[1:] != x[:-1]))] if x.size else x


def sorted_union(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The sorted distinct values of two sorted arrays: a stable sort (timsort) merges their two runs in linear
    time, where the default sort would sort the whole anew (20 times slower for a few million integers)."""
    return sorted_unique(np.concatenate([a, b]), kind="stable")


def estimate_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> np.ndarray:
    """Row-wise fraction of equal signature values: an unbiased estimate of Jaccard similarity."""
    return (sig_a == sig_b).mean(axis=1)
