"""The row-wise half of the themes stage: the content lemmas of each comment that will be grouped into themes.

Themes need the whole batch, but the text analysis under them (the Polish layer, about 17 KB per comment while it
runs) does not. Classify's analysis gives it (`classify` leaves each comment's content lemmas in
`themes.CONTENT_COLUMN`, as a nightly run brings them from its state); this stage keeps those of the comments
themes will group, None for the others, so that what the batch-wide stage holds is only theirs, and analyses here,
row by row (in the worker processes with the other row-wise stages, a slice at a time in one process), only the
texts classify did not (another lemmatizer, zero-shot). The column is an input of themes only: `job.ordered`
leaves it out of every output.
"""

from __future__ import annotations

import pandas as pd

from pipeline.config import Config
from pipeline.stage import stage
from pipeline.themes import CONTENT_COLUMN, content_lemmas, theme_groups

# Texts analysed at a time when one process runs the stage on a whole batch.
SLICE_ROWS = 2_000


@stage("theme_content", requires=("text_clean", "status", "label", "confidence", "cluster_role"),
       assigns=(CONTENT_COLUMN,))
def theme_content(df: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """Stage: set `content_lemmas` (the space-joined content lemmas) of the comments themes will group, None for
    the others and with themes off. Lemmas the table already holds (classify's, a nightly run's stored ones) are
    kept."""
    out = df.copy(deep=False)  # copy-on-write: the column set below never reaches `df`
    content = pd.Series([None] * len(df), index=df.index, dtype=object)
    if cfg.themes.enabled and len(df):  # an empty table (a Dask partition's meta) may hold untyped columns
        rows = df.index[(theme_groups(df, cfg) != "").to_numpy()]
        if CONTENT_COLUMN in df.columns:
            known = df.loc[rows, CONTENT_COLUMN]
            content[rows] = known.where(known.map(lambda v: isinstance(v, str)), None).to_numpy()
        missing = rows[content[rows].isna().to_numpy()]
        for lo in range(0, len(missing), SLICE_ROWS):
            part = missing[lo:lo + SLICE_ROWS]
            content.loc[part] = content_lemmas(df.loc[part, "text_clean"].fillna("").astype(str).tolist(), cfg)
    out[CONTENT_COLUMN] = content
    return out
