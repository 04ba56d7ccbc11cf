"""Clustering stage: exact duplicates, near-duplicates and campaigns (form letters) over `text_clean`.

1. Each comment is reduced to its *core*: redaction placeholders, the opening greeting and the closing/signature
   block are removed, so they cannot make two comments look alike. Comments whose folded core is identical form
   one *unit* (exact duplicates); only units go further.
2. Units longer than `min_words` words get MinHash signatures on character shingles of the folded core; LSH
   banding (a group-by on band hashes) proposes candidate pairs.
3. Every candidate pair is verified on words: the longest common subsequence of the two word sequences must cover
   most of the shorter text (`min_containment`: typos, cut paragraphs, added sentences pass) and a fair part of the
   longer one (`min_coverage`: one shared stock sentence does not).
4. Connected components of verified pairs are only proposals. Each is split around a representative (the unit
   most verified pairs point at): a unit joins a cluster only if it verifies against that representative itself,
   so a chain of borderline pairs cannot merge two campaigns however large the corpus grows.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from pipeline.clean import strip_diacritics
from pipeline.config import ClusterConfig, Config
from pipeline.minhash import band_keys, batched_signatures, shingle_hashes, sorted_unique, star_pairs

ROLE_REPRESENTATIVE = "reprezentant"
ROLE_MEMBER = "członek"
ROLE_UNIQUE = "unikalna"
_EXCLUDED_STATUSES = frozenset({"błąd", "pusta"})

_PLACEHOLDER = re.compile(r"\[[A-ZĄĆĘŁŃÓŚŹŻ][A-ZĄĆĘŁŃÓŚŹŻ0-9_-]*\]")
# Matched against the folded first line; a greeting line is short, an inline greeting ends at a comma or "!".
_GREETING = re.compile(
    r"^(szanown\w*|dzien dobry|dobry wieczor|witam\w*|witajcie|czesc|hej|drog\w*|drodzy|halo|"
    r"hello|hi|dear|добрий день|шановн\w*)\b"
)
_CLOSING = re.compile(
    r"^(z (wyrazami )?(powazaniem|szacunku|szacunkiem|uszanowaniem|pozdrowieniami)|"
    r"(serdecznie |goraco |cieplo )?pozdrawiam\w*|(serdeczne )?pozdrowienia|lacze (wyrazy|pozdrowienia)\w*|"
    r"z (gory )?podziekowaniem|z gory dziekuje\w*|best regards|kind regards|regards|sincerely|"
    r"з повагою|с уважением)\b"
)
# Cheap test on the raw line before folding it for `_CLOSING`.
_CLOSING_START = re.compile(
    r"(?im)^[^\w\n]*(z\b|pozdr|serdeczn|gor|ciep|łącz|lacz|best|kind|regards|sincerely|з\b|с\b|--)"
)
_SIGNATURE_DELIMITER = re.compile(r"^-- ?$")
_MAX_SIGNATURE_WORDS = 40
_MAX_GREETING_WORDS = 6
_MAX_GREETING_CHARS = 80
_HEAD_END = re.compile(r"[,!:\n]")

# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    "ul al pl os art ust pkt par lit poz np tj tzw tzn m in r zł zl nr dr prof mgr inż inz hab św sw ok "
    "wg godz min tel ds gen płk ks im ww jw itd itp etc ang łac pn pt wt śr czw sob ndz mln mld tys "
    "dz u sygn ozn zob por rys tab str s ew wyd red".split()
)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”»)]?\s+")
_LAST_TOKEN = re.compile(r"(\w+)\.$")

# Pairs verified exactly at a time: bounds the shingle arrays held in memory.
_EXACT_CHUNK = 500
# Members read to find what a cluster shares; more only costs time.
_TEMPLATE_SAMPLE = 50


# --------------------------------------------------------------------------------------------- text preparation


class _FoldTable(dict):
    """str.translate table giving, per character, what `pipeline.clean.fold` makes of it (filled on demand)."""

    def __missing__(self, code: int) -> str:
        self[code] = value = strip_diacritics(chr(code)).casefold()
        return value


_FOLD = _FoldTable()
_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Same result as `pipeline.clean.fold`, via a per-character table: about 20x faster on long texts.

    Valid because NFKD decomposition and case folding both map a string character by character.
    """
    return " ".join(_WORD.findall(text.translate(_FOLD))).replace("_", " ")


