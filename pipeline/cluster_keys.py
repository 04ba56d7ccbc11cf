"""What each comment brings to clustering, computed row by row: its folded core's key and its MinHash signature.

Like datasketch's MinHash objects, made per document before an LSH index groups them, these keys depend on the row
alone, so the `cluster_keys` stage runs wherever the other row-wise stages run (the worker processes, the Dask
partitions); the `cluster` stage (`pipeline/cluster.py`) then only groups, verifies and numbers. Its two columns
are internal: `cluster` reads and drops them, and computes them itself for a table that lacks them.

1. A comment is reduced to its *core*: redaction placeholders, the opening greeting and the closing/signature
   block are removed, so they cannot make two comments look alike; the core is then folded (`clean.fold`), and
   kept as a 64-bit key (`core_key`): grouping needs only to know which cores are equal, and the batch-wide stage
   then holds 8 bytes a row instead of the text. The folded core itself is kept too (`FOLDED_COLUMN`), for the
   cores of the units in a candidate pair, which the verification reads: a spilled run keeps it in its part files
   only (`StageInfo.spilled_only`), so `cluster` reads those rows' cores instead of folding their texts again.
2. A core longer than `min_words` words gets a MinHash signature over its character shingles
   (`pipeline/minhash.py`), stored as the bytes of its `num_bins` unsigned 32-bit values.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from functools import lru_cache

import numpy as np
import pandas as pd

from pipeline.clean import fold, fold_comment
from pipeline.config import ClusterConfig, Config
from pipeline.letters import CLOSINGS, first_words_pattern, phrases_pattern
from pipeline.minhash import batched_signatures
from pipeline.stage import stage
from pipeline.vocabulary import PLACEHOLDER, STATUS_EMPTY, STATUS_ERROR

# The folded core's key (`NO_CORE` for a row that takes no part in grouping) and the signature (None for a core of
# at most `min_words` words, which joins exact duplicates only).
CORE_COLUMN = "cluster_core"
SIGNATURE_COLUMN = "cluster_signature"
# Each row's folded core (None where it takes no part): what `cluster` reads of the units in a candidate pair. A table
# without it (a night's stored keys) has those units' texts folded again.
FOLDED_COLUMN = "cluster_folded"
KEY_COLUMNS = (CORE_COLUMN, SIGNATURE_COLUMN, FOLDED_COLUMN)
NO_CORE = 0

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
# A line of five or more words ending a sentence: text, not a signature line ("Prezes Zarządu Stowarzyszenia X").
_SENTENCE_LINE = re.compile(r"(?m)^[^\S\n]*(?:\S+[^\S\n]+){4,}\S*[.!?][^\S\n]*$")
_MAX_SIGNATURE_WORDS = 40
_MAX_GREETING_WORDS = 6
_MAX_GREETING_CHARS = 80
_HEAD_END = re.compile(r"[,!:\n]")
_A_WORD = re.compile(r"\w")
_ROW_CHUNK = 50_000


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
    for m in _closing_starts(text):
        if signature_from is None:  # found once: counting the words after each candidate is quadratic
            signature_from = _last_words_start(text)
        if m.start() < signature_from:
            continue
        end = text.find("\n", m.start())
        line = text[m.start() : end if end >= 0 else len(text)]
        if _CLOSING.match(fold(line)) or _SIGNATURE_DELIMITER.match(line.strip()):
            # A form's next part ("Uzasadnienie") may follow a "Pozdrawiam," closing the comment: a sentence after
            # the signature lines is the sender's text again.
            after = _SENTENCE_LINE.search(text, m.start() + len(line))
            return text[: m.start()].rstrip() + (f"\n\n{text[after.start():].lstrip()}" if after else "")
    return text


def _closing_starts(text: str) -> Iterator[re.Match[str]]:
    """`_CLOSING_START`'s matches after the first line: tried at each line's start (a match never crosses a line),
    not searched for at every position of the text."""
    pos = text.find("\n") + 1
    while pos:
        m = _CLOSING_START.match(text, pos)
        if m is not None:
            yield m
        pos = text.find("\n", pos) + 1


def _last_words_start(text: str) -> int:
    """Where the last `_MAX_SIGNATURE_WORDS` words may start: the end of the word before them (0 for a shorter
    text). Split from the end (`str.rsplit` counts words as `str.split` does), so a long letter's words are not
    all walked."""
    head = text.rsplit(None, _MAX_SIGNATURE_WORDS)
    return len(head[0]) if len(head) > _MAX_SIGNATURE_WORDS else 0


# Cached: the added texts and clusters.csv's templates need the cores of the same texts.
@lru_cache(maxsize=32_768)
def core_text(text: str) -> str:
    """What is compared: the text without boilerplate, or, when that leaves nothing, without placeholders."""
    core = strip_boilerplate(text)
    return core if _A_WORD.search(core) else PLACEHOLDER.sub(" ", text).strip()


def core_key(core: str) -> int:
    """A folded core's 64-bit key, the same in every process (unlike `hash`); never `NO_CORE`. Two distinct cores
    share one with odds of about 1 in 30 million among a million distinct cores."""
    key = int.from_bytes(hashlib.blake2b(core.encode(), digest_size=8).digest(), "little", signed=True)
    return key if key != NO_CORE else 1


def folded_core(text: str) -> str:
    """What `row_keys` keys and signs for a text: its core (`core_text`), folded."""
    return fold_comment(core_text(text))


def is_long(core: str, cfg: ClusterConfig) -> bool:
    """Whether a folded core has more than `min_words` words: only such cores get signatures."""
    return core.count(" ") + 1 > cfg.min_words


def row_keys(df: pd.DataFrame, cfg: Config) -> tuple[np.ndarray, list[bytes | None]]:
    """Per row of any chunk, its folded core's key (`core_key`; `NO_CORE` for a row that takes no part: an error or
    empty record, an empty core, clustering switched off) and its signature's bytes (None unless the core
    `is_long`)."""
    keys, signatures, _ = keyed_rows(df, cfg)
    return keys, signatures


def keyed_rows(df: pd.DataFrame, cfg: Config) -> tuple[np.ndarray, list[bytes | None], list[str | None]]:
    """`row_keys`, and per row its folded core (None where the key is `NO_CORE`)."""
    n = len(df)
    eligible = np.full(n, cfg.cluster.enabled, dtype=bool)
    if "status" in df.columns:
        eligible &= ~df["status"].isin(_EXCLUDED_STATUSES).to_numpy()
    texts = df["text_clean"]
    texts = (texts.fillna("") if texts.hasnans else texts).astype(str)
    keys = np.full(n, NO_CORE, dtype=np.int64)
    folded: list[str | None] = [None] * n
    # Identical submissions skip the text work. Keyed by the 64-bit string hash so the raw texts need not stay in
    # memory (a collision among a million distinct texts has odds of about 1 in 30 million).
    seen: dict[int, tuple[int, str | None]] = {}
    long: dict[int, str] = {}  # key -> core, of the cores to sign
    for lo in range(0, n, _ROW_CHUNK):
        # Python strings a chunk at a time: the whole column as Python objects would double the memory.
        for i, text in enumerate(texts.iloc[lo : lo + _ROW_CHUNK].tolist(), start=lo):
            if eligible[i]:
                raw = hash(text)
                found = seen.get(raw)
                if found is None:
                    core = folded_core(text)
                    found = seen[raw] = (core_key(core), core) if core else (NO_CORE, None)
                    if found[0] != NO_CORE and found[0] not in long and is_long(core, cfg.cluster):
                        long[found[0]] = core
                keys[i], folded[i] = found
    ccfg = cfg.cluster
    signed = {k: sig.tobytes() for k, sig in zip(long, batched_signatures(list(long.values()), ccfg.num_bins,
                                                                           ccfg.shingle, ccfg.seed))} if long else {}
    return keys, [signed.get(k) for k in keys.tolist()], folded


def signature_matrix(signatures: list[bytes], cfg: ClusterConfig) -> np.ndarray:
    """The (len(signatures), num_bins) uint32 signatures from `row_keys`' bytes."""
    flat = np.frombuffer(b"".join(signatures), dtype=np.uint32)
    return flat.reshape(len(signatures), cfg.num_bins)


@stage("cluster_keys", requires=("text_clean",), assigns=KEY_COLUMNS, spilled_only=(FOLDED_COLUMN,))
def cluster_keys(df: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """Stage: add the internal columns `cluster_core` (the folded core's key), `cluster_signature` (`row_keys`) and
    `cluster_folded` (the folded core), which `cluster` reads and drops."""
    out = df.copy(deep=False)  # copy-on-write: only adds columns
    keys, signatures, folded = keyed_rows(df, cfg)
    out[CORE_COLUMN] = pd.Series(keys, index=df.index, dtype=np.int64)
    out[SIGNATURE_COLUMN] = pd.Series(signatures, index=df.index, dtype=object)
    out[FOLDED_COLUMN] = pd.Series(folded, index=df.index, dtype=object)
    return out
