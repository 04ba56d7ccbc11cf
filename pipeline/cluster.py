"""Clustering stage: exact duplicates, near-duplicates and campaigns (form letters) over `text_clean`.

1. Each comment is reduced to its *core*: redaction placeholders, the opening greeting and the closing/signature
   block are removed, so they cannot make two comments look alike. Comments whose folded core is identical form
   one *unit* (exact duplicates); only units go further.
2. Units longer than `min_words` words get MinHash signatures on character shingles of the folded core; LSH
   banding (a group-by on band hashes) proposes candidate pairs.
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
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from pipeline.clean import fold, fold_chars
from pipeline.columns import CLUSTER_COLUMNS
from pipeline.config import ClusterConfig, Config
from pipeline.letters import CLOSINGS, first_words_pattern, phrases_pattern
from pipeline.minhash import (
    band_keys,
    batched_signatures,
    estimate_jaccard,
    shingle_hashes,
    sorted_unique,
    star_pairs,
)
from pipeline.sentences import sentence_spans, split_sentences
from pipeline.stage import stage
from pipeline.vocabulary import PLACEHOLDER, ROLE_MEMBER, ROLE_REPRESENTATIVE, ROLE_UNIQUE, STATUS_EMPTY, STATUS_ERROR

_EXCLUDED_STATUSES = frozenset({STATUS_ERROR, STATUS_EMPTY})

# Matched against the folded first line; a greeting line is short, an inline greeting ends at a comma or "!".
_GREETING = re.compile(
    r"^(szanown\w*|dzien dobry|dobry wieczor|witam\w*|witajcie|czesc|hej|drog\w*|drodzy|halo|"
    r"hello|hi|dear|добрий день|шановн\w*)\b"
)
_CLOSING = re.compile(rf"^(?:{phrases_pattern(CLOSINGS, fold)})\b")
# Cheap test on the raw line before folding it for `_CLOSING`.
_CLOSING_START = re.compile(rf"(?im)^[^\w\n]*(?:{first_words_pattern(CLOSINGS)}|--)")
_SIGNATURE_DELIMITER = re.compile(r"^-- ?$")
_MAX_SIGNATURE_WORDS = 40
_MAX_GREETING_WORDS = 6
_MAX_GREETING_CHARS = 80
_HEAD_END = re.compile(r"[,!:\n]")

# Pairs verified exactly at a time: bounds the shingle arrays held in memory.
_EXACT_CHUNK = 500
_NEGATIONS = frozenset({"nie", "przeciw", "przeciwko", "bez", "brak", "ani", "nigdy", "sprzeciw", "sprzeciwiam"})
_WORD = re.compile(r"\w+")
_NON_SPACE = re.compile(r"\S+")  # a word as str.split() counts it
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_ESTIMATE_CHUNK = 100_000
# Members read to find what a cluster shares; more only costs time.
_TEMPLATE_SAMPLE = 50
_TEMPLATE_SHARE = 0.8  # of a cluster's letters that hold a word pair for it to be the template's
_ROW_CHUNK = 50_000


# --------------------------------------------------------------------------------------------- text preparation


def strip_boilerplate(text: str) -> str:
    """The comment without redaction placeholders, opening greeting and closing/signature block."""
    if "[" in text:
        text = PLACEHOLDER.sub(" ", text)
    text = text.strip()
    head_end = _HEAD_END.search(text, 0, _MAX_GREETING_CHARS)
    if head_end is not None:
        head = fold(text[: head_end.start()])
        if _GREETING.match(head) and len(head.split()) <= _MAX_GREETING_WORDS:
            text = text[head_end.end() :].lstrip()
    signature_from: int | None = None  # where the last _MAX_SIGNATURE_WORDS words may start
    for m in _CLOSING_START.finditer(text):
        if m.start() == 0:
            continue
        if signature_from is None:  # found once: counting the words after each candidate is quadratic
            ends = deque((w.end() for w in _NON_SPACE.finditer(text)), maxlen=_MAX_SIGNATURE_WORDS + 1)
            signature_from = ends[0] if len(ends) > _MAX_SIGNATURE_WORDS else 0
        if m.start() < signature_from:
            continue
        end = text.find("\n", m.start())
        line = text[m.start() : end if end >= 0 else len(text)]
        if _CLOSING.match(fold(line)) or _SIGNATURE_DELIMITER.match(line.strip()):
            return text[: m.start()].rstrip()
    return text


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
        keys = sorted_unique((docs.astype(np.uint64) << np.uint64(32)) | (hashes >> np.uint64(32)))
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


@dataclass
class _Units:
    """Distinct folded cores, in order of first appearance."""

    row_unit: np.ndarray  # unit of each eligible row, -1 for rows kept unique
    first_row: np.ndarray  # first row of each unit
    multiplicity: np.ndarray  # rows per unit
    folded: list[str]


def core_text(text: str) -> str:
    """What is compared: the text without boilerplate, or, when that leaves nothing, without placeholders."""
    core = strip_boilerplate(text)
    return core if _WORD.search(core) else PLACEHOLDER.sub(" ", text).strip()


def _units(column: pd.Series, eligible: np.ndarray) -> _Units:
    row_unit = np.full(len(column), -1, dtype=np.int64)
    index: dict[str, int] = {}
    first_row: list[int] = []
    folded: list[str] = []
    # Identical submissions skip the text work. Keyed by the 64-bit string hash so the raw texts need not stay
    # in memory (a collision among a million distinct texts has odds of about 1 in 30 million).
    seen: dict[int, int] = {}
    for lo in range(0, len(column), _ROW_CHUNK):
        # Python strings a chunk at a time: the whole column as Python objects would double the memory.
        for i, text in enumerate(column.iloc[lo : lo + _ROW_CHUNK].tolist(), start=lo):
            if not eligible[i]:
                continue
            raw = hash(text)
            u = seen.get(raw)
            if u is None:
                key = fold(core_text(text))
                if not key:
                    continue
                u = index.get(key)
                if u is None:
                    u = index[key] = len(first_row)
                    first_row.append(i)
                    folded.append(key)
                seen[raw] = u
            row_unit[i] = u
    multiplicity = np.bincount(row_unit[row_unit >= 0], minlength=len(first_row))
    return _Units(row_unit, np.asarray(first_row, dtype=np.int64), multiplicity, folded)


def candidate_pairs(sig: np.ndarray, rows_per_band: int) -> np.ndarray:
    """(p, 2) unique row pairs (i < j) whose signatures agree on at least one LSH band."""
    n = np.int64(len(sig))
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    codes = [p[:, 0] * n + p[:, 1] for p in star_pairs(band_keys(sig, rows_per_band))]
    if not codes:
        return np.empty((0, 2), dtype=np.int64)
    code = sorted_unique(np.concatenate(codes))
    return np.stack([code // n, code % n], axis=1)


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


def group_units(folded: Sequence[str], weight: np.ndarray, cfg: ClusterConfig) -> tuple[np.ndarray, np.ndarray]:
    """Per unit (distinct folded core, `weight` rows each): its representative unit (itself when alone) and its
    containment in/of that representative. Units of at most `min_words` words stay alone."""
    n = len(folded)
    rep_of = np.arange(n, dtype=np.int64)
    similarity = np.ones(n, dtype=np.float64)
    word_counts = np.fromiter((f.count(" ") + 1 for f in folded), dtype=np.int64, count=n)
    long_ids = np.flatnonzero(word_counts > cfg.min_words)
    sig = batched_signatures([folded[i] for i in long_ids], cfg.num_bins, cfg.shingle, cfg.seed)
    sig_row = np.full(n, -1, dtype=np.int64)
    sig_row[long_ids] = np.arange(len(long_ids))
    verify = _Verifier(folded, word_counts, sig, sig_row, cfg)
    pairs = long_ids[candidate_pairs(sig, cfg.rows_per_band)]
    if not len(pairs):
        return rep_of, similarity
    ok, _ = verify(pairs[:, 0], pairs[:, 1])
    pairs = pairs[ok]
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    n_comp, comp = connected_components(graph, directed=False)
    edges: dict[int, list[int]] = {}
    for a, b in pairs.tolist():
        edges.setdefault(a, []).append(b)
        edges.setdefault(b, []).append(a)
    sizes = np.bincount(comp, minlength=n_comp)
    order = np.argsort(comp, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(sizes)))
    for c in np.flatnonzero(sizes > 1):
        for rep, units, sim in _split_component(order[bounds[c] : bounds[c + 1]], edges, weight, verify):
            rep_of[units] = rep
            similarity[units] = sim
    return rep_of, similarity


# ------------------------------------------------------------------------------------------------ added text


def _bigrams(folded: str) -> set[tuple[str, ...]]:
    """Word bigrams of a folded text (the word itself for a one-word text)."""
    words = folded.split()
    if len(words) < 2:
        return {tuple(words)} if words else set()
    return set(zip(words, words[1:]))


def _folded_bigrams(folded_chars: str, start: int, end: int) -> set[tuple[str, ...]]:
    """Bigrams of `fold` applied to a span, given the text already passed through the fold table."""
    return _bigrams(" ".join(_WORD.findall(folded_chars, start, end)).replace("_", " "))


def _sentence_shares(core: str, reference: set[tuple[str, ...]], only_uncovered: bool) -> list[tuple[str, float]]:
    """(sentence, share of its word bigrams found in `reference`) for the sentences of a core text.

    A line whose bigrams are all in `reference` has only fully covered sentences (share 1): with
    `only_uncovered` they are skipped without splitting the line, the common case for campaign members.
    """
    folded = fold_chars(core)
    if len(folded) != len(core):  # a character folded to several: positions no longer line up
        core = folded = fold(core)
    out = []
    pos = 0
    for line in core.split("\n"):
        end = pos + len(line)
        covered = _folded_bigrams(folded, pos, end) <= reference
        if not (covered and only_uncovered):
            for a, b in sentence_spans(line):
                own = _folded_bigrams(folded, pos + a, pos + b)
                if own:
                    out.append((line[a:b].strip(), 1.0 if covered else len(own & reference) / len(own)))
        pos = end + 1
    return out


def added_sentences(core: str, reference: set[tuple[str, ...]], min_share: float) -> list[str]:
    """Sentences of a member mostly absent from the template, given the template's word bigrams
    (order-free, so moved paragraphs do not count as added)."""
    return [s for s, share in _sentence_shares(core, reference, only_uncovered=True) if share < min_share]


def template_bigrams(folded: Sequence[str]) -> set[tuple[str, ...]]:
    """The word bigrams of a cluster's template: those nearly all its letters (folded cores) contain. A sentence
    that a few senders, the representative's among them, added alike is no part of it; a few letters that reword
    the template do not shrink it."""
    sample = folded[:_TEMPLATE_SAMPLE]
    counts = Counter(chain.from_iterable(_bigrams(m) for m in sample))
    need = max(2, math.ceil(_TEMPLATE_SHARE * len(sample)))
    return {b for b, c in counts.items() if c >= need}


def template_sentences(rep_core: str, members: Sequence[str], min_share: float) -> list[str]:
    """Sentences of the representative whose word bigrams belong to the template of it and its members (folded
    cores)."""
    if not members:
        return split_sentences(rep_core)
    shared = template_bigrams([fold(rep_core), *members])
    return [s for s, share in _sentence_shares(rep_core, shared, only_uncovered=False) if share >= min_share]


# --------------------------------------------------------------------------------------------------- the stage


@stage("cluster", requires=("comment_id", "text_clean"), assigns=CLUSTER_COLUMNS, row_wise=False)
def cluster(df: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """Stage: add `cluster_id`, `cluster_size`, `cluster_role`, `cluster_representative`, `cluster_similarity`,
    `added_text`."""
    ccfg = cfg.cluster
    out = df.copy(deep=False)  # only adds columns; a deep copy would double the text in memory
    n = len(out)
    ids = out["comment_id"].astype(str).to_numpy()
    texts = out["text_clean"]
    texts = (texts.fillna("") if texts.hasnans else texts).astype(str)
    eligible = np.full(n, ccfg.enabled, dtype=bool)
    if "status" in out.columns:
        eligible &= ~out["status"].isin(_EXCLUDED_STATUSES).to_numpy()

    units = _units(texts, eligible)
    rep_of, unit_sim = group_units(units.folded, units.multiplicity, ccfg)

    # A row's cluster is its unit's representative unit; rows kept out of grouping are clusters of their own.
    row_unit = units.row_unit
    grouped = row_unit >= 0
    row_key = np.arange(n, dtype=np.int64) + len(units.folded)
    row_key[grouped] = rep_of[row_unit[grouped]]
    inverse = pd.factorize(row_key)[0]
    size = np.bincount(inverse)
    earliest = np.full(len(size), n, dtype=np.int64)
    np.minimum.at(earliest, inverse, np.arange(n))

    rep_row = np.arange(n)
    rep_row[grouped] = units.first_row[rep_of[row_unit[grouped]]]
    is_rep = rep_row == np.arange(n)
    multi = size[inverse] > 1
    sim = np.ones(n)
    sim[grouped] = unit_sim[row_unit[grouped]]
    unit_added = _added_texts(texts, units, rep_of, sorted_unique(row_unit[multi & grouped]), ccfg)

    out["cluster_id"] = ids[earliest[inverse]]
    out["cluster_size"] = size[inverse]
    out["cluster_role"] = np.where(~multi, ROLE_UNIQUE, np.where(is_rep, ROLE_REPRESENTATIVE, ROLE_MEMBER))
    out["cluster_representative"] = np.where(multi, ids[rep_row], "")
    out["cluster_similarity"] = np.round(sim, 3)
    out["added_text"] = [unit_added.get(int(u), "") if m else "" for u, m in zip(row_unit, multi)]
    return out


def _added_texts(
    texts: pd.Series, units: _Units, rep_of: np.ndarray, multi_units: np.ndarray, cfg: ClusterConfig
) -> dict[int, str]:
    """Per unit in a cluster: what it says beyond the template (a representative: beyond what members share)."""
    share = cfg.covered_share
    members_of: dict[int, list[int]] = {}
    for u in multi_units.tolist():
        if rep_of[u] != u:
            members_of.setdefault(int(rep_of[u]), []).append(u)
    added: dict[int, str] = {}
    groups = list(members_of.items())
    start = 0
    while start < len(groups):
        # Texts are fetched a batch of clusters at a time: all cores at once would cost gigabytes at 1M rows,
        # and one fetch per cluster is slow on a chunked Arrow column.
        stop, size = start, 0
        while stop < len(groups) and (size < _ROW_CHUNK or stop == start):
            size += 1 + len(groups[stop][1])
            stop += 1
        batch = groups[start:stop]
        order = [u for r, members in batch for u in (r, *members)]
        text_of = dict(zip(order, texts.take(units.first_row[order]).tolist()))
        for r, members in batch:
            # Measured against the template, not the representative letter: what a sender added must not depend on
            # which letter came first, nor vanish because the representative's sender added it too.
            reference = template_bigrams([units.folded[u] for u in (r, *members)])
            for u in (r, *members):
                added[u] = " ".join(added_sentences(core_text(text_of[u]), reference, share))
        start = stop
    return added


def cluster_table(df: pd.DataFrame, cfg: Config | None = None) -> pd.DataFrame:
    """clusters.csv rows: one per cluster of two or more comments, largest first.

    Columns `cluster_id`, `size`, `representative_id`, `template` (the representative's sentences that most
    members share, from `text_clean`) and, when `label` exists, `labels` ("label: count; ...", most frequent first).
    """
    share = (cfg or Config()).cluster.covered_share
    has_labels = "label" in df
    columns = ["cluster_id", "size", "representative_id", "template"] + (["labels"] if has_labels else [])
    multi = df[df["cluster_size"] > 1]
    cids = multi["cluster_id"].to_numpy()
    codes, uniques = pd.factorize(cids)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    is_rep = (multi["cluster_role"] == ROLE_REPRESENTATIVE).to_numpy()
    texts = multi["text_clean"].fillna("").astype(str).to_numpy(dtype=object)
    ids = multi["comment_id"].to_numpy()
    rows = []
    for c in range(len(uniques)):
        idx = order[bounds[c] : bounds[c + 1]]
        rep = idx[is_rep[idx]][0]
        rep_core = core_text(texts[rep])
        others = [fold(core_text(texts[i])) for i in idx[~is_rep[idx]][:_TEMPLATE_SAMPLE]]
        template = " ".join(template_sentences(rep_core, others, share)) or rep_core
        rows.append((uniques[c], len(idx), ids[rep], template))
    table = pd.DataFrame(rows, columns=columns[:4])
    if has_labels:
        counts = multi.groupby(["cluster_id", "label"], sort=False).size().reset_index(name="n")
        counts = counts.sort_values(["cluster_id", "n"], ascending=[True, False], kind="stable")
        pairs = counts["label"].astype(str) + ": " + counts["n"].astype(str)
        text = pairs.groupby(counts["cluster_id"]).agg("; ".join)
        table["labels"] = table["cluster_id"].map(text).fillna("")
    return table.sort_values("size", ascending=False, kind="stable").reset_index(drop=True)
