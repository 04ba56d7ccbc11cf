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
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz.distance import LCSseq
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from pipeline.clean import fold
from pipeline.config import ClusterConfig, Config
from pipeline.minhash import batched_band_keys, star_pairs

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
_SIGNATURE_DELIMITER = re.compile(r"^-- ?$")
_MAX_SIGNATURE_WORDS = 40
_MAX_GREETING_WORDS = 6

# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    "ul al pl os art ust pkt par lit poz np tj tzw tzn m in r zł zl nr dr prof mgr inż inz hab św sw ok "
    "wg godz min tel ds gen płk ks im ww jw itd itp etc ang łac pn pt wt śr czw sob ndz mln mld tys "
    "dz u sygn ozn zob por rys tab str s ew wyd red".split()
)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”»)]?\s+")
_LAST_TOKEN = re.compile(r"(\w+)\.$")

# Word ids become characters so that rapidfuzz compares word sequences at string speed; surrogates are skipped.
_FIRST_CODE = 0x100
_CODE_SPAN = 0x110000 - _FIRST_CODE - 0x800


# --------------------------------------------------------------------------------------------- text preparation


def strip_boilerplate(text: str) -> str:
    """The comment without redaction placeholders, opening greeting and closing/signature block."""
    text = _PLACEHOLDER.sub(" ", text)
    lines = [line.strip() for line in text.split("\n")]
    first = next((i for i, line in enumerate(lines) if line), None)
    if first is None:
        return ""
    head = lines[first]
    if _GREETING.match(fold(head)):
        cut = re.search(r"[,!:]", head)
        if len(fold(head).split()) <= _MAX_GREETING_WORDS and cut is None:
            lines[first] = ""
        elif cut is not None and len(fold(head[: cut.start()]).split()) <= _MAX_GREETING_WORDS:
            lines[first] = head[cut.end():].strip()
    for i in range(first + 1, len(lines)):
        folded = fold(lines[i])
        if _CLOSING.match(folded) or _SIGNATURE_DELIMITER.match(lines[i]):
            if len(fold(" ".join(lines[i:])).split()) <= _MAX_SIGNATURE_WORDS:
                lines = lines[:i]
                break
    return "\n".join(lines).strip()


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


