"""simplemma's Polish dictionary in a file that opens at once, for the "simplemma" lemmatizer backend.

simplemma decodes its compressed Polish dictionary (3.7 million forms) into a dict in every process that lemmatizes:
about 4 s of CPU, paid by each nightly run and each worker of `--jobs`. Here the dictionary is written once to the
cache folder (`pipeline.cache_dir`) as an open-addressing hash table, read through mmap, so a process reads only the
pages its words fall on. simplemma's own strategies run over this table, so the lemmas are the ones it gives. The
file's header names what it was built from (simplemma's version and the SHA-256 of its dictionary file): a file
built from another dictionary, cut short or otherwise damaged is built again; where the cache folder cannot be
written, simplemma's own dictionary is used.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import struct
import tempfile
from array import array
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from importlib.resources import as_file, files
from pathlib import Path
from zlib import crc32

import simplemma
from simplemma.strategies import DefaultStrategy
from simplemma.strategies.dictionaries import DefaultDictionaryFactory

from pipeline.cache_dir import cache_dir
from pipeline.hashing import file_sha256

FILE_NAME = "simplemma-pl.lemmas"
_MAGIC = b"uwagi-lemmas-1\n\0"
# magic, SHA-256 of what the table was built from, entries, slots (a power of two), bytes of records
_HEADER = struct.Struct("<16s32sQQQ")
_SLOT = "I"  # a record's offset + 1 in the records area; 0 marks an empty slot


def source_digest() -> bytes:
    """What the table is built from: simplemma's version and its Polish dictionary file."""
    with as_file(files("simplemma.strategies.dictionaries") / "data" / "pl.plzma") as source:
        return hashlib.sha256(f"{simplemma.__version__}\0{file_sha256(source)}".encode()).digest()


class LemmaTable(Mapping[str, str]):
    """Form -> lemma, read from the mapped file. Records are `len(form) len(lemma) form lemma` in UTF-8."""

    def __init__(self, data: mmap.mmap, entries: int, slots: int):
        self._data = data
        self._entries = entries
        self._mask = slots - 1
        self._slots = memoryview(data)[_HEADER.size:_HEADER.size + 4 * slots].cast(_SLOT)
        self._base = _HEADER.size + 4 * slots - 1  # slot values count from 1

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        form = key.encode()
        size, data, slots, mask = len(form), self._data, self._slots, self._mask
        at = crc32(form) & mask
        while slot := slots[at]:
            start = self._base + slot
            if data[start] == size and data[start + 2:start + 2 + size] == form:
                return data[start + 2 + size:start + 2 + size + data[start + 1]].decode()
            at = (at + 1) & mask
        return default

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        at, end = self._base + 1, len(self._data)
        while at < end:
            size = self._data[at]
            yield self._data[at + 2:at + 2 + size].decode()
            at += 2 + size + self._data[at + 1]

    def __len__(self) -> int:
        return self._entries


def open_table(path: Path, digest: bytes) -> LemmaTable | None:
    """The table at `path` if it is whole and was built from `digest`'s dictionary, else None."""
    try:
        with open(path, "rb") as fh:
            data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # missing, unreadable, or empty (mmap refuses a zero-length file)
        return None
    if len(data) < _HEADER.size:
        return None
    magic, built_from, entries, slots, records = _HEADER.unpack_from(data)
    if (magic, built_from) != (_MAGIC, digest) or slots & (slots - 1) or len(data) != _HEADER.size + 4 * slots + records:
        return None
    return LemmaTable(data, entries, slots)


def build_table(path: Path, digest: bytes, dictionary: Mapping[str, str]) -> None:
    """Write `dictionary` as a table at `path`, atomically: a process reading the old file keeps its copy."""
    pairs = [(form.encode(), lemma.encode()) for form, lemma in dictionary.items()]
    slots = 1 << (2 * len(pairs)).bit_length()  # at most half full: a missing form ends its probe early
    mask, table, records = slots - 1, array(_SLOT, bytes(4 * slots)), bytearray()
    for form, lemma in pairs:
        at = crc32(form) & mask
        while table[at]:
            at = (at + 1) & mask
        table[at] = len(records) + 1
        records += bytes((len(form), len(lemma))) + form + lemma
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(_HEADER.pack(_MAGIC, digest, len(pairs), slots, len(records)))
            fh.write(table.tobytes())
            fh.write(records)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def cached_table(path: Path, digest: bytes, build: Callable[[], Mapping[str, str]]) -> Mapping[str, str]:
    """The table at `path` built from `digest`'s source, or `build()`'s mapping written there first when the file is
    missing, stale or damaged; the mapping itself when the folder cannot hold it."""
    table = open_table(path, digest)
    if table is not None:
        return table
    mapping = build()
    try:
        build_table(path, digest, mapping)
    except (OSError, ValueError):  # a read-only cache folder, a full disk; a form longer than 255 bytes
        return mapping
    return open_table(path, digest) or mapping


def polish_table(folder: Path | None = None) -> Mapping[str, str]:
    """simplemma's Polish dictionary: the table in `folder` (default: the cache folder), built there when missing,
    stale or damaged; simplemma's own dictionary when the folder cannot hold it."""
    return cached_table((folder or cache_dir()) / FILE_NAME, source_digest(),
                        lambda: DefaultDictionaryFactory().get_dictionary("pl"))


class _PolishFactory:
    """simplemma's `DictionaryFactory` protocol over one Polish table."""

    def __init__(self, table: Mapping[str, str]):
        self._table = table

    def get_dictionary(self, lang: str) -> Mapping[str, str]:
        if lang != "pl":
            raise ValueError(f"only Polish is held here, not {lang!r}")
        return self._table


def polish_lemmatizer(folder: Path | None = None) -> Callable[[str], str]:
    """`form -> lemma` as `simplemma.lemmatize(form, lang="pl")` gives it, over `polish_table(folder)`."""
    strategy = DefaultStrategy(dictionary_factory=_PolishFactory(polish_table(folder)))
    return partial(simplemma.Lemmatizer(lemmatization_strategy=strategy).lemmatize, lang="pl")
