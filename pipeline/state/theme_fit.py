"""Themes on a night with a state: the themes found on the last full fit are kept, and only comments without a
theme of their group (new, edited, or moved to another group) join the nearest one; the themes are found afresh
(the themes stage over every comment, as a full run) once the comments not part of that fit pass a share.

Finding themes (k-means per goal, rerun for the stability score) is the costliest step left on a night where
most comments are known, and it depends on the whole goal: a night that assigns instead of refitting may give a
theme a full run would not. Joining the nearest theme does not depend on how themes are found (cosine similarity
of the comment's content lemmas to the centroid of each theme's comments, TF-IDF over the group), so a change of
method in `pipeline.themes` needs nothing here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from pipeline.config import Config
from pipeline.themes import (
    THEME_COLUMNS, find_themes, group_content, theme_groups, with_member_themes,
)
from pipeline.triage import load_rules
from pipeline.vocabulary import CHANGE_UNCHANGED


@dataclass(frozen=True)
class ThemeFit:
    """The last full fit: the run that made it, what it depended on (`key`), its themes table (records) and the
    comments whose theme it still gives (a comment assigned since then is no longer one of them)."""

    run_id: int
    key: str
    themes: list[dict[str, Any]]
    members: frozenset[str]


@dataclass(frozen=True)
class NightThemes:
    theme: pd.Series
    table: pd.DataFrame
    fit: ThemeFit
    report: dict[str, Any]  # run.json's `themes_fit`


def fit_key(cfg: Config, config_key: str) -> str:
    """What a fit depends on besides the comments: the classifier's outputs (`config_key`), the themes settings and
    the off-topic labels that send comments to the pool."""
    parts = {"config_key": config_key, "themes": cfg.to_dict()["themes"],
             "off_topic": list(load_rules(cfg.triage.rules).off_topic_labels)}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


def _nearest(content: Sequence[str], known: np.ndarray, labels: Sequence[str], targets: np.ndarray,
             names: Sequence[str]) -> list[str]:
    """For each row in `targets`, the theme of `names` whose known rows (`known`, positions with their `labels`) are
    closest on average: cosine similarity to their centroid, TF-IDF over the group's content lemmas. A tie (an
    empty text) goes to the first of `names`."""
    vectors = normalize(TfidfVectorizer(token_pattern=r"\S+", sublinear_tf=True).fit_transform(content))
    labels = np.asarray(labels, dtype=object)
    centroids = normalize(np.vstack([np.asarray(vectors[known[labels == t]].mean(axis=0)) for t in names]))
    return [names[i] for i in np.asarray((vectors[targets] @ centroids.T)).argmax(axis=1)]


def night_themes(df: pd.DataFrame, cfg: Config, change: Sequence[str], stored: Mapping[str, str],
                 fit: ThemeFit | None, key: str, run_id: int, refit_share: float) -> NightThemes:
    """The `theme` of tonight's comments and the themes table, from the last fit (`fit`) and each comment's stored
    theme (`stored`, id → theme), or from a fresh fit over all of them when there is no usable fit or the share of
    comments not part of it would pass `refit_share`."""
    ids = df["comment_id"].astype(str)
    group = theme_groups(df, cfg)
    grouped = group.ne("").to_numpy()
    goal_of = {} if fit is None else {t["theme"]: t["goal"] for t in fit.themes}
    old = pd.Series([stored.get(i, "") for i in ids], index=df.index, dtype=object)
    kept = grouped & (np.asarray(change) == CHANGE_UNCHANGED)
    kept &= (old.map(lambda t: goal_of.get(t, "")) == group).to_numpy()
    from_fit = kept & ids.isin(fit.members if fit else ()).to_numpy()
    share = 1 - from_fit.sum() / max(int(grouped.sum()), 1)
    assign = grouped & ~kept
    orphans = set(group[assign]) - set(group[kept])  # groups with no kept comment: nothing to join
    if fit is None or fit.key != key or share > refit_share or orphans:
        theme, table = find_themes(df, cfg)
        refit = ThemeFit(run_id, key, table.to_dict(orient="records"), frozenset(ids[grouped]))
        return NightThemes(theme, table, refit, {"refit": True, "fit_run": run_id, "share_since_fit": round(share, 3),
                                                 "refit_share": refit_share, "assigned": 0})
    theme = pd.Series("", index=df.index, dtype=object)
    theme[kept] = old[kept]
    content = group_content(df, df.index[grouped], cfg)  # analysed when the state predates stored lemmas
    for name in sorted(set(group[assign])):
        rows = np.flatnonzero(group.eq(name).to_numpy())
        known, targets = np.flatnonzero(kept[rows]), np.flatnonzero(assign[rows])
        labels = old.iloc[rows[known]].tolist()
        # In the table's order (largest theme first), so a tie goes to the larger theme.
        present = set(labels)
        names = [t["theme"] for t in fit.themes if t["theme"] in present]
        theme.iloc[rows[targets]] = _nearest(content.iloc[rows].fillna("").tolist(), known, labels, targets, names)
    theme = with_member_themes(df, theme)
    table = pd.DataFrame(fit.themes, columns=list(THEME_COLUMNS))
    table["size"] = table["theme"].map(theme.value_counts()).fillna(0).astype(int)
    table = table[table["size"] > 0].reset_index(drop=True)
    moved = frozenset(ids[assign])
    return NightThemes(theme, table, ThemeFit(fit.run_id, key, fit.themes, fit.members - moved),
                       {"refit": False, "fit_run": fit.run_id, "share_since_fit": round(share, 3),
                        "refit_share": refit_share, "assigned": int(assign.sum())})
