"""The themes stage on the partitions of a Dask DataFrame: fitted on the client, assigned on the workers.

The local stage (`pipeline.themes.find_themes`) fits each group's LSA space and k-means on a sample of the group
(`ThemesConfig.fit_sample`) and places every other text at its nearest centre. Here the same steps are split
between the client and the workers, each step giving what the local one gives:

1. the workers find each row's group, weight and content lemmas (`_grouped`, the rows themes read, persisted);
   the client gets the groups and weights of those rows, draws each group's sample and reads the sample's lemmas;
2. the client fits each group on its sample (`themes.fit_group`): k-means, the reruns for the stability score;
3. the workers place their rows outside the samples (`Fitted.place`), once: each partition's labels and vectors
   are kept on the workers for step 4. They tally, per k-means label, its rows, its first row and the exact sum of
   its vectors (`themes.fixed_sum`); from the tallies the client numbers the themes by size and finds their
   centres;
4. the workers give each row its theme and its closeness to the theme's centre, and name per theme the row
   closest to it; the client picks each theme's representative among them, reads its quote, and the themes of the
   campaigns' representatives, which their members take on the workers.

The client holds a group name and a weight per row that has a theme to find, the samples' lemmas, and tallies;
never a text but the quotes, nor the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import dask
import dask.dataframe as dd
from dask.delayed import Delayed
import numpy as np
import pandas as pd

from pipeline.config import Config
from pipeline.engines.dask import mapped, read_rows
from pipeline.stage import Stage
from pipeline.themes import (
    Fitted, campaign_sizes, centre, closeness, fit_group, fit_sample, fitted_phrases, fixed_sum, group_content,
    key_phrases, numbering, theme_groups, theme_ids, themes_table, with_member_themes,
)
from pipeline.vocabulary import ROLE_REPRESENTATIVE

_GROUP, _WEIGHT, _CONTENT = "group", "weight", "content"
_THEME, _CLOSENESS, _ROW = "theme", "closeness", "row"
_TALLY = {_GROUP: object, "label": np.int64, "count": np.int64, "first": np.int64, "sum": object}
# A partition's rows outside the samples as placed, per group with an LSA space: the rows, their k-means labels and
# vectors.
_Placed = dict[str, tuple[pd.Index, np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class _Group:
    rows: np.ndarray  # the group's rows (positions in the batch), in order
    fit: np.ndarray  # the sample's positions in the group (`themes.fit_sample`)
    weights: np.ndarray  # and their weights there


@dataclass(frozen=True)
class _Placing:
    """What the workers need of a group: how to place a text (`Fitted` without the sample's vectors, lemmas and
    reruns; None: the group is one theme), the sample's k-means labels by batch position, and once the tallies are
    in, each k-means label's theme id and centre."""

    fitted: Fitted | None
    sample: pd.Series = field(default_factory=lambda: pd.Series(dtype=np.int64))
    ids: dict[int, str] = field(default_factory=dict)
    centres: dict[int, np.ndarray] = field(default_factory=dict)