def strip_boilerplate(text: str) -> str:
    """The comment without redaction placeholders, opening greeting and closing/signature block."""
    if "[" in text:
        text = _PLACEHOLDER.sub(" ", text)
    text = text.strip()
    head_end = _HEAD_END.search(text, 0, _MAX_GREETING_CHARS)
    if head_end is not None:
        head = fold(text[: head_end.start()])
        if _GREETING.match(head) and len(head.split()) <= _MAX_GREETING_WORDS:
            text = text[head_end.end() :].lstrip()
    for m in _CLOSING_START.finditer(text):
        if m.start() == 0:
            continue
        end = text.find("\n", m.start())
        line = text[m.start() : end if end >= 0 else len(text)]
        if (_CLOSING.match(fold(line)) or _SIGNATURE_DELIMITER.match(line.strip())) and len(
            text[m.start() :].split()
        ) <= _MAX_SIGNATURE_WORDS:
            return text[: m.start()].rstrip()
    return text


def split_sentences(text: str) -> list[str]:
    """Sentences of a text: line breaks always end one; a full stop after a known abbreviation does not."""
    out: list[str] = []
    for line in text.split("\n"):
        start = 0
        for m in _SENTENCE_END.finditer(line):
            before = line[start : m.start()]
            token = _LAST_TOKEN.search(before)
            if token and (token.group(1).lower() in _ABBREVIATIONS or len(token.group(1)) == 1):
                continue
            nxt = line[m.end() : m.end() + 1]
            if nxt and nxt.islower():
                continue
            out.append(line[start : m.end()].strip())
            start = m.end()
        if line[start:].strip():
            out.append(line[start:].strip())
    return [s for s in out if s]


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
        lengths = np.fromiter((len(f) for f in folded), dtype=np.int64, count=len(folded))
        self.n_shingles = np.maximum(lengths - cfg.shingle + 1, 1).astype(np.float64)

    def __call__(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(verified, containment) for unit pairs a[i], b[i]."""
        cfg = self.cfg
        j = (self.sig[self.sig_row[a]] == self.sig[self.sig_row[b]]).mean(axis=1)
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
        return ok, c

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
    cores: list[str]


def _units(texts: Sequence[str], eligible: np.ndarray) -> _Units:
    row_unit = np.full(len(texts), -1, dtype=np.int64)
    index: dict[str, int] = {}
    first_row: list[int] = []
    folded: list[str] = []
    cores: list[str] = []
    seen: dict[str, int] = {}  # raw text -> unit: identical submissions skip the text work
    for i, text in enumerate(texts):
        if not eligible[i]:
            continue
        u = seen.get(text)
        if u is not None:
            row_unit[i] = u
            continue
        core = strip_boilerplate(text)
        key = fold(core)
        if not key:
            # Nothing but a greeting or a signature: compare the whole text rather than an empty core.
            core, key = text, fold(_PLACEHOLDER.sub(" ", text))
        if not key:
            continue
        u = index.get(key)
        if u is None:
            u = index[key] = len(first_row)
            first_row.append(i)
            folded.append(key)
            cores.append(core)
        row_unit[i] = seen[text] = u
    multiplicity = np.bincount(row_unit[row_unit >= 0], minlength=len(first_row))
    return _Units(row_unit, np.asarray(first_row, dtype=np.int64), multiplicity, folded, cores)


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


def _sentence_shares(core: str, reference: set[tuple[str, ...]]) -> list[tuple[str, float]]:
    """(sentence, share of its word bigrams found in `reference`) for each sentence of a core text."""
    out = []
    for sentence in split_sentences(core):
        own = _bigrams(fold(sentence))
        if own:
            out.append((sentence, len(own & reference) / len(own)))
    return out


def added_sentences(core: str, template_folded: str, min_share: float) -> list[str]:
    """Sentences of a member mostly absent from the template (order-free, so moved paragraphs stay out)."""
    reference = _bigrams(template_folded)
    return [s for s, share in _sentence_shares(core, reference) if share < min_share]


def template_sentences(rep_core: str, members: Sequence[str], min_share: float) -> list[str]:
    """Sentences of the representative whose word bigrams most members (folded cores) also contain."""
    if not members:
        return split_sentences(rep_core)
    sample = members[:_TEMPLATE_SAMPLE]
    counts = Counter(chain.from_iterable(_bigrams(m) for m in sample))
    shared = {b for b, c in counts.items() if c * 2 >= len(sample)}
    return [s for s, share in _sentence_shares(rep_core, shared) if share >= min_share]


# --------------------------------------------------------------------------------------------------- the stage


def cluster(df: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """Stage: add `cluster_id`, `cluster_size`, `cluster_role`, `cluster_similarity`, `added_text`."""
    ccfg = cfg.cluster
    out = df.copy()
    n = len(out)
    ids = out["comment_id"].astype(str).to_numpy()
    texts = out["text_clean"].fillna("").astype(str).tolist()
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
    unit_added = _added_texts(units, rep_of, multi_units=sorted_unique(row_unit[multi & grouped]), cfg=ccfg)

    out["cluster_id"] = ids[earliest[inverse]]
    out["cluster_size"] = size[inverse]
    out["cluster_role"] = np.where(~multi, ROLE_UNIQUE, np.where(is_rep, ROLE_REPRESENTATIVE, ROLE_MEMBER))
    out["cluster_similarity"] = np.round(sim, 3)
    out["added_text"] = [unit_added.get(int(u), "") if m else "" for u, m in zip(row_unit, multi)]
    return out


def _added_texts(units: _Units, rep_of: np.ndarray, multi_units: np.ndarray, cfg: ClusterConfig) -> dict[int, str]:
    """Per unit in a cluster: what it says beyond the template (a representative: beyond what members share)."""
    share = cfg.covered_share
    members_of: dict[int, list[int]] = {}
    for u in multi_units.tolist():
        if rep_of[u] != u:
            members_of.setdefault(int(rep_of[u]), []).append(u)
    added: dict[int, str] = {}
    for r, members in members_of.items():
        for u in members:
            added[u] = " ".join(added_sentences(units.cores[u], units.folded[r], share))
        template = set(template_sentences(units.cores[r], [units.folded[u] for u in members], share))
        added[r] = " ".join(s for s in split_sentences(units.cores[r]) if s not in template)
    return added


def cluster_table(df: pd.DataFrame, cfg: Config | None = None) -> pd.DataFrame:
    """clusters.csv rows: one per cluster of two or more comments, largest first.

    Columns `cluster_id`, `size`, `representative_id`, `template` (the representative's sentences that most
    members share, from `text_clean`) and, when `label` exists, `labels` ("label: count; ...", most frequent first).
    """
    ccfg = (cfg or Config()).cluster
    columns = ["cluster_id", "size", "representative_id", "template"] + (["labels"] if "label" in df else [])
    multi = df[df["cluster_size"] > 1]
    rows = []
    for cid, g in multi.groupby("cluster_id", sort=False):
        is_rep = (g["cluster_role"] == ROLE_REPRESENTATIVE).to_numpy()
        rep = g[is_rep].iloc[0]
        rep_core = strip_boilerplate(str(rep["text_clean"]))
        others = [fold(strip_boilerplate(str(t))) for t in g.loc[~is_rep, "text_clean"]]
        template = template_sentences(rep_core, others, ccfg.covered_share)
        row = {"cluster_id": cid, "size": len(g), "representative_id": rep["comment_id"],
               "template": " ".join(template) or rep_core}
        if "label" in g:
            counts = g["label"].dropna().astype(str).value_counts()
            row["labels"] = "; ".join(f"{label}: {count}" for label, count in counts.items())
        rows.append(row)
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values("size", ascending=False, kind="stable").reset_index(drop=True)
