"""clusters.csv of a spilled run, read from its part files: a worker builds it while the main process finds the
themes (`engines/spill.py`, `spill(..., ahead=...)`), so the templates are no longer the export's to wait for.

The table is `cluster.cluster_table` of the whole batch. Of every row that reads the cluster columns, the id and the
label; of `text_clean` only the rows the templates read (`cluster.template_rows`). So the short columns are read
from each part first, then those rows' texts: the worker never holds the batch's texts, and those it reads it holds
as the parts' Arrow text (UTF-8), made Python strings by `cluster_table` a slice of clusters at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.cluster import cluster_table, template_rows
from pipeline.config import Config

# Every column `cluster_table` reads but the text.
_READS = ("cluster_id", "cluster_role", "cluster_size", "comment_id", "cluster_kind", "label")
_TEXT = pd.StringDtype("pyarrow")


def spilled_cluster_table(paths: Sequence[Path], bounds: Sequence[int], cfg: Config) -> pd.DataFrame:
    """`cluster_table` of the table whose rows `bounds[i]:bounds[i + 1]` are in the part file `paths[i]` (pickled
    DataFrames, as `spill` writes them)."""
    thin = pd.concat([_short(pd.read_pickle(path)) for path in paths])
    # Positions, not labels: where a row's text is, is the part its position falls in.
    wanted = np.sort(thin.index.get_indexer(template_rows(thin)))
    texts = []
    for path, lo, hi in zip(paths, bounds[:-1], bounds[1:]):
        read = np.zeros(hi - lo, dtype=bool)
        read[wanted[np.searchsorted(wanted, lo):np.searchsorted(wanted, hi)] - lo] = True
        # As Python strings, all at once, they were five times the UTF-8 (two bytes a Polish character, two copies).
        texts.append(pd.read_pickle(path)["text_clean"].astype(_TEXT).where(read))
    return cluster_table(thin.assign(text_clean=pd.concat(texts)), cfg)


def _short(part: pd.DataFrame) -> pd.DataFrame:
    return part[[c for c in _READS if c in part.columns]]