def themes_on_dask(stage: Stage, attrs: dict[str, Any], frame: dd.DataFrame, cfg: Config) -> dd.DataFrame:
    """The themes stage over `frame`'s partitions: the `theme` column the local stage gives, and its themes table in
    `attrs["themes"]`."""
    if not cfg.themes.enabled:
        attrs["themes"] = []
        return mapped(frame, stage, cfg)
    grouped = mapped(frame, _grouped, cfg).persist()
    groups = _samples(grouped[[_GROUP, _WEIGHT]].compute(), cfg)
    sampled = read_rows(grouped, _CONTENT, np.concatenate([np.empty(0, dtype=np.int64)] +
                                                           [g.rows[g.fit] for g in groups.values()]))
    fits = {name: fit_group(sampled[g.rows[g.fit]].tolist(), g.fit, g.weights, len(g.rows), cfg.themes)
            for name, g in groups.items()}
    placing = {name: _Placing(f and replace(f, vectors=f.vectors[:0], content=[], reruns=[]),
                              pd.Series(f.labels, index=groups[name].rows[f.rows]) if f else pd.Series(dtype=int))
               for name, f in fits.items()}
    # Each partition's rows placed once, kept on the workers for the tallies and then the themes.
    parts = grouped.to_delayed()
    placed = dask.persist(*[dask.delayed(_placed)(part, _shared(placing)) for part in parts])
    tallies = pd.concat(dask.compute(*[dask.delayed(_tallies)(mine) for mine in placed]), ignore_index=True)
    found = []
    for name, g in groups.items():
        fitted = fits[name]
        if fitted is None:  # one theme; its phrases from every text of the group
            placing[name] = replace(placing[name], ids={0: theme_ids(name, 1)[0]})
            content = sampled[g.rows] if len(g.fit) == len(g.rows) else read_rows(grouped, _CONTENT, g.rows)
            found.append((name, key_phrases(content.tolist(), np.zeros(len(g.rows), dtype=int),
                                            cfg.themes.phrases), [1.0]))
            continue
        ids, centres, number = _numbered(name, tallies, _tally(name, g.rows[fitted.rows], fitted.labels,
                                                                  fitted.vectors))
        placing[name] = replace(placing[name], ids=ids, centres=centres)
        found.append((name, *fitted_phrases(fitted, number[fitted.labels], cfg.themes)))
    meta = pd.DataFrame({_THEME: pd.Series(dtype=object), _CLOSENESS: pd.Series(dtype=float)},
                        index=pd.Index([], dtype=np.int64))
    shared = _shared(placing)
    themed = dd.from_delayed([dask.delayed(_themed)(part, mine, shared) for part, mine in zip(parts, placed)],
                             meta=meta, divisions=grouped.divisions).persist()
    del grouped, parts, placed
    closest = pd.concat([mapped(themed, _closest).compute()] +
                        [_closest(_sample_closeness(groups[name].rows[f.rows], f, placing[name]))
                         for name, f in fits.items() if f is not None])
    # The first of equals, as np.argmax picks it among a theme's rows in their order.
    closest = closest.sort_values([_CLOSENESS, _ROW], ascending=[False, True], kind="stable")
    closest = closest.drop_duplicates(_THEME).set_index(_THEME)[_ROW]
    representatives = [g.rows[0] if fits[name] is None else closest[theme_id]
                       for (name, phrases, _), g in zip(found, groups.values())
                       for theme_id in theme_ids(name, len(phrases))]
    quotes = read_rows(frame, "text_clean", np.array(representatives, dtype=np.int64)).tolist()
    campaigns = frame.map_partitions(_campaigns, themed, meta=pd.Series(dtype=object)).compute()
    out = frame.map_partitions(_with_theme, themed, dask.delayed(campaigns, traverse=False),
                               meta=frame._meta.assign(theme=pd.Series(dtype=object)))
    attrs["themes"] = themes_table(found, quotes, out["theme"].value_counts().compute()).to_dict(orient="records")
    return out


def _shared(placing: dict[str, _Placing]) -> Delayed:
    """`placing` as one object of the graph that every task shares rather than a copy in each (a new one after each
    change: not pure, so never taken for the earlier one)."""
    return dask.delayed(placing, traverse=False)