class _WordCoder:
    """Maps words to single characters, in order of first appearance (deterministic across runs)."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def encode(self, folded: str) -> str:
        ids = self.ids
        out = []
        for w in folded.split():
            c = ids.get(w)
            if c is None:
                code = _FIRST_CODE + len(ids) % _CODE_SPAN
                c = chr(code if code < 0xD800 else code + 0x800)
                ids[w] = c
            out.append(c)
        return "".join(out)


# ------------------------------------------------------------------------------------------------- verification


def containment(a: str, b: str) -> tuple[float, float]:
    """(LCS / shorter, LCS / longer) of two word-coded strings."""
    la, lb = len(a), len(b)
    if not la or not lb:
        return 0.0, 0.0
    lcs = LCSseq.similarity(a, b)
    return lcs / min(la, lb), lcs / max(la, lb)


def _verified(c: float, g: float, cfg: ClusterConfig) -> bool:
    return c >= cfg.min_containment and g >= cfg.min_coverage


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
    for i, text in enumerate(texts):
        if not eligible[i]:
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
        row_unit[i] = u
    multiplicity = np.bincount(row_unit[row_unit >= 0], minlength=len(first_row))
    return _Units(row_unit, np.asarray(first_row, dtype=np.int64), multiplicity, folded, cores)


def candidate_pairs(folded: Sequence[str], cfg: ClusterConfig) -> np.ndarray:
    """(p, 2) unique index pairs (i < j) proposed by LSH over character shingles."""
    if len(folded) < 2:
        return np.empty((0, 2), dtype=np.int64)
    keys = batched_band_keys(folded, cfg.num_bins, cfg.rows_per_band, cfg.shingle, cfg.seed)
    n = np.int64(len(folded))
    codes = [np.unique(p[:, 0] * n + p[:, 1]) for p in star_pairs(keys)]
    if not codes:
        return np.empty((0, 2), dtype=np.int64)
    code = np.unique(np.concatenate(codes))
    return np.stack([code // n, code % n], axis=1)


def _split_component(
    members: np.ndarray,
    edges: dict[int, list[int]],
    words: Sequence[str],
    weight: np.ndarray,
    cfg: ClusterConfig,
) -> list[tuple[int, list[tuple[int, float]]]]:
    """Clusters (representative, [(unit, similarity)]) of one component; every unit verified against its rep."""
    out = []
    remaining = set(members.tolist())
    while len(remaining) > 1:
        # The representative: most verified neighbours (counting their duplicates), then earliest.
        def degree(u: int) -> tuple[int, int]:
            return (sum(int(weight[v]) for v in edges.get(u, ()) if v in remaining) + int(weight[u]), -u)

        rep = max(sorted(remaining), key=degree)
        group = [(rep, 1.0)]
        for u in sorted(remaining - {rep}):
            c, g = containment(words[rep], words[u])
            if _verified(c, g, cfg):
                group.append((u, c))
        if len(group) == 1:
            # The rep verifies with no one left: it stays alone; the rest is tried again without it.
            remaining.discard(rep)
            continue
        out.append((rep, group))
        remaining -= {u for u, _ in group}
    return out


def group_units(units: _Units, long_unit: np.ndarray, cfg: ClusterConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per unit: representative unit (itself when alone) and similarity to it; plus each unit's word code."""
    n = len(units.folded)
    rep_of = np.arange(n, dtype=np.int64)
    similarity = np.ones(n, dtype=np.float64)
    coder = _WordCoder()
    words = [coder.encode(f) for f in units.folded]
    long_ids = np.flatnonzero(long_unit)
    pairs = candidate_pairs([units.folded[i] for i in long_ids], cfg)
    if not len(pairs):
        return rep_of, similarity, np.asarray(words, dtype=object)
    pairs = long_ids[pairs]
    keep = np.fromiter(
        (_verified(*containment(words[a], words[b]), cfg) for a, b in pairs), dtype=bool, count=len(pairs)
    )
    pairs = pairs[keep]
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
        members = order[bounds[c] : bounds[c + 1]]
        for rep, group in _split_component(members, edges, words, units.multiplicity, cfg):
            for u, sim in group:
                rep_of[u] = rep
                similarity[u] = sim
    return rep_of, similarity, np.asarray(words, dtype=object)


# ------------------------------------------------------------------------------------------------ added text


def _matched_words(member: str, rep: str) -> np.ndarray:
    """Boolean per word of `member`: is it part of the longest common subsequence with `rep`?"""
    matched = np.zeros(len(member), dtype=bool)
    for op in LCSseq.opcodes(member, rep):
        if op.tag == "equal":
            matched[op.src_start : op.src_end] = True
    return matched


def _sentence_spans(core: str) -> list[tuple[str, int]]:
    """(sentence, number of folded words) for each sentence of a core text."""
    return [(s, len(fold(s).split())) for s in split_sentences(core)]


def added_sentences(core: str, member_words: str, rep_words: str, min_share: float) -> list[str]:
    """Sentences of a member whose words are mostly not found (in order) in the representative."""
    matched = _matched_words(member_words, rep_words)
    out, pos = [], 0
    for sentence, n in _sentence_spans(core):
        if n and matched[pos : pos + n].mean() < min_share:
            out.append(sentence)
        pos += n
    return out


def template_sentences(rep_core: str, rep_words: str, member_words: Sequence[str], min_share: float) -> list[str]:
    """Sentences of the representative that most members share (the campaign template)."""
    if not member_words:
        return split_sentences(rep_core)
    counts = np.zeros(len(rep_words), dtype=np.int64)
    for w in member_words:
        counts += _matched_words(rep_words, w)
    shared = counts >= len(member_words) / 2
    out, pos = [], 0
    for sentence, n in _sentence_spans(rep_core):
        if n and shared[pos : pos + n].mean() >= min_share:
            out.append(sentence)
        pos += n
    return out


# --------------------------------------------------------------------------------------------------- the stage


