"""Inductive themes: groups of comments about the same matter within each goal, found from the text alone.

The goals are fixed in advance by the taxonomy; themes are what residents raise inside a goal (and among the
comments that fit no goal well) that the programme did not name. Per group of comments (one goal, or the pool of
off-topic and low-confidence comments) the content lemmas of the Polish layer are weighted by TF-IDF, reduced by
LSA and split by k-means, the number of themes chosen by silhouette. A campaign is grouped once, through its
representative, which weighs in k-means the campaign's size raised to `ThemesConfig.campaign_weight`; its members
take the representative's theme. Everything is seeded, so the same input and seed give the same themes; re-running
with other seeds measures how stable each theme is.

Global like clustering (a theme depends on every comment of its group), so the stage is not row-wise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import pairwise_distances_argmin, pairwise_distances_chunked, silhouette_score
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

from pipeline import polish
from pipeline.classifier import DEFAULT_LEMMATIZER
from pipeline.config import Config, ThemesConfig
from pipeline.minhash import sorted_unique
from pipeline.pieces import mapped
from pipeline.row_source import column_rows
from pipeline.stage import MissingColumnsError, stage
from pipeline.triage import load_rules
from pipeline.vocabulary import (
    ROLE_MEMBER, ROLE_REPRESENTATIVE, STATUS_EMPTY, STATUS_ERROR, STATUS_OFF_TOPIC, STATUS_UNREADABLE,
)

# The group of comments no goal fits: off-topic by the rules, or classified with low confidence.
POOL = "poza_celami"
# Optional input column: content lemmas computed earlier (classify's analysis gives them; a nightly run stores them
# with each comment's results).
CONTENT_COLUMN = "content_lemmas"
THEME_COLUMNS = ("theme", "goal", "size", "key_phrases", "quote", "stability")
_NO_THEME_STATUSES = (STATUS_EMPTY, STATUS_ERROR, STATUS_UNREADABLE)
_QUOTE_CHARS = 300
# Texts outside the fit sample projected and assigned at a time.
_PROJECT_ROWS = 10_000


@dataclass(frozen=True)
class Discovery:
    """Themes of one group: a theme number per text (0 = largest), and per theme its phrases, quote and stability."""

    assignment: np.ndarray
    key_phrases: list[list[str]]
    representative: list[int]  # index of the text closest to the theme's centre
    stability: list[float]


def _tfidf(content: Sequence[str]) -> tuple[TfidfVectorizer, sp.csr_matrix] | None:
    """The TF-IDF weights of the content lemmas and their vectorizer; None when no word occurs twice."""
    vectorizer = TfidfVectorizer(min_df=2, max_df=0.5 if len(content) >= 20 else 1.0, sublinear_tf=True)
    try:
        return vectorizer, vectorizer.fit_transform(content)
    except ValueError:
        return None


def _lsa(weighted: tuple[TfidfVectorizer, sp.csr_matrix], seed: int
         ) -> tuple[np.ndarray, Callable[[Sequence[str]], np.ndarray]] | None:
    """LSA vectors (unit length) of the texts `_tfidf` weighted, and the projection of other texts into the same
    space; None when the texts share too few words to split."""
    vectorizer, tfidf = weighted
    dims = min(30, tfidf.shape[1] - 1, tfidf.shape[0] - 1)
    if dims < 2:
        return None
    svd = TruncatedSVD(dims, random_state=seed)
    vectors = normalize(svd.fit_transform(tfidf))
    return vectors, lambda texts: normalize(svd.transform(vectorizer.transform(texts)))


def _split(vectors: np.ndarray, seed: int, cfg: ThemesConfig, weights: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray | None]:
    """k-means with the number of themes (2 … max_themes, at least `min_size` texts each on average) by silhouette:
    the labels and the themes' centres; one theme (no centres) when no split separates the texts better than
    `min_silhouette`."""
    n = len(vectors)
    best, centres, best_score = np.zeros(n, dtype=int), None, cfg.min_silhouette
    distances = None
    # Copies of one letter (a campaign personalised by a number or a name) are one point: more groups than points
    # split nothing further, and k-means warns of each such fit.
    points = len(np.unique(vectors, axis=0))
    for k in range(2, min(cfg.max_themes, n // cfg.min_size, points) + 1):
        fitted = KMeans(k, n_init=10, random_state=seed).fit(vectors, sample_weight=weights)
        labels = fitted.labels_
        if len(set(labels)) < 2:
            continue
        if distances is None:
            distances = _distances(vectors)
        score = silhouette_score(distances, labels, metric="precomputed")
        if score > best_score:
            best, centres, best_score = labels, fitted.cluster_centers_, score
    return best, centres


def _distances(vectors: np.ndarray) -> np.ndarray:
    """The texts' pairwise distances, once for every k the silhouette scores: the very values (the same chunks, the
    diagonal zeroed) `silhouette_score(vectors, ...)` computes anew each time, at n * n * 8 bytes (72 MB at the
    `fit_sample` bound: one chunk, not copied)."""
    chunks = list(pairwise_distances_chunked(vectors))
    return chunks[0] if len(chunks) == 1 else np.vstack(chunks)


def fit_sample(weights: np.ndarray, bound: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The texts themes are fitted on and the weight each carries there: all of them, as they are, up to `bound`
    (`ThemesConfig.fit_sample`); past it, the `bound // 2` heaviest (the largest campaigns, which must not be missed)
    and a seeded draw of the others, each drawn text also weighing for the undrawn, so the draw keeps their share."""
    n = len(weights)
    if n <= bound:
        return np.arange(n), weights
    order = np.argsort(-weights, kind="stable")
    heavy, rest = order[:bound // 2], order[bound // 2:]
    drawn = np.random.default_rng(seed).choice(rest, bound - len(heavy), replace=False)
    rows = np.concatenate([heavy, drawn])
    scale = np.r_[np.ones(len(heavy)), np.full(len(drawn), len(rest) / len(drawn))]
    order = np.argsort(rows)
    return rows[order], (weights[rows] * scale)[order]


def _by_size(labels: np.ndarray) -> np.ndarray:
    """Theme numbers 0, 1, … from the largest theme down (ties: first seen), so numbering does not depend on k-means."""
    uniques, first, counts = np.unique(labels, return_index=True, return_counts=True)
    return numbering(counts, first)[np.searchsorted(uniques, labels)]


def _stability(assignment: np.ndarray, reruns: Sequence[np.ndarray]) -> list[float]:
    """Per theme: the mean over reruns of its best Jaccard overlap with a theme of the rerun (1 = found every time)."""
    scores = []
    for t in range(assignment.max() + 1):
        members = set(np.flatnonzero(assignment == t))
        best = []
        for other in reruns:
            best.append(max(len(members & (s := set(np.flatnonzero(other == o)))) / len(members | s)
                            for o in np.unique(other)))
        scores.append(round(float(np.mean(best)), 3) if best else 1.0)
    return scores


_TOKEN = re.compile(r"\S+")


def _theme_term_counts(content: Sequence[str], assignment: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The terms (lower-case words and word pairs, sorted) in at most half the texts (all, under ten texts), and
    per theme (`assignment`: each text's) how often each occurs; None when no term is left. What scikit-learn's
    `CountVectorizer(ngram_range=(1, 2), token_pattern=r"\\S+", max_df=...)` counts, without a sparse row per text
    and its Python loop per word pair and per term: less than half its CPU (docs/benchmarks.md)."""
    n = len(content)
    found: list[str] = []
    per_text = np.zeros(n, dtype=np.int64)
    for i, text in enumerate(content):
        words = _TOKEN.findall(text.lower())
        found += words
        found += map(" ".join, zip(words, words[1:]))
        per_text[i] = max(2 * len(words) - 1, 0)
    if not found:
        return None
    codes, uniques = pd.factorize(np.array(found, dtype=object))
    texts = np.repeat(np.arange(n, dtype=np.int64), per_text)
    # A word in most comments of a group ("nie", "program") says nothing about any one theme.
    in_texts = np.bincount(sorted_unique(texts * len(uniques) + codes) % len(uniques), minlength=len(uniques))
    kept = np.flatnonzero(in_texts <= (0.5 if n >= 10 else 1.0) * n)
    if not len(kept):
        return None
    names = uniques[kept]
    order = np.argsort(names)  # the terms are distinct: any sort gives the one order
    column = np.full(len(uniques), -1, dtype=np.int64)
    column[kept[order]] = np.arange(len(order))
    column = column[codes]
    counted = column >= 0
    themes = assignment.max() + 1
    per_theme = np.bincount(assignment[texts[counted]] * len(order) + column[counted],
                            minlength=themes * len(order))
    return names[order], per_theme.reshape(themes, len(order))


def key_phrases(content: Sequence[str], assignment: np.ndarray, count: int) -> list[list[str]]:
    """Per theme, the lemma words and word pairs most typical of it against the rest of its group (class TF-IDF);
    a word already inside a chosen pair is skipped."""
    counted = _theme_term_counts(content, assignment)
    if counted is None:
        return [[] for _ in range(assignment.max() + 1)]
    terms, per_theme = counted
    # Pairs weigh a little more than single words: "mały grant" says more than "grant".
    words = np.array([t.count(" ") + 1 for t in terms])
    tf = per_theme / np.maximum(per_theme.sum(axis=1, keepdims=True), 1)
    idf = np.log(1 + per_theme.sum(axis=1).mean() / np.maximum(per_theme.sum(axis=0), 1))
    score = tf * idf * np.where(words > 1, 1.5, 1.0) * (per_theme >= np.where(words > 1, 2, 1))
    phrases = []
    for row in score:
        chosen: list[str] = []
        for i in np.argsort(-row, kind="stable"):
            if row[i] <= 0 or len(chosen) == count:
                break
            term = terms[i]
            if not any(term in c.split() or term in c for c in chosen if " " in c):
                chosen.append(term)
        phrases.append(chosen)
    return phrases


@dataclass(frozen=True)
class Fitted:
    """A group's themes as fitted on its sample (`fit_sample`): the LSA space, the k-means centres (None: one
    theme), and the sample's positions in the group, LSA vectors, k-means labels and content lemmas, and the labels
    of the reruns with other seeds (the stability score). Any text of the group joins it by `place`."""

    project: Callable[[Sequence[str]], np.ndarray]
    centres: np.ndarray | None
    rows: np.ndarray
    vectors: np.ndarray
    labels: np.ndarray
    content: list[str]
    reruns: list[np.ndarray]

    @threadpool_limits.wrap(limits=1)
    def place(self, content: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The k-means label (the nearest centre) and LSA vector of each text outside the sample, each its own
        whatever other texts come with it: the engines place a group's texts in slices of their own."""
        vectors = self.project(content)
        if self.centres is None:
            return np.zeros(len(vectors), dtype=int), vectors
        return pairwise_distances_argmin(vectors, self.centres), vectors


# One thread for k-means (OpenMP) and the SVD (BLAS): on a busy machine the threads of a parallel k-means wait for
# each other spinning, and 2 threads on 2 shared cores took 50x the CPU seconds of one (docs/benchmarks.md); the
# engine's parallelism is its worker processes.
@threadpool_limits.wrap(limits=1)
def fit_group(content: Sequence[str], rows: np.ndarray, weights: np.ndarray, n: int, cfg: ThemesConfig
              ) -> Fitted | None:
    """The themes of a group of `n` texts fitted on its sample: the sample's content lemmas, positions and weights
    (`fit_sample`). None when the group is one theme without an LSA space: too small, or too few shared words."""
    content = list(content)
    # Weighted once: the reruns differ from the first run only in the SVD's and k-means' seeds.
    weighted = _tfidf(content) if n >= 2 * cfg.min_size else None
    space = _lsa(weighted, cfg.seed) if weighted is not None else None
    if space is None:
        return None
    vectors, project = space
    labels, centres = _split(vectors, cfg.seed, cfg, weights)
    reruns = [_split(s[0], cfg.seed + r, cfg, weights)[0] for r in range(1, cfg.runs)
              if (s := _lsa(weighted, cfg.seed + r)) is not None]
    return Fitted(project, centres, rows, vectors, labels, content, reruns)


# Vector components as integers of this scale: a theme's centre is their exact sum, the same whatever order or
# partitions the texts are summed in, so every engine picks the same representative.
_FIXED = float(2 ** 40)


def fixed_sum(vectors: np.ndarray) -> np.ndarray:
    """The exact sum of (unit-length) LSA vectors, in fixed point (int64: 2**23 texts of components <= 1 fit)."""
    return np.round(vectors * _FIXED).astype(np.int64).sum(axis=0)


def centre(total: np.ndarray, count: int) -> np.ndarray:
    """A theme's centre from `fixed_sum` of its `count` vectors."""
    return total / _FIXED / count


def closeness(vectors: np.ndarray, to: np.ndarray) -> np.ndarray:
    """Each vector's dot product with `to`, computed row by row alike however many rows come together (a matrix
    product's rounding may depend on a row's place in the block)."""
    return (vectors * to).sum(axis=1)


def numbering(counts: Sequence[int], first: Sequence[int]) -> np.ndarray:
    """Per k-means label, its theme number: 0 for the largest, ties by the label's first row (`_by_size`)."""
    order = sorted(range(len(counts)), key=lambda i: (-counts[i], first[i]))
    rank = np.zeros(len(counts), dtype=int)
    rank[order] = np.arange(len(counts))
    return rank


def discover(content: Sequence[str], cfg: ThemesConfig | None = None, weights: Sequence[float] | None = None
             ) -> Discovery:
    """Themes of one group of texts given as space-joined content lemmas (see `pipeline.polish.Analysis.content`);
    `weights`: how many comments each text stands for (a campaign's representative: the campaign's size).

    A group of more than `cfg.fit_sample` texts is fitted on a sample of them (`fit_sample`), the LSA space and
    k-means alike, and the others join the nearest theme's centre; the key phrases and the stability score come from
    that sample."""
    cfg = cfg or ThemesConfig()
    content = list(content)
    n = len(content)
    weights = np.ones(n) if weights is None else np.asarray(weights, dtype=float) ** cfg.campaign_weight
    fit, fit_weights = fit_sample(weights, cfg.fit_sample, cfg.seed)
    fitted = fit_group([content[i] for i in fit], fit, fit_weights, n, cfg)
    if fitted is None:
        assignment = np.zeros(n, dtype=int)
        return Discovery(assignment, key_phrases(content, assignment, cfg.phrases), [0], [1.0])
    vectors, labels = np.empty((n, fitted.vectors.shape[1])), np.zeros(n, dtype=int)
    vectors[fit], labels[fit] = fitted.vectors, fitted.labels
    rest = np.setdiff1d(np.arange(n), fit)
    # A slice at a time: the TF-IDF rows of a million texts at once would outweigh their 30-dimensional vectors
    # many times.
    for lo in range(0, len(rest), _PROJECT_ROWS):
        part = rest[lo:lo + _PROJECT_ROWS]
        labels[part], vectors[part] = fitted.place([content[i] for i in part])
    return discovered(fitted, _by_size(labels), vectors, cfg)


def discovered(fitted: Fitted, assignment: np.ndarray, vectors: np.ndarray, cfg: ThemesConfig) -> Discovery:
    """The Discovery of a fitted group whose every text has its theme number (`assignment`) and LSA vector: the
    representative of a theme is its text closest to the theme's centre (the first of equals)."""
    representative = []
    for t in range(assignment.max() + 1):
        idx = np.flatnonzero(assignment == t)
        representative.append(int(idx[np.argmax(closeness(vectors[idx], centre(fixed_sum(vectors[idx]), len(idx))))]))
    phrases, stability = fitted_phrases(fitted, assignment[fitted.rows], cfg)
    return Discovery(assignment, phrases, representative, stability)


def fitted_phrases(fitted: Fitted, sample_assignment: np.ndarray, cfg: ThemesConfig
                   ) -> tuple[list[list[str]], list[float]]:
    """The key phrases and the stability score of each theme, from the texts fitted on (`sample_assignment`: their
    theme numbers): counting every word pair of a large group cost more than k-means."""
    return (key_phrases(fitted.content, sample_assignment, cfg.phrases),
            _stability(sample_assignment, fitted.reruns))


def quote(text: str, limit: int = _QUOTE_CHARS) -> str:
    """The text, cut at a word boundary with an ellipsis when longer than `limit` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def theme_groups(df: pd.DataFrame, cfg: Config) -> pd.Series:
    """Per row, the group its theme is sought in: its goal, `POOL` for off-topic and low-confidence comments, or ""
    for rows that get no theme of their own (no readable text, or a campaign member: it takes its representative's)."""
    group = df["label"].fillna("").astype(str).copy()
    off_topic = df["status"].eq(STATUS_OFF_TOPIC) | group.isin(load_rules(cfg.triage.rules).off_topic_labels)
    group[off_topic | (df["confidence"].astype(float) < cfg.themes.low_confidence)] = POOL
    group[df["status"].isin(_NO_THEME_STATUSES) | df["cluster_role"].eq(ROLE_MEMBER) | ~readable(df)] = ""
    return group


def readable(df: pd.DataFrame) -> pd.Series:
    """Per row, whether it has text to find a theme in. A table without `text_clean` (a spilled run keeps the
    texts in its part files) tells by the content lemmas: `theme_content` analysed exactly the rows of text that a
    group takes."""
    if "text_clean" in df.columns:
        return ~df["text_clean"].fillna("").str.strip().eq("")
    if CONTENT_COLUMN in df.columns:
        return df[CONTENT_COLUMN].map(lambda v: isinstance(v, str)).astype(bool)
    raise MissingColumnsError("themes", ["text_clean"])


def content_lemmatizer(cfg: Config) -> str:
    """The lemmatizer of themes' content lemmas: classify's analysis gives them when it used this one."""
    return cfg.nlp.lemmatizer or DEFAULT_LEMMATIZER


def content_lemmas(texts: Sequence[str], cfg: Config) -> list[str]:
    """The space-joined content lemmas themes are found from (the Polish layer: the stage's costly part)."""
    return [lemmas for batch in polish.analyze_tokens(texts, lemmatizer=content_lemmatizer(cfg))
            for lemmas in batch.content_lemmas()]


def group_content(df: pd.DataFrame, rows: pd.Index, cfg: Config) -> pd.Series:
    """The content lemmas of `rows` (None elsewhere): those a nightly run brought with the comments it already knew
    (`CONTENT_COLUMN`), the others analysed here."""
    known = df[CONTENT_COLUMN] if CONTENT_COLUMN in df.columns else pd.Series(None, index=df.index, dtype=object)
    content = known.where(known.map(lambda v: isinstance(v, str)), None).astype(object)
    missing = rows[content[rows].isna().to_numpy()]
    if len(missing):
        content[missing] = content_lemmas(df.loc[missing, "text_clean"].fillna("").astype(str).tolist(), cfg)
    return content


def find_themes(df: pd.DataFrame, cfg: Config) -> tuple[pd.Series, pd.DataFrame]:
    """The `theme` of every row (`goal-N`, N from 1 for the goal's largest theme; "" for none) and the themes table
    (`THEME_COLUMNS`, one row per theme, by goal then size)."""
    group = theme_groups(df, cfg)
    theme = pd.Series("", index=df.index, dtype=object)
    grouped = group[group != ""]
    content = group_content(df, grouped.index, cfg)
    sizes = campaign_sizes(df)
    found, representatives = [], []
    names = sorted(set(grouped))
    groups = [grouped.index[grouped == name] for name in names]
    # The goals are independent: the engine may find their themes side by side (`pipeline.pieces`).
    discoveries = mapped(partial(_discovered, cfg.themes), ((content[idx].tolist(), sizes[idx].tolist())
                                                             for idx in groups))
    for name, idx, discovery in zip(names, groups, discoveries):
        ids = theme_ids(name, discovery.assignment.max() + 1)
        theme[idx] = [ids[t] for t in discovery.assignment]
        found.append((name, discovery.key_phrases, discovery.stability))
        representatives.extend(idx[discovery.representative])
    # The quotes are the only texts read, a few per goal: all at once, from wherever the rows are.
    quotes = column_rows(df, "text_clean", df.index.get_indexer(representatives), "themes").tolist()
    theme = with_member_themes(df, theme)
    return theme, themes_table(found, quotes, theme.value_counts())


def _discovered(cfg: ThemesConfig, group: tuple[list[str], list[float]]) -> Discovery:
    """`discover` of a group's content lemmas and weights."""
    content, weights = group
    return discover(content, cfg, weights)


def campaign_sizes(df: pd.DataFrame) -> pd.Series:
    """How many comments each row stands for in k-means: a campaign's representative its campaign's size; any
    other row (a unique comment, a campaign member's own row) itself."""
    return df["cluster_size"].where(df["cluster_role"].eq(ROLE_REPRESENTATIVE), 1).fillna(1).astype(float)


def theme_ids(group: str, count: int) -> list[str]:
    return [f"{group}-{t + 1}" for t in range(count)]


def themes_table(found: Sequence[tuple[str, list[list[str]], list[float]]], quotes: Sequence[object],
                 counts: pd.Series) -> pd.DataFrame:
    """The themes table: per group (by name), its themes' key phrases and stability (`found`), the quotes of the
    themes' representatives (their texts, in the same order) and each theme's comments (`counts`: theme -> rows)."""
    rows = [[theme_id, name, 0, "; ".join(phrases[t]), "", stability[t]]
            for name, phrases, stability in found for t, theme_id in enumerate(theme_ids(name, len(phrases)))]
    for row, text in zip(rows, quotes):
        row[4] = quote(str(text))
    table = pd.DataFrame(rows, columns=list(THEME_COLUMNS))
    table["size"] = table["theme"].map(counts).fillna(0).astype(int)
    return table


def with_member_themes(df: pd.DataFrame, theme: pd.Series, by_id: pd.Series | None = None) -> pd.Series:
    """`theme` with every campaign member (of readable text) given its representative's theme: `by_id`'s (comment
    id -> theme), by default the table's own."""
    members = df["cluster_role"].eq(ROLE_MEMBER) & ~df["status"].isin(_NO_THEME_STATUSES)
    if members.any():
        if by_id is None:
            by_id = pd.Series(theme.to_numpy(), index=df["comment_id"].astype(str))
        theme = theme.copy()
        theme[members] = df.loc[members, "cluster_representative"].astype(str).map(by_id).fillna("").to_numpy()
    return theme


# Reads `text_clean` too, but of every row only in a table without the content lemmas (`readable`); else only the
# representatives' quotes: `requires` leaves it out, so a spilled run keeps no text for themes.
@stage("themes", requires=("comment_id", "status", "label", "confidence", "cluster_role", "cluster_representative",
                           "cluster_size"), assigns=("theme",), row_wise=False)
def themes(df: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """Stage: add `theme`; the themes table rides along in `attrs["themes"]` for the export (`theme_table`), as
    records: pandas compares the `attrs` of tables it joins, which a DataFrame there would make ambiguous."""
    out = df.copy(deep=False)
    if not cfg.themes.enabled:
        out["theme"] = ""
        out.attrs["themes"] = []
        return out
    out["theme"], table = find_themes(df, cfg)
    out.attrs["themes"] = table.to_dict(orient="records")
    return out


def theme_table(df: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """themes.csv rows: the table the stage found, or (for a table whose attrs were lost) found again, same seed."""
    records = df.attrs.get("themes")
    if records is not None:
        return pd.DataFrame(records, columns=list(THEME_COLUMNS))
    if "theme" not in df or not df["theme"].astype(bool).any():
        return pd.DataFrame(columns=list(THEME_COLUMNS))
    return find_themes(df, cfg)[1]
