"""How well inductive themes recover labels they never saw (issue 15), measured the same way by the quality tests
and by `bench/eval_themes.py`.

- Gdańsk, one goal held out: the classifier is trained on the dev set without that goal, every stage runs as in
  `uwagi run`, and the theme holding most of the goal's comments should be mostly that goal (purity) and hold a fair
  share of them (coverage).
- Łódź: all proposals as one group, no goals; the themes against the city's official categories (NMI).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import normalized_mutual_info_score

from pipeline.classifier import CommentClassifier
from pipeline.classify import classify
from pipeline.clean import clean
from pipeline.cluster import cluster
from pipeline.config import ClassifyConfig, Config, ThemesConfig
from pipeline.corrections import corrections
from pipeline.redact import redact
from pipeline.resources import resource_path
from pipeline.taxonomy import Taxonomy, load_taxonomy
from pipeline.themes import content_lemmas, discover, themes
from pipeline.triage import triage
from tests.quality_data import LODZ_PROPOSALS, gdansk_dev_rows


@dataclass(frozen=True)
class HeldOut:
    goal: str
    comments: int  # the goal's dev comments
    theme: str  # the theme holding most of them
    purity: float  # share of that theme's comments that are the goal's
    coverage: float  # share of the goal's comments in that theme


def gdansk_taxonomy() -> Taxonomy:
    return load_taxonomy(resource_path("data", "taxonomies", "gdansk_ngo_2023.toml"))


def held_out_goal(left_out: str, cfg: Config | None = None) -> HeldOut:
    """Train without `left_out`, run every stage over the whole dev set, and score the theme that gathers the goal."""
    cfg = cfg or Config()
    rows = gdansk_dev_rows()
    taxonomy = gdansk_taxonomy()
    taxonomy = dataclasses.replace(taxonomy, labels=tuple(x for x in taxonomy.labels if x.id != left_out))
    df = pd.DataFrame({"comment_id": [r["id"] for r in rows], "source_file": "dev", "source_row": 1,
                       "text": [r["text"] for r in rows], "status": "do analizy", "error": ""})
    df = redact(clean(df, cfg), cfg)
    gold = np.array([r["primary_label"] for r in rows])
    keep = gold != left_out
    model = CommentClassifier(taxonomy).fit(df.loc[keep, "text_clean"].tolist(), gold[keep],
                                            groups=[r["campaign"] or r["id"] for r, k in zip(rows, keep) if k])
    cfg = cfg.with_(classify=ClassifyConfig(model=model, use_corrections=False))
    for step in (classify, corrections, cluster, triage, themes):
        df = step(df, cfg)
    mine = gold == left_out
    # Comments without a theme (empty, unreadable) are no theme that gathers the goal.
    best = df.loc[mine & df["theme"].ne("").to_numpy(), "theme"].value_counts().index[0]
    in_best = (df["theme"] == best).to_numpy()
    return HeldOut(left_out, int(mine.sum()), best, round(float(mine[in_best].mean()), 3),
                   round(float(mine[in_best].sum() / mine.sum()), 3))


def lodz_themes(cfg: ThemesConfig | None = None) -> tuple[float, int]:
    """NMI of the themes of every Łódź proposal (title and description) against the official categories, and the
    number of themes."""
    proposals = pd.read_csv(LODZ_PROPOSALS)
    content = content_lemmas((proposals["nazwa"] + "\n\n" + proposals["opis"]).tolist(), Config())
    found = discover(content, cfg)
    return (round(float(normalized_mutual_info_score(proposals["kategoria"], found.assignment)), 3),
            int(found.assignment.max() + 1))