def _grouped(part: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """The rows that have a theme to find: their group, weight in k-means and content lemmas."""
    if not len(part):  # the partitions' meta may hold untyped columns
        return pd.DataFrame({_GROUP: pd.Series(dtype=object), _WEIGHT: pd.Series(dtype=float),
                             _CONTENT: pd.Series(dtype=object)}, index=part.index[:0])
    group = theme_groups(part, cfg)
    rows = part.index[group.to_numpy() != ""]
    return pd.DataFrame({_GROUP: group[rows], _WEIGHT: campaign_sizes(part)[rows],
                         _CONTENT: group_content(part, rows, cfg)[rows]}, index=rows)


def _samples(weights: pd.DataFrame, cfg: Config) -> dict[str, _Group]:
    """Each group's rows and the sample it is fitted on, by group name, as `themes.find_themes` draws them."""
    groups = {}
    for name in sorted(set(weights[_GROUP])):
        rows = weights.index[weights[_GROUP].to_numpy() == name].to_numpy()
        fit, fit_weights = fit_sample(weights.loc[rows, _WEIGHT].to_numpy() ** cfg.themes.campaign_weight,
                                      cfg.themes.fit_sample, cfg.themes.seed)
        groups[name] = _Group(rows, fit, fit_weights)
    return groups


def _placed(part: pd.DataFrame, placing: dict[str, _Placing]) -> _Placed:
    """Per group with an LSA space, its rows of the partition outside its sample: their k-means labels and
    vectors."""
    found = {}
    for name, rows in part.groupby(_GROUP, sort=False).groups.items():
        fitted, sample = placing[name].fitted, placing[name].sample
        rows = rows[~rows.isin(sample.index)]
        if fitted is not None and len(rows):
            found[name] = (rows, *fitted.place(part.loc[rows, _CONTENT].tolist()))
    return found


def _tally(name: str, rows: np.ndarray, labels: np.ndarray, vectors: np.ndarray) -> pd.DataFrame:
    """Per k-means label of these rows of a group: their number, the first of them, the exact sum of their
    vectors."""
    out = []
    for label in np.unique(labels):
        mine = labels == label
        out.append((name, int(label), int(mine.sum()), int(rows[mine].min()), fixed_sum(vectors[mine])))
    return pd.DataFrame(out, columns=list(_TALLY)).astype({c: t for c, t in _TALLY.items() if t is not object})


def _tallies(placed: _Placed) -> pd.DataFrame:
    """`_tally` of each group's rows a partition placed (`_placed`)."""
    tallies = [_tally(name, rows.to_numpy(), labels, vectors) for name, (rows, labels, vectors) in placed.items()]
    return pd.concat(tallies, ignore_index=True) if tallies else _tally("", np.empty(0), np.empty(0), np.empty(0))


def _numbered(name: str, tallies: pd.DataFrame, sample: pd.DataFrame
              ) -> tuple[dict[int, str], dict[int, np.ndarray], np.ndarray]:
    """A fitted group's themes from the tallies of its rows (the partitions' and the sample's): per k-means label
    its theme id and centre, and the theme number of each label (`themes._by_size`, over the whole group)."""
    mine = pd.concat([tallies[tallies[_GROUP] == name], sample])
    labels = sorted(set(mine["label"].tolist()))
    by_label = [mine[mine["label"] == label] for label in labels]
    number = numbering([int(t["count"].sum()) for t in by_label], [int(t["first"].min()) for t in by_label])
    ids = theme_ids(name, len(labels))
    numbers = np.zeros(max(labels) + 1, dtype=int)
    numbers[labels] = number
    return ({label: ids[n] for label, n in zip(labels, number)},
            {label: centre(np.sum(np.stack(t["sum"].tolist()), axis=0), int(t["count"].sum()))
             for label, t in zip(labels, by_label)}, numbers)


def _themed(part: pd.DataFrame, placed: _Placed, placing: dict[str, _Placing]) -> pd.DataFrame:
    """Each row's theme id, and, outside the samples, its closeness to the theme's centre (of the partition's rows
    as `_placed` placed them)."""
    theme = pd.Series("", index=part.index, dtype=object)
    near = pd.Series(np.nan, index=part.index)
    for name, rows in part.groupby(_GROUP, sort=False).groups.items():
        known = placing[name].sample.reindex(rows).dropna().astype(int)
        theme[known.index] = [placing[name].ids[label] for label in known.tolist()]
        if placing[name].fitted is None:
            theme[rows] = placing[name].ids[0]
    for name, (rows, labels, vectors) in placed.items():
        theme[rows] = [placing[name].ids[label] for label in labels.tolist()]
        near[rows] = closeness(vectors, np.stack([placing[name].centres[label] for label in labels.tolist()]))
    return pd.DataFrame({_THEME: theme, _CLOSENESS: near})


def _sample_closeness(rows: np.ndarray, fitted: Fitted, placing: _Placing) -> pd.DataFrame:
    """`_themed` of a group's sample, on the client, which holds its vectors."""
    centres = np.stack([placing.centres[label] for label in fitted.labels.tolist()])
    return pd.DataFrame({_THEME: [placing.ids[label] for label in fitted.labels.tolist()],
                         _CLOSENESS: closeness(fitted.vectors, centres)}, index=rows)


def _closest(themed: pd.DataFrame) -> pd.DataFrame:
    """Per theme, its row closest to its centre (the first of equals): theme, row, closeness."""
    rows = themed.dropna(subset=[_CLOSENESS]).rename_axis(_ROW).reset_index()
    rows = rows.sort_values([_CLOSENESS, _ROW], ascending=[False, True], kind="stable")
    return rows.drop_duplicates(_THEME)[[_THEME, _ROW, _CLOSENESS]]


def _campaigns(part: pd.DataFrame, themed: pd.DataFrame) -> pd.Series:
    """The themes of the campaigns' representatives with one, by comment id: their members take them."""
    theme = themed[_THEME].reindex(part.index).fillna("")
    mine = part["cluster_role"].eq(ROLE_REPRESENTATIVE).to_numpy() & theme.ne("").to_numpy()
    return pd.Series(theme[mine].to_numpy(), index=part.loc[mine, "comment_id"].astype(str).to_numpy(), dtype=object)


def _with_theme(part: pd.DataFrame, themed: pd.DataFrame, campaigns: pd.Series) -> pd.DataFrame:
    theme = themed[_THEME].reindex(part.index).fillna("").astype(object)
    return part.assign(theme=with_member_themes(part, theme, campaigns))
