"""Groups and folds of the evaluation protocol: grouped, stratified k-fold cross-validation.

Campaign members and identical texts share a group and so a fold; otherwise copies of one letter in both the
training and the test part would inflate every score.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

from pipeline.clean import fold

CV_FOLDS = 5


def duplicate_groups(texts: Sequence[str], campaigns: Sequence[str | None] | None = None) -> np.ndarray:
    """Group ids that put identical folded texts, and members of one campaign, into one group."""
    parent = list(range(len(texts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    key_lists: list[Sequence[str | None]] = [[fold(t) for t in texts]]
    if campaigns is not None:
        key_lists.append([c if c else None for c in campaigns])
    for keys in key_lists:
        first: dict[str, int] = {}
        for i, key in enumerate(keys):
            if key is None:
                continue
            if key in first:
                parent[find(i)] = find(first[key])
            else:
                first[key] = i
    return np.array([find(i) for i in range(len(texts))])


def fold_count(y: np.ndarray, groups: np.ndarray, n_splits: int = CV_FOLDS) -> int:
    """How many folds the data allow: at most `n_splits`, the number of groups and the size of the largest label;
    below two there is no cross-validation."""
    largest_label = max(np.unique(y, return_counts=True)[1]) if len(y) else 0
    return min(n_splits, len(set(groups)), largest_label)


def grouped_folds(y: np.ndarray, groups: np.ndarray, n_splits: int = CV_FOLDS, seed: int = 0
                  ) -> list[tuple[np.ndarray, np.ndarray]]:
    """The protocol's (train, test) index pairs: StratifiedGroupKFold over `y`, shuffled with `seed`, with
    `fold_count` folds; none when that is below two."""
    n_splits = fold_count(y, groups, n_splits)
    if n_splits < 2:
        return []
    with warnings.catch_warnings():
        # A label rarer than the number of folds is normal in small or corrected data sets.
        warnings.simplefilter("ignore", UserWarning)
        return list(StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed).split(y, y, groups))


def fold_rows(lists: Sequence[Sequence[str]] | None, rows: np.ndarray) -> list[Sequence[str]] | None:
    """The entries of a per-row list (such as every comment's labels) at a fold's `rows`; None stays None."""
    return None if lists is None else [lists[i] for i in rows]
