"""Clustering stage: exact duplicates, near-duplicates and campaigns (form letters) over `text_clean`.

1. Each comment is reduced to its *core*: redaction placeholders, the opening greeting and the closing/signature
   block are removed, so they cannot make two comments look alike. Comments whose folded core is identical (the
   same 64-bit key, `cluster_keys.core_key`) form one *unit* (exact duplicates); only units go further.
2. Units longer than `min_words` words have MinHash signatures on character shingles of the folded core; LSH
   banding (a group-by on band hashes) proposes candidate pairs. Cores and signatures are the row-wise stage
   `cluster_keys`' (`pipeline/cluster_keys.py`): this stage only groups, verifies and numbers. Only the units in
   a candidate pair are read as folded cores (`cluster_keys`' third column, through `row_source.column_rows`: a
   spilled run keeps it in its part files; folded again from `text_clean` where no one kept it): the rest of the
   batch is keys and signatures. For a big batch the stage holds a slice at a time of what grows with it: the
   band keys' pairs band by band, the texts in row order (a spilled run reads each part file about twice: folded
   cores, then the clustered units' added text), the candidate pairs verified a batch at a time, the clusters
   given their texts back a few at a time.
3. Every candidate pair is verified on character shingles: the shared shingles must cover most of the shorter
   text (`min_containment`, stricter for comments under `strict_words` words: typos, cut paragraphs and added
   sentences pass) and a fair part of the longer one (`min_coverage`: one shared stock sentence does not). The
   MinHash estimate decides clear cases; pairs near a threshold are checked exactly.
4. Connected components of verified pairs are only proposals. Each is split around a representative (the unit
   most verified pairs point at): a unit joins a cluster only if it verifies against that representative itself,
   so a chain of borderline pairs cannot merge two campaigns however large the corpus grows.
5. `added_text` holds a member's sentences whose word bigrams are mostly absent from the representative;
   `cluster_table` gives the template (the representative's sentences most members share) per cluster.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import chain

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from pipeline import cluster_memo, pieces
from pipeline.clean import fold, fold_chars
from pipeline.columns import CLUSTER_COLUMNS, OUTPUT_COLUMNS
from pipeline.config import ClusterConfig, Config
from pipeline.cluster_keys import (
    CORE_COLUMN,
    FOLDED_COLUMN,
    KEY_COLUMNS,
    NO_CORE,
    SIGNATURE_COLUMN,
    core_text,
    folded_core,
    row_keys,
    signature_matrix,
)
from pipeline.minhash import band_keys, estimate_jaccard, shingle_hashes, sorted_union, sorted_unique
from pipeline.sentences import sentence_spans, split_sentences
from pipeline.pii_columns import detect_pii_columns
from pipeline.row_source import column_rows, kept_rows
from pipeline.stage import MissingColumnsError, stage
from pipeline.vocabulary import (
    DUPLICATE_MAX_SENDERS,
    KIND_CAMPAIGN,
    KIND_DUPLICATE,
    ROLE_MEMBER,
    ROLE_REPRESENTATIVE,
    ROLE_UNIQUE,
)

# Pairs verified exactly at a time: bounds the shingle arrays held in memory.
_EXACT_CHUNK = 500
_NEGATIONS = frozenset({"nie", "przeciw", "przeciwko", "bez", "brak", "ani", "nigdy", "sprzeciw", "sprzeciwiam"})
_WORD = re.compile(r"\w+")
_WORD_PIECE = re.compile(r"[^\W_]+")  # the words `fold` gives, found without joining and splitting them
# In ASCII (nearly every folded line) `_WORD_PIECE`'s words are the runs of letters and digits: this byte table makes
# every other byte a space, and `split` finds the runs in C, a third faster than the pattern.
_ASCII_PIECES = bytes(b if chr(b).isalnum() else 32 for b in range(128)) + b" " * 128
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_ESTIMATE_CHUNK = 100_000
# Members read to find what a cluster shares; more only costs time.
_TEMPLATE_SAMPLE = 50
_TEMPLATE_SHARE = 0.8  # of a cluster's letters that hold a word pair for it to be the template's
# What the stage holds at a time for a big batch: units whose texts are read (in row order, so that a spilled run
# reads each part file about once), candidate pairs verified, cluster members given their texts back.
_READ_UNITS = 50_000
_VERIFY_PAIRS = 200_000
# Also a piece a worker may run (`pipeline.pieces`): small enough that the workers end together.
_ADDED_UNITS = 5_000
# Texts of the clusters' templates held at a time (whole clusters: one may pass it by its 51 texts).
_TEMPLATE_TEXTS = 5_000


class _Verifier:
    """Decides whether two units are the same text, campaign member and template, or a near-duplicate.

    Containment is first estimated from the MinHash signatures (vectorised over all pairs); only pairs whose
    estimate falls within `margin` of a threshold are checked exactly, on sorted shingle-hash arrays.
    """

    def __init__(self, folded: Sequence[str], word_counts: np.ndarray, sig: np.ndarray, sig_row: np.ndarray,
                 cfg: ClusterConfig) -> None:
        self.folded = folded
        self.word_counts = word_counts
        self.sig = sig
        self.sig_row = sig_row
        self.cfg = cfg
        self._stances: dict[int, tuple[int, tuple[str, ...]]] = {}
        lengths = np.fromiter((len(f) for f in folded), dtype=np.int64, count=len(folded))
        self.n_shingles = np.maximum(lengths - cfg.shingle + 1, 1).astype(np.float64)

    def __call__(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(verified, containment) for unit pairs a[i], b[i]."""
        cfg = self.cfg
        # In chunks: gathering both signatures of millions of pairs at once would take gigabytes.
        j = np.concatenate([np.empty(0)] + [
            estimate_jaccard(self.sig[self.sig_row[a[lo : lo + _ESTIMATE_CHUNK]]],
                             self.sig[self.sig_row[b[lo : lo + _ESTIMATE_CHUNK]]])
            for lo in range(0, len(a), _ESTIMATE_CHUNK)
        ])
        na, nb = self.n_shingles[a], self.n_shingles[b]
        shared = j * (na + nb) / (1 + j)
        c = np.minimum(shared / np.minimum(na, nb), 1.0)
        g = np.minimum(shared / np.maximum(na, nb), 1.0)
        # In a short comment one changed word changes what it says: ask more of it.
        short = np.minimum(self.word_counts[a], self.word_counts[b]) < cfg.strict_words
        need = np.where(short, cfg.strict_containment, cfg.min_containment)
        m = cfg.margin
        ok = (c >= need + m) & (g >= cfg.min_coverage + m)
        unsure = np.flatnonzero(~ok & (c >= need - m) & (g >= cfg.min_coverage - m))
        for lo in range(0, len(unsure), _EXACT_CHUNK):
            idx = unsure[lo : lo + _EXACT_CHUNK]
            c[idx], g[idx] = self._exact(a[idx], b[idx])
            ok[idx] = (c[idx] >= need[idx]) & (g[idx] >= cfg.min_coverage)
        # Two short near-copies that differ in a "nie", "przeciw" or a number say different things ("Popieram…"
        # against "Nie popieram…", 10% against 0%): answering one for both would be wrong. Longer campaign letters
        # may differ so in their senders' own additions, so only short pairs are checked.
        near = np.flatnonzero(ok & short)
        if len(near):
            ok[near] = [self._stance(x) == self._stance(y) for x, y in zip(a[near].tolist(), b[near].tolist())]
        return ok, c

    def _stance(self, unit: int) -> tuple[int, tuple[str, ...]]:
        """How many negations and which numbers a unit holds."""
        if unit not in self._stances:
            text = self.folded[unit]
            negations = sum(w in _NEGATIONS for w in _WORD.findall(text))
            self._stances[unit] = (negations, tuple(sorted(_NUMBER.findall(text))))
        return self._stances[unit]

    def _exact(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact shingle containment for a chunk of pairs, from 32-bit shingle hashes (collisions negligible)."""
        units, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
        hashes, docs = shingle_hashes([self.folded[u] for u in units], self.cfg.shingle, self.cfg.seed)
        # Grouped by unit already: timsort sorts each unit's run and merges them, twice as fast as the default sort.
        keys = sorted_unique((docs.astype(np.uint64) << np.uint64(32)) | (hashes >> np.uint64(32)), kind="stable")
        values = (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        bounds = np.searchsorted(keys >> np.uint64(32), np.arange(len(units) + 1, dtype=np.uint64))
        ia, ib = inverse[: len(a)], inverse[len(a) :]
        c = np.empty(len(a))
        g = np.empty(len(a))
        for i, (x, y) in enumerate(zip(ia.tolist(), ib.tolist())):
            sx, sy = values[bounds[x] : bounds[x + 1]], values[bounds[y] : bounds[y + 1]]
            if len(sx) > len(sy):
                sx, sy = sy, sx
            pos = np.minimum(np.searchsorted(sy, sx), len(sy) - 1)
            shared = int(np.count_nonzero(sy[pos] == sx))
            c[i], g[i] = shared / len(sx), shared / len(sy)
        return c, g


# ------------------------------------------------------------------------------------------------- the grouping
#
# Clustering in steps that two drivers share: the `cluster` stage below runs them one after another on the whole
# batch; the Dask engine (`pipeline/engines/dask.py`) runs each *map* step per partition and each *group* step per
# partition after shuffling by the step's key, so every comment lands in the same cluster either way. A unit (one
# distinct folded core) is named by its first row's position in the batch, so unit order is row order whichever
# machine found it.


def row_cores(df: pd.DataFrame, cfg: Config, rows: np.ndarray) -> pd.DataFrame:
    """Map step, any chunk of rows (`rows`: their positions in the batch): the rows that take part in grouping, as
    `row`, `unit_id` (comment id), `core` (the folded core's key) and `signature`, from the `cluster_keys` stage's
    columns, or computed here (`row_keys`) for a table without them."""
    if CORE_COLUMN in df.columns and SIGNATURE_COLUMN in df.columns:
        keys, signatures = df[CORE_COLUMN].to_numpy(dtype=np.int64), df[SIGNATURE_COLUMN]
    else:
        if "text_clean" not in df.columns:
            raise MissingColumnsError("cluster", ["text_clean"])
        keys, computed = row_keys(df, cfg)
        signatures = pd.Series(computed, index=df.index, dtype=object)
    kept = np.flatnonzero(keys != NO_CORE)
    return pd.DataFrame({"row": np.asarray(rows, dtype=np.int64)[kept],
                         "unit_id": df["comment_id"].astype(str).iloc[kept].reset_index(drop=True),
                         "core": keys[kept],
                         "signature": signatures.iloc[kept].reset_index(drop=True)})


def assign_units(rows: pd.DataFrame) -> pd.DataFrame:
    """Group step by `core` (every row of a core in the table): adds `unit` (the core's first row) and `weight`
    (its rows) to `row_cores`' table."""
    by_core = rows.groupby("core", sort=False)["row"]
    return rows.assign(unit=by_core.transform("min").astype(np.int64), weight=by_core.transform("size"))


def first_rows(assigned: pd.DataFrame) -> pd.DataFrame:
    """The units of `assign_units`' table: `unit`, `unit_id`, `core`, `signature`, `weight`."""
    units = assigned[assigned["row"] == assigned["unit"]]
    return units[["unit", "unit_id", "core", "signature", "weight"]].reset_index(drop=True)


def band_rows(units: pd.DataFrame, cfg: ClusterConfig) -> pd.DataFrame:
    """Map step over units: `band`, `key` (the band's hash) and `unit` for every LSH band of every unit with a
    signature (more than `min_words` words: shorter ones join exact duplicates only)."""
    long = units[units["signature"].notna()]
    keys = band_keys(signature_matrix(long["signature"].tolist(), cfg), cfg.rows_per_band)
    n, bands = keys.shape
    return pd.DataFrame({"band": np.tile(np.arange(bands, dtype=np.int16), n), "key": keys.ravel(),
                         "unit": np.repeat(long["unit"].to_numpy(dtype=np.int64), bands)})


def bucket_pairs(bands: pd.DataFrame) -> pd.DataFrame:
    """Group step by `key` (every unit of a bucket in the table): candidate pairs `a` < `b`, each unit linked to
    its bucket's first unit (a star: pairs grow linearly with the units, components stay the same), deduplicated."""
    band, key, unit = (bands[c].to_numpy() for c in ("band", "key", "unit"))
    order = np.lexsort((unit, key, band))
    band, key, unit = band[order], key[order], unit[order]
    starts = np.concatenate(([True], (band[1:] != band[:-1]) | (key[1:] != key[:-1]))) if len(unit) else unit
    head = unit[np.flatnonzero(starts)[np.cumsum(starts) - 1]] if len(unit) else unit
    member = head != unit
    return unique_pairs(pd.DataFrame({"a": head[member], "b": unit[member]}))


def unique_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """Group step by `a`: each pair once, in (a, b) order. Units are row positions, below 2**32."""
    code = sorted_unique((pairs["a"].to_numpy(dtype=np.int64) << 32) | pairs["b"].to_numpy(dtype=np.int64))
    return pd.DataFrame({"a": code >> 32, "b": code & 0xFFFFFFFF})


def paired_units(pairs: pd.DataFrame) -> np.ndarray:
    """The units in any of the candidate pairs (`a`, `b`), sorted: the only ones whose texts clustering reads."""
    return np.unique(np.concatenate([pairs["a"].to_numpy(dtype=np.int64), pairs["b"].to_numpy(dtype=np.int64)]))


def with_texts(units: pd.DataFrame, texts: Mapping[int, str]) -> pd.DataFrame:
    """Map step over units: adds `text` (`text_clean`) and `folded` (its folded core, as `cluster_keys` computed it)
    for the units in `texts` (unit -> text, the units in a candidate pair); None for the others, which verify with
    no one and so are never read."""
    text = [texts.get(u) for u in units["unit"].tolist()]
    folded = [folded_core(t) if t is not None else None for t in text]
    return units.assign(text=pd.Series(text, index=units.index, dtype=object),
                        folded=pd.Series(folded, index=units.index, dtype=object))


def unit_texts(texts: pd.Series) -> dict[int, str]:
    """unit -> text, from `text_clean` of the units' rows (indexed by their positions), read as `row_keys` reads
    it."""
    values = (texts.fillna("") if texts.hasnans else texts).tolist()
    return dict(zip(texts.index.tolist(), [v if isinstance(v, str) else str(v) for v in values]))


def _verifier(cores: Sequence[str], signatures: Sequence[bytes], cfg: ClusterConfig) -> _Verifier:
    """A verifier over long units' cores and their signatures (`cluster_keys.row_keys`), addressed by position."""
    n = len(cores)
    word_counts = np.fromiter((f.count(" ") + 1 for f in cores), dtype=np.int64, count=n)
    sig = signature_matrix(list(signatures), cfg)
    return _Verifier(cores, word_counts, sig, np.arange(n, dtype=np.int64), cfg)


def verify_pairs(pairs: pd.DataFrame, cfg: ClusterConfig) -> pd.DataFrame:
    """Map step over candidate pairs carrying both folded cores and signatures (`a`, `b`, `folded_a`, `folded_b`,
    `signature_a`, `signature_b`): the verified (a, b)."""
    if pairs.empty:
        return pairs[["a", "b"]]
    units, inverse = np.unique(np.concatenate([pairs["a"].to_numpy(), pairs["b"].to_numpy()]), return_inverse=True)
    cores, signatures = np.empty(len(units), dtype=object), np.empty(len(units), dtype=object)
    for values, column in ((cores, "folded"), (signatures, "signature")):
        values[inverse] = np.concatenate([pairs[f"{column}_a"].to_numpy(dtype=object),
                                          pairs[f"{column}_b"].to_numpy(dtype=object)])
    ok, _ = _verifier(cores.tolist(), signatures.tolist(), cfg)(inverse[: len(pairs)], inverse[len(pairs) :])
    return pairs.loc[ok, ["a", "b"]].reset_index(drop=True)


def pair_components(pairs: pd.DataFrame) -> pd.DataFrame:
    """Reduce step over every verified pair: per unit in a pair, its `component` (connected components of the
    pairs) and its `neighbours` (the units it verified with)."""
    if pairs.empty:
        return pd.DataFrame({"unit": np.empty(0, np.int64), "component": np.empty(0, np.int64),
                             "neighbours": pd.Series([], dtype=object)})
    a, b = pairs["a"].to_numpy(dtype=np.int64), pairs["b"].to_numpy(dtype=np.int64)
    units, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    n, ia, ib = len(units), inverse[: len(a)], inverse[len(a) :]
    _, comp = connected_components(coo_matrix((np.ones(len(a)), (ia, ib)), shape=(n, n)), directed=False)
    neighbours: list[list[int]] = [[] for _ in range(n)]
    for x, y in zip(ia.tolist(), ib.tolist()):
        neighbours[x].append(int(units[y]))
        neighbours[y].append(int(units[x]))
    return pd.DataFrame({"unit": units, "component": comp.astype(np.int64),
                         "neighbours": pd.Series([tuple(v) for v in neighbours], dtype=object)})


def _split_component(
    members: np.ndarray, edges: dict[int, list[int]], weight: np.ndarray, verify: _Verifier
) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Clusters (representative, units, similarities) of one component, each unit verified against its rep."""
    out = []
    remaining = set(members.tolist())
    while len(remaining) > 1:
        # The representative: most verified neighbours (counting their duplicates), then earliest.
        def degree(u: int) -> tuple[int, int]:
            return sum(int(weight[v]) for v in edges.get(u, ()) if v in remaining) + int(weight[u]), -u

        rep = max(sorted(remaining), key=degree)
        others = np.array(sorted(remaining - {rep}), dtype=np.int64)
        ok, sim = verify(np.full(len(others), rep), others)
        if not ok.any():
            # The rep verifies with no one left: it stays alone and the rest is tried again without it.
            remaining.discard(rep)
            continue
        units = np.concatenate(([rep], others[ok]))
        out.append((rep, units, np.concatenate(([1.0], sim[ok]))))
        remaining -= set(units.tolist())
    return out


def split_components(members: pd.DataFrame, cfg: ClusterConfig) -> pd.DataFrame:
    """Group step by `component` (`unit`, `folded`, `signature`, `weight`, `component`, `neighbours` of every
    member): per unit that joined a cluster, its representative `rep` and its containment `similarity` in/of it."""
    members = members.sort_values("unit", kind="stable")
    units = members["unit"].to_numpy(dtype=np.int64)
    # Positions stand for units within this table; they keep the units' order, which breaks ties.
    pos = {u: i for i, u in enumerate(units.tolist())}
    edges = {pos[u]: [pos[v] for v in nb] for u, nb in zip(units.tolist(), members["neighbours"].tolist())}
    verify = _verifier(members["folded"].tolist(), members["signature"].tolist(), cfg)
    weight = members["weight"].to_numpy()
    comp = members["component"].to_numpy()
    order = np.argsort(comp, kind="stable")
    bounds = np.flatnonzero(np.concatenate(([True], comp[order][1:] != comp[order][:-1], [True])))
    rep_of, similarity = [], []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        for rep, group, sim in _split_component(order[lo:hi], edges, weight, verify):
            rep_of.append(np.column_stack((units[group], np.full(len(group), units[rep]))))
            similarity.append(sim)
    found = np.concatenate(rep_of) if rep_of else np.empty((0, 2), dtype=np.int64)
    return pd.DataFrame({"unit": found[:, 0], "rep": found[:, 1],
                         "similarity": np.concatenate(similarity) if similarity else np.empty(0)})


def cluster_units(units: pd.DataFrame, cfg: ClusterConfig) -> pd.DataFrame:
    """Group step by `rep` (every unit of a cluster: `unit`, `unit_id`, `text`, `folded`, `weight`, `rep`,
    `similarity`): per unit, `cluster_id` (the id of its cluster's first row), `cluster_size`, `rep_id`,
    `similarity` and `added` (what it says beyond the cluster's template)."""
    units = units.sort_values("unit", kind="stable")
    unit, rep = units["unit"].to_numpy(dtype=np.int64), units["rep"].to_numpy(dtype=np.int64)
    codes, reps = pd.factorize(rep)
    size = np.bincount(codes, weights=units["weight"].to_numpy()).astype(np.int64)
    # Units are sorted, so a cluster's first unit holds its first row; the representative is a unit of it too.
    first_pos = np.full(len(reps), len(unit), dtype=np.int64)
    np.minimum.at(first_pos, codes, np.arange(len(unit)))
    ids = units["unit_id"].to_numpy(dtype=object)
    id_of = dict(zip(unit.tolist(), ids.tolist()))
    added = _added_texts(units, rep, cfg.covered_share)
    return pd.DataFrame({"unit": unit, "cluster_id": ids[first_pos[codes]], "cluster_size": size[codes],
                         "rep": rep, "rep_id": [id_of[r] for r in rep.tolist()],
                         "similarity": units["similarity"].to_numpy(dtype=np.float64), "added": added})


def _added_texts(units: pd.DataFrame, rep: np.ndarray, share: float) -> list[str]:
    """Per unit (sorted) in a cluster with other units: what it says beyond the template (a representative: beyond
    what members share); "" for the rest."""
    unit = units["unit"].to_numpy(dtype=np.int64)
    cores, texts = units["folded"].tolist(), units["text"].tolist()
    pos = {u: i for i, u in enumerate(unit.tolist())}
    members_of: dict[int, list[int]] = {}
    for i, r in enumerate(rep.tolist()):
        if r != unit[i]:
            members_of.setdefault(pos[r], []).append(i)
    added = [""] * len(unit)
    for r, members in members_of.items():
        group = (r, *members)
        # Measured against the template, not the representative letter: what a sender added must not depend on
        # which letter came first, nor vanish because the representative's sender added it too.
        sample = [cores[i] for i in group[:_TEMPLATE_SAMPLE]]
        base = cluster_memo.fingerprint("added", share, sample) if cluster_memo.active() else ""
        keys = [cluster_memo.fingerprint(base, texts[i]) for i in group] if base else [""] * len(group)

        def compute(todo: Sequence[int], group: tuple[int, ...] = group, sample: list[str] = sample) -> list[str]:
            reference, memo = template_bigrams(sample), ShareMemo()
            return [" ".join(added_sentences(core_text(texts[group[n]]), reference, share, memo)) for n in todo]

        for i, text in zip(group, cluster_memo.remembered(keys, compute)):
            added[i] = text
    return added


def row_cluster_columns(df: pd.DataFrame, rows: np.ndarray, found: pd.DataFrame) -> pd.DataFrame:
    """Reduce step, any chunk of rows (`rows`: their positions in the batch): the cluster columns, given
    `found` (`row`, `unit` and the `cluster_units` columns) for the chunk's rows that took part in grouping."""
    # Only adds columns (a deep copy would double the text in memory), and drops `cluster_keys`' internal ones.
    out = df.drop(columns=[c for c in KEY_COLUMNS if c in df.columns]).copy(deep=False)
    n = len(out)
    ids = out["comment_id"].astype(str).to_numpy()
    where = pd.Index(np.asarray(rows, dtype=np.int64)).get_indexer(found["row"].to_numpy())
    cluster_id, size, rep_id = ids.copy(), np.ones(n, dtype=np.int64), np.full(n, "", dtype=object)
    sim, added = np.ones(n), np.full(n, "", dtype=object)
    is_rep = np.ones(n, dtype=bool)
    cluster_id[where] = found["cluster_id"].to_numpy()
    size[where] = found["cluster_size"].to_numpy()
    rep_id[where] = found["rep_id"].to_numpy()
    sim[where] = found["similarity"].to_numpy()
    added[where] = found["added"].to_numpy()
    is_rep[where] = found["rep"].to_numpy() == found["row"].to_numpy()
    multi = size > 1
    out["cluster_id"] = cluster_id
    out["cluster_size"] = size
    out["cluster_role"] = np.where(~multi, ROLE_UNIQUE, np.where(is_rep, ROLE_REPRESENTATIVE, ROLE_MEMBER))
    out["cluster_representative"] = np.where(multi, rep_id, "")
    out["cluster_similarity"] = np.round(sim, 3)
    out["added_text"] = np.where(multi, added, "")
    return out


def with_cores(pairs: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Candidate pairs with both units' folded cores and signatures (`with_texts`), for `verify_pairs`."""
    keys = units[["unit", "folded", "signature"]]
    return (pairs.merge(keys.rename(columns={"unit": "a", "folded": "folded_a", "signature": "signature_a"}), on="a")
                 .merge(keys.rename(columns={"unit": "b", "folded": "folded_b", "signature": "signature_b"}), on="b"))


def with_clusters(units: pd.DataFrame, split: pd.DataFrame) -> pd.DataFrame:
    """Units with their representative and similarity: a unit in no cluster is its own representative."""
    out = units.merge(split, on="unit", how="left")
    alone = out["rep"].isna()
    return out.assign(rep=out["rep"].where(~alone, out["unit"]).astype(np.int64),
                      similarity=out["similarity"].where(~alone, 1.0).astype(np.float64))


# ------------------------------------------------------------------------------------------------ added text


def _bigrams(folded: str) -> set[tuple[str, ...]]:
    """Word bigrams of a folded text (the word itself for a one-word text)."""
    return _word_bigrams(folded.split())


def _word_bigrams(words: list[str]) -> set[tuple[str, ...]]:
    return set(_word_pairs(words))


def _word_pairs(words: list[str]) -> Iterable[tuple[str, ...]]:
    """The words' bigrams as they come (the word itself for one word): what a set of them is made of, or tested
    against one by one."""
    return zip(words, words[1:]) if len(words) > 1 else [tuple(words)] if words else []


@dataclass
class ShareMemo:
    """What `_sentence_shares` measured against one `reference` (a cluster's members repeat its template's lines
    and sentences, so the caller keeps one per cluster): per folded span, the share of its bigrams in `reference`
    (None: it has none); per line as written, the (sentence, share) pairs it gives."""

    spans: dict[str, float | None] = field(default_factory=dict)
    lines: dict[str, list[tuple[str, float]]] = field(default_factory=dict)


def _sentence_shares(core: str, reference: set[tuple[str, ...]], only_uncovered: bool,
                     memo: ShareMemo | None = None) -> list[tuple[str, float]]:
    """(sentence, share of its word bigrams found in `reference`) for the sentences of a core text.

    A line whose bigrams are all in `reference` has only fully covered sentences (share 1): with
    `only_uncovered` they are skipped without splitting the line, the common case for campaign members.
    A line is measured once per `memo` (members' lines repeat the template's), and folded only then.
    """
    memo = ShareMemo() if memo is None else memo
    out: list[tuple[str, float]] = []
    for line in core.split("\n"):
        found = memo.lines.get(line)
        if found is None:
            folded = fold_chars(line)
            if len(folded) != len(line):  # a character folded to several or none: positions no longer line up
                whole = fold(core)
                return _line_shares(whole, whole, reference, only_uncovered, memo.spans)
            found = memo.lines[line] = _line_shares(line, folded, reference, only_uncovered, memo.spans)
        out.extend(found)
    return out


def _line_shares(line: str, folded: str, reference: set[tuple[str, ...]], only_uncovered: bool,
                 spans: dict[str, float | None]) -> list[tuple[str, float]]:
    """`_sentence_shares` of one line, given it passed through the fold table (`folded`, of the same length);
    `spans` as `ShareMemo` holds them."""

    def share_of(start: int, end: int) -> float | None:
        span = folded[start:end]
        if span not in spans:
            own = _word_bigrams(_word_pieces(span))
            spans[span] = len(own & reference) / len(own) if own else None
        return spans[span]

    # Covered (share 1, or no bigrams): tested without building the line's set, stopping at a bigram it lacks.
    words = _word_pieces(folded)
    if len(words) > 1:
        covered = reference.issuperset(zip(words, words[1:]))
    else:
        covered = not words or tuple(words) in reference
    if covered and only_uncovered:
        return []
    out = []
    for a, b in sentence_spans(line):
        own = share_of(a, b)
        if own is not None:
            out.append((line[a:b].strip(), 1.0 if covered else own))
    return out


def _word_pieces(folded: str) -> list[str]:
    """`fold`'s words of a folded text (`fold_chars`): its underscores part words as its spaces do."""
    if folded.isascii():
        return folded.encode("ascii").translate(_ASCII_PIECES).decode("ascii").split()
    return _WORD_PIECE.findall(folded)


def added_sentences(core: str, reference: set[tuple[str, ...]], min_share: float,
                    memo: ShareMemo | None = None) -> list[str]:
    """Sentences of a member mostly absent from the template, given the template's word bigrams
    (order-free, so moved paragraphs do not count as added); `memo` as `_sentence_shares` takes it."""
    return [s for s, share in _sentence_shares(core, reference, True, memo) if share < min_share]


def template_bigrams(folded: Sequence[str]) -> set[tuple[str, ...]]:
    """The word bigrams of a cluster's template: those nearly all its letters (folded cores) contain. A sentence
    that a few senders, the representative's among them, added alike is no part of it; a few letters that reword
    the template do not shrink it."""
    sample = folded[:_TEMPLATE_SAMPLE]
    need = max(2, math.ceil(_TEMPLATE_SHARE * len(sample)))
    if need == len(sample):
        # Most clusters are of two to four letters, whose template is what every letter holds: intersected, the
        # other letters' pairs are looked up, not gathered into sets and counted.
        shared = _bigrams(sample[0])
        for m in sample[1:]:
            shared.intersection_update(_word_pairs(m.split()))
        return shared
    counts = Counter(chain.from_iterable(_bigrams(m) for m in sample))
    return {b for b, c in counts.items() if c >= need}


def template_sentences(rep_core: str, members: Sequence[str], min_share: float) -> list[str]:
    """Sentences of the representative whose word bigrams belong to the template of it and its members (folded
    cores)."""
    if not members:
        return split_sentences(rep_core)
    shared = template_bigrams([fold(rep_core), *members])
    return [s for s, share in _sentence_shares(rep_core, shared, False) if share >= min_share]


# --------------------------------------------------------------------------------------------------- the stage


# Of every row of a run it reads the id and `cluster_keys`' columns, internal ones that a spilled run keeps anyway;
# `text_clean` only of the units in a candidate pair (`unit_texts`), or of every row of a table without the keys
# (`row_cores` computes them then). So `requires` names the id alone, and the spill keeps no text for clustering.
@stage("cluster", requires=("comment_id",), assigns=CLUSTER_COLUMNS, row_wise=False)
def cluster(df: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """Stage: add `cluster_id`, `cluster_size`, `cluster_kind`, `cluster_role`, `cluster_representative`,
    `cluster_similarity`, `added_text`; read and drop `cluster_keys`' columns."""
    ccfg = cfg.cluster
    positions = np.arange(len(df), dtype=np.int64)
    assigned = assign_units(row_cores(df, cfg, positions))
    units = first_rows(assigned)
    candidates = candidate_pairs(units, ccfg)
    folded = paired_cores(df, paired_units(candidates))
    units = units.assign(folded=pd.Series([folded.get(u) for u in units["unit"].tolist()], index=units.index,
                                          dtype=object))
    pairs = pd.concat([verify_pairs(with_cores(candidates.iloc[lo : lo + _VERIFY_PAIRS], units), ccfg)
                       for lo in range(0, len(candidates), _VERIFY_PAIRS)] or [candidates], ignore_index=True)
    del candidates
    split = split_components(units.merge(pair_components(pairs), on="unit"), ccfg)
    del pairs
    clusters = clusters_in_batches(df, with_clusters(units.drop(columns="folded"), split), folded, ccfg)
    out = row_cluster_columns(df, positions, assigned[["row", "unit"]].merge(clusters, on="unit"))
    out.insert(out.columns.get_loc("cluster_size") + 1, "cluster_kind", cluster_kinds(out, cfg))
    return out


def candidate_pairs(units: pd.DataFrame, cfg: ClusterConfig) -> pd.DataFrame:
    """`unique_pairs(bucket_pairs(band_rows(units, cfg)))` one band at a time: the band table of every band at once
    (and its sorted copies) is the largest thing clustering would hold for a big batch."""
    long = units[units["signature"].notna()]
    signatures = long["signature"].to_numpy(dtype=object)
    # The band keys (8 bytes a band) from the signatures (4 bytes a value, 4 values a band) a slice at a time.
    keys = np.empty((len(long), cfg.num_bins // cfg.rows_per_band), dtype=np.uint64)
    for lo in range(0, len(long), _READ_UNITS):
        keys[lo : lo + _READ_UNITS] = band_keys(signature_matrix(signatures[lo : lo + _READ_UNITS].tolist(), cfg),
                                                cfg.rows_per_band)
    unit = long["unit"].to_numpy(dtype=np.int64)
    code = np.empty(0, dtype=np.int64)
    for band in range(keys.shape[1]):
        found = bucket_pairs(pd.DataFrame({"band": np.zeros(len(unit), dtype=np.int16), "key": keys[:, band],
                                           "unit": unit}))
        code = sorted_union(code, (found["a"].to_numpy(dtype=np.int64) << 32) | found["b"].to_numpy(dtype=np.int64))
    return pd.DataFrame({"a": code >> 32, "b": code & 0xFFFFFFFF})


def _in_row_order(df: pd.DataFrame, units: np.ndarray) -> Iterator[dict[int, str]]:
    """`unit_texts` of the units (sorted row positions), `_READ_UNITS` at a time: a spilled run reads each part
    file about once, and the texts of only one slice are held at a time."""
    for lo in range(0, len(units), _READ_UNITS):
        yield unit_texts(column_rows(df, "text_clean", units[lo : lo + _READ_UNITS], "cluster"))


def paired_cores(df: pd.DataFrame, units: np.ndarray) -> dict[int, str]:
    """unit -> folded core (as `with_texts` gives it) of the units in a candidate pair (sorted): what verifying
    and splitting read. The `cluster_keys` stage's (`FOLDED_COLUMN`), where the table or the engine keeps them;
    else their texts folded again, the texts let go of slice by slice."""
    stored = kept_rows(df, FOLDED_COLUMN, units)
    if stored is not None:
        return dict(zip(units.tolist(), stored.tolist()))
    folded: dict[int, str] = {}
    for texts in _in_row_order(df, units):
        found = list(texts.values())
        # A night remembers the cores by text: most paired units are last night's, and folding cost more than hashing.
        keys = [cluster_memo.fingerprint("core", t) for t in found] if cluster_memo.active() else [""] * len(found)
        folded.update(zip(texts, cluster_memo.remembered(keys, lambda todo: [folded_core(found[n]) for n in todo])))
    return folded


def clusters_in_batches(df: pd.DataFrame, units: pd.DataFrame, folded: Mapping[int, str],
                        cfg: ClusterConfig) -> pd.DataFrame:
    """`cluster_units` of `with_clusters`' table, whole clusters about `_ADDED_UNITS` units at a time, given the
    folded cores of the units in a pair: the texts of the units in a cluster of two or more are read once, kept as
    UTF-8 (half a Polish text's size as a Python string), and made strings again only for their batch, wherever
    the engine runs it (`pipeline.pieces`: the batches are independent)."""
    unit, rep = units["unit"].to_numpy(dtype=np.int64), units["rep"].to_numpy(dtype=np.int64)
    clustered = unit != rep
    clustered[np.searchsorted(unit, rep[clustered])] = True  # their representatives (`unit` is sorted)
    stored: dict[int, bytes] = {}
    for texts in _in_row_order(df, unit[clustered]):
        stored.update((u, t.encode()) for u, t in texts.items())
    alone = units[~clustered]
    out = [cluster_units(alone.assign(text=None, folded=None), cfg)]
    order = np.flatnonzero(clustered)[np.argsort(rep[clustered], kind="stable")]
    starts = np.flatnonzero(np.concatenate(([True], rep[order][1:] != rep[order][:-1]))) if len(order) else order
    cuts = np.unique(np.searchsorted(starts, np.arange(0, len(order), _ADDED_UNITS), side="right") - 1)
    read = [units.columns.get_loc(c) for c in ("unit", "unit_id", "weight", "rep", "similarity")]  # no signatures

    def batches() -> Iterator[pd.DataFrame]:
        for lo, hi in zip(starts[cuts], np.append(starts[cuts][1:], len(order))):
            batch = units.iloc[np.sort(order[lo:hi]), read]
            members = batch["unit"].tolist()
            yield batch.assign(text=pd.Series([stored.pop(u) for u in members], index=batch.index, dtype=object),
                               folded=pd.Series([folded[u] for u in members], index=batch.index, dtype=object))

    out.extend(pieces.mapped(partial(_units_clustered, cfg), batches()))
    return pd.concat(out, ignore_index=True)


def _units_clustered(cfg: ClusterConfig, batch: pd.DataFrame) -> pd.DataFrame:
    """`cluster_units` of a batch of whole clusters whose texts are UTF-8 (as they travel to a worker: half their
    size as Python strings)."""
    texts = [t.decode() for t in batch["text"].tolist()]
    return cluster_units(batch.assign(text=pd.Series(texts, index=batch.index, dtype=object)), cfg)


def sender_keys(df: pd.DataFrame, cfg: Config) -> pd.Series:
    """Map step, any chunk of rows: who sent each comment, told by the personal-data columns (name, e-mail); a row
    without them is a sender of its own (keyed by its position in the batch, the table's index)."""
    personal = detect_pii_columns([c for c in df.columns if c not in OUTPUT_COLUMNS],
                                  [c for c in cfg.ingest.pii_cols if c in df.columns])
    keys = (df[personal].astype(str).apply(lambda col: col.map(fold)).agg("|".join, axis=1) if personal
            else pd.Series("", index=df.index, dtype=object))
    blank = keys.str.strip("|") == ""
    return keys.where(~blank, "#" + pd.Series(df.index.astype(str), index=df.index))


def kinds_from(sizes: np.ndarray, senders: np.ndarray) -> list[str]:
    """Per row, from its cluster's size and number of senders: `duplikat` (at most two senders), `kampania` (more),
    empty for a unique comment."""
    multi = sizes > 1
    return np.where(~multi, "", np.where(senders <= DUPLICATE_MAX_SENDERS, KIND_DUPLICATE, KIND_CAMPAIGN)).tolist()


def cluster_kinds(df: pd.DataFrame, cfg: Config) -> list[str]:
    """Per row, the kind of its cluster (`kinds_from`), counting each cluster's senders (`sender_keys`)."""
    senders = sender_keys(df, cfg).groupby(df["cluster_id"].to_numpy()).transform("nunique").to_numpy()
    return kinds_from(df["cluster_size"].to_numpy(), senders)


def cluster_table(df: pd.DataFrame, cfg: Config | None = None) -> pd.DataFrame:
    """clusters.csv rows: one per cluster of two or more comments, largest first.

    Columns `cluster_id`, `kind` (`duplikat` or `kampania`), `size`, `representative_id`, `template` (the representative's sentences that most
    members share, from `text_clean`) and, when `label` exists, `labels` ("label: count; ...", most frequent first).
    """
    share = (cfg or Config()).cluster.covered_share
    has_labels = "label" in df
    columns = ["cluster_id", "kind", "size", "representative_id", "template"] + (["labels"] if has_labels else [])
    # Only the short columns read here: every member's whole row would be a copy of half a campaign-heavy table.
    read = [c for c in ("cluster_id", "cluster_role", "comment_id", "cluster_kind", "label") if c in df]
    in_multi = (df["cluster_size"] > 1).to_numpy()
    multi = df.loc[in_multi, read]
    cids = multi["cluster_id"].to_numpy()
    codes, uniques = pd.factorize(cids)
    is_rep = (multi["cluster_role"] == ROLE_REPRESENTATIVE).to_numpy()
    ids = multi["comment_id"].to_numpy()
    kinds = (multi["cluster_kind"] if "cluster_kind" in multi else pd.Series(KIND_CAMPAIGN, index=multi.index)
             ).to_numpy()
    # The rows a template reads, cluster by cluster (table order within one), and where each cluster's begin.
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes, minlength=len(uniques))
    chosen = order[_template_read(cids, is_rep)[order]]
    bounds = np.searchsorted(codes[chosen], np.arange(len(uniques) + 1))
    # Their texts become Python strings a slice of clusters at a time: all at once they are several times the
    # UTF-8 a spilled run reads them as (`export/spilled_clusters.py`).
    text_rows = np.flatnonzero(in_multi)[chosen]
    rows = []
    first = 0
    while first < len(uniques):
        lo = bounds[first]
        last = max(int(np.searchsorted(bounds, lo + _TEMPLATE_TEXTS, side="right")) - 1, first + 1)
        texts = df["text_clean"].iloc[text_rows[lo : bounds[last]]].fillna("").astype(str).to_numpy(dtype=object)
        for c in range(first, last):
            mine = texts[bounds[c] - lo : bounds[c + 1] - lo]
            rep_at = np.flatnonzero(is_rep[chosen[bounds[c] : bounds[c + 1]]])[0]
            rep, sample = mine[rep_at], np.delete(mine, rep_at)
            key = (cluster_memo.fingerprint("template", share, rep, sample.tolist()) if cluster_memo.active()
                   else "")

            def compute(_: Sequence[int], rep: str = rep, sample: np.ndarray = sample) -> list[str]:
                rep_core = core_text(rep)
                others = [fold(core_text(text)) for text in sample]
                return [" ".join(template_sentences(rep_core, others, share)) or rep_core]

            at = chosen[bounds[c] + rep_at]
            rows.append((uniques[c], kinds[at], int(sizes[c]), ids[at], cluster_memo.remembered([key], compute)[0]))
        first = last
    table = pd.DataFrame(rows, columns=columns[:5])
    if has_labels:
        counts = multi.groupby(["cluster_id", "label"], sort=False).size().reset_index(name="n")
        counts = counts.sort_values(["cluster_id", "n"], ascending=[True, False], kind="stable")
        pairs = counts["label"].astype(str) + ": " + counts["n"].astype(str)
        text = pairs.groupby(counts["cluster_id"]).agg("; ".join)
        table["labels"] = table["cluster_id"].map(text).fillna("")
    return table.sort_values("size", ascending=False, kind="stable").reset_index(drop=True)


def template_rows(df: pd.DataFrame) -> pd.Index:
    """The rows whose `text_clean` `cluster_table` reads (`_template_read`)."""
    multi = df.loc[(df["cluster_size"] > 1).to_numpy(), ["cluster_id", "cluster_role"]]
    return multi.index[_template_read(multi["cluster_id"].to_numpy(),
                                      (multi["cluster_role"] == ROLE_REPRESENTATIVE).to_numpy())]


def _template_read(cluster_ids: np.ndarray, is_rep: np.ndarray) -> np.ndarray:
    """Of the rows of clusters of two or more (their cluster ids and whether each is a representative, in table
    order), those a cluster's template is made of: its representative and its first `_TEMPLATE_SAMPLE` other
    members."""
    nth = pd.Series(is_rep).groupby([cluster_ids, is_rep]).cumcount().to_numpy()
    return np.where(is_rep, nth == 0, nth < _TEMPLATE_SAMPLE)
