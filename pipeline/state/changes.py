"""What changed since the last run, as pure functions over tonight's comments and the state's: which comments are
new, changed, unchanged or withdrawn, which stored results can be reused, and cluster ids kept stable."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

import pandas as pd

from pipeline.clean import fold
from pipeline.vocabulary import CHANGE_CHANGED, CHANGE_NEW, CHANGE_UNCHANGED

# An edited comment (input without an id column) is linked to a vanished one of the same file when at least this
# share of their folded texts matches.
LINK_SIMILARITY = 0.7
WITHDRAWN = "withdrawn"


def content_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Known:
    """The state's comments: id → content hash, source file, state status, config key, original text."""

    sha: Mapping[str, str]
    source: Mapping[str, str]
    status: Mapping[str, str]
    config_key: Mapping[str, str]
    text: Mapping[str, str]


@dataclass(frozen=True)
class Night:
    ids: list[str]  # tonight's comment ids, an edited comment's linked to the id it had
    change: list[str]  # per row: CHANGE_NEW, CHANGE_CHANGED or CHANGE_UNCHANGED
    reuse: list[bool]  # per row: the stored results of the costly stages still hold
    withdrawn: list[str]  # ids in the state that tonight's export no longer has


def _similarity(a: str, b: str) -> float:
    m = SequenceMatcher(None, a, b, autojunk=False)
    return m.ratio() if m.real_quick_ratio() >= LINK_SIMILARITY and m.quick_ratio() >= LINK_SIMILARITY else 0.0


def link_edited(new: Sequence[tuple[str, str, str]], vanished: Sequence[tuple[str, str, str]]) -> dict[str, str]:
    """(id, source file, text) of tonight's unknown comments and of the state's vanished ones → new id: old id, for
    pairs from the same file whose texts are near-duplicates, the closest pairs first, each comment used once."""
    pairs = []
    for new_id, new_source, new_text in new:
        a = fold(new_text)
        for old_id, old_source, old_text in vanished:
            if new_source == old_source:
                score = _similarity(a, fold(old_text))
                if score >= LINK_SIMILARITY:
                    pairs.append((-score, new_id, old_id))
    links: dict[str, str] = {}
    used: set[str] = set()
    for _, new_id, old_id in sorted(pairs):
        if new_id not in links and old_id not in used:
            links[new_id] = old_id
            used.add(old_id)
    return links


def plan_night(ids: Sequence[str], sources: Sequence[str], texts: Sequence[str], known: Known, config_key: str,
               link_edits: bool) -> Night:
    """Compare tonight's comments with the state's. `link_edits` (inputs without an id column, whose ids come from
    the text) links an edited comment to the id it had."""
    ids = list(ids)
    shas = [content_sha(t) for t in texts]
    tonight = set(ids)
    vanished = [i for i in known.sha if i not in tonight and known.status[i] != WITHDRAWN]
    if link_edits and vanished:
        unknown = [(i, s, t) for i, s, t in zip(ids, sources, texts) if i not in known.sha]
        links = link_edited(unknown, [(i, known.source[i], known.text[i]) for i in vanished])
        ids = [links.get(i, i) for i in ids]
        tonight = set(ids)
    change, reuse = [], []
    for i, sha in zip(ids, shas):
        same = known.sha.get(i) == sha
        change.append(CHANGE_NEW if i not in known.sha else CHANGE_UNCHANGED if same else CHANGE_CHANGED)
        reuse.append(same and known.config_key.get(i) == config_key)
    withdrawn = [i for i in known.sha if i not in tonight]
    return Night(ids, change, reuse, withdrawn)


def stable_cluster_ids(comment_ids: Sequence[str], cluster_ids: Sequence[str], stored: Mapping[str, str]
                       ) -> list[str]:
    """Tonight's cluster of each comment renamed to the id its members had in the state (the one most of them had;
    on a tie, that of the earliest member), so a cluster keeps its id when comments join it or its first member is
    withdrawn. A cluster without stored members keeps its own id, unless another cluster already holds that."""
    members: dict[str, list[str]] = {}
    for cid, cluster in zip(comment_ids, cluster_ids):
        members.setdefault(cluster, []).append(cid)
    rename: dict[str, str] = {}
    taken: set[str] = set()
    fresh = []
    for cluster, ids in members.items():
        votes: dict[str, int] = {}
        for cid in ids:
            old = stored.get(cid)
            if old and old not in taken:
                votes[old] = votes.get(old, 0) + 1
        if votes:
            best = max(votes, key=lambda k: votes[k])  # dicts keep insertion order: ties go to the earliest member
            rename[cluster] = best
            taken.add(best)
        else:
            fresh.append(cluster)
    claimed = set(stored.values())
    for cluster in fresh:
        options = [cluster, *members[cluster]]
        rename[cluster] = next((o for o in options if o not in taken and o not in claimed), cluster)
        taken.add(rename[cluster])
    return [rename[c] for c in cluster_ids]