def cluster(df: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """Stage: add `cluster_id`, `cluster_size`, `cluster_role`, `cluster_similarity`, `added_text`."""
    ccfg = cfg.cluster
    out = df.copy()
    n = len(out)
    ids = out["comment_id"].astype(str).to_numpy()
    texts = out["text_clean"].fillna("").astype(str).tolist()
    eligible = np.ones(n, dtype=bool)
    if "status" in out.columns:
        eligible &= ~out["status"].isin(_EXCLUDED_STATUSES).to_numpy()
    if not ccfg.enabled:
        eligible[:] = False

    units = _units(texts, eligible)
    word_counts = np.fromiter((f.count(" ") + 1 for f in units.folded), dtype=np.int64, count=len(units.folded))
    rep_of, unit_sim, words = group_units(units, word_counts > ccfg.min_words, ccfg)

    # Rows: a row's cluster is its unit's representative unit; rows kept out of grouping are their own cluster.
    row_unit = units.row_unit
    grouped = row_unit >= 0
    row_key = np.arange(n, dtype=np.int64) + len(units.folded)  # distinct keys for ungrouped rows
    row_key[grouped] = rep_of[row_unit[grouped]]
    key_codes, inverse = np.unique(row_key, return_inverse=True)
    size = np.bincount(inverse)
    earliest = np.full(len(key_codes), n, dtype=np.int64)
    np.minimum.at(earliest, inverse, np.arange(n))

    rep_row = np.arange(n)
    rep_row[grouped] = units.first_row[rep_of[row_unit[grouped]]]
    is_rep = rep_row == np.arange(n)
    multi = size[inverse] > 1
    role = np.where(~multi, ROLE_UNIQUE, np.where(is_rep, ROLE_REPRESENTATIVE, ROLE_MEMBER))
    sim = np.ones(n)
    sim[grouped] = unit_sim[row_unit[grouped]]

    added = [""] * n
    for i in np.flatnonzero(multi & grouped & ~is_rep):
        u = row_unit[i]
        r = rep_of[u]
        if u != r:
            added[i] = " ".join(added_sentences(units.cores[u], words[u], words[r], ccfg.covered_share))
    joined = np.flatnonzero(rep_of != np.arange(len(rep_of)))
    members_of: dict[int, list[int]] = {}
    for u in joined.tolist():
        members_of.setdefault(int(rep_of[u]), []).append(u)
    for r, member_units in members_of.items():
        members = [words[u] for u in member_units]
        template = template_sentences(units.cores[r], words[r], members, ccfg.covered_share)
        own = set(template)
        added[units.first_row[r]] = " ".join(s for s in split_sentences(units.cores[r]) if s not in own)

    out["cluster_id"] = ids[earliest[inverse]]
    out["cluster_size"] = size[inverse]
    out["cluster_role"] = role
    out["cluster_similarity"] = np.round(sim, 3)
    out["added_text"] = added
    return out


def cluster_table(df: pd.DataFrame) -> pd.DataFrame:
    """clusters.csv: one row per cluster of two or more comments, largest first.

    Columns `cluster_id`, `size`, `representative_id`, `template` (the sentences of the representative that most
    members share) and, when `label` exists, `labels` (label: count, most frequent first).
    """
    columns = ["cluster_id", "size", "representative_id", "template"] + (["labels"] if "label" in df else [])
    multi = df[df["cluster_size"] > 1]
    if multi.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for cid, g in multi.groupby("cluster_id", sort=False):
        rep = g[g["cluster_role"] == ROLE_REPRESENTATIVE].iloc[0]
        rep_core = strip_boilerplate(str(rep["text_clean"]))
        coder = _WordCoder()
        rep_words = coder.encode(fold(rep_core))
        others = [coder.encode(fold(strip_boilerplate(str(t)))) for t in g.loc[g.index != rep.name, "text_clean"]]
        row = {
            "cluster_id": cid,
            "size": len(g),
            "representative_id": rep["comment_id"],
            "template": " ".join(template_sentences(rep_core, rep_words, others, 0.5)) or rep_core,
        }
        if "label" in g:
            counts = g["label"].dropna().astype(str).value_counts()
            row["labels"] = "; ".join(f"{k}: {v}" for k, v in counts.items())
        rows.append(row)
    return pd.DataFrame(rows, columns=columns).sort_values("size", ascending=False, kind="stable").reset_index(drop=True)
