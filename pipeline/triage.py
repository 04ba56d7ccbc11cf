"""Triage stage: set each comment's final status, its priority for staff and the provisions it cites.

Status precedence (the first that applies wins), and why:

1. `błąd`, `pusta` – set at ingest; facts about the record, nothing later can undo them.
   Then `do weryfikacji` for a comment read by OCR with a confidence below the rules' `ocr.min_confidence`: its
   text may be misread, so no judgement made on it (nonsense, campaign, goal) stands until a person compares it
   with the paper.
2. `nieczytelna` – spam, test entries, keyboard mashing: there is nothing to answer, even when the same junk was
   sent twice and clustering grouped it.
3. `kampania` – a campaign member is answered with its representative, whatever its own label says; `duplikat` –
   the same for a comment its sender (or two senders) sent again (`cluster_kind`).
4. `do weryfikacji` – the classifier is unsure (`needs_review`). It comes before `poza zakresem` because setting a
   comment aside as off-topic is the costliest mistake, so an unsure off-topic label is checked by a person.
5. `poza zakresem` – the primary label is one of the rules' off-topic labels.
6. `do analizy` – everything else.

Priority: 1 for a unique comment or a campaign representative that proposes concrete wording or cites a provision,
2 for the other ones in scope (including `do weryfikacji`), 3 for campaign members, off-topic, empty, unreadable and
erroneous records. The rules (phrases, thresholds, label ids) come from a TOML file: the documented defaults in
`pipeline/resources/triage_rules.toml`, overlaid key by key with the file `cfg.triage.rules` (`--rules FILE`);
`cfg.triage.rules` may also be a `TriageRules` already loaded, used as it is.

Every decision uses only the row itself and its cluster columns, so the stage works on any chunk of rows.
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
import re
from collections.abc import Sequence, Set as AbstractSet
from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from pipeline.clean import fold, fold_split, windows_1250
from pipeline.config import Config
from pipeline.errors import UserError, plural, read_toml
from pipeline.provisions import UNITS, ProvisionFinder, document_provisions
from pipeline.scoped import scoped
from pipeline.stage import ReadAhead, stage
from pipeline.vocabulary import (
    KIND_DUPLICATE,
    PLACEHOLDER,
    ROLE_MEMBER,
    ROLE_REPRESENTATIVE,
    STATUS_CAMPAIGN,
    STATUS_DUPLICATE,
    STATUS_EMPTY,
    STATUS_ERROR,
    STATUS_OFF_TOPIC,
    STATUS_OK,
    STATUS_REVIEW,
    STATUS_UNREADABLE,
)

DEFAULT_RULES_PATH = Path(__file__).with_name("resources") / "triage_rules.toml"


@dataclass(frozen=True)
class TriageRules:
    """Validated triage rules; field names are `<section>_<key>` of the TOML file (see the packaged default)."""

    priority_proposal_phrases: tuple[str, ...]
    priority_citation_is_priority: bool
    priority_campaign_members_priority_3: bool
    provisions_units: tuple[str, ...]
    off_topic_labels: tuple[str, ...]
    nonsense_junk_words: tuple[str, ...]
    nonsense_junk_max_words: int
    nonsense_mash_min_length: int
    nonsense_keyboard_rows: tuple[str, ...]
    nonsense_word_languages: tuple[str, ...]
    nonsense_min_real_word_share: float
    spam_phrases: tuple[str, ...]
    spam_min_phrases: int
    spam_min_urls: int
    spam_max_words_per_url: int
    ocr_min_confidence: float


_SECTIONS = ("priority", "provisions", "off_topic", "nonsense", "spam", "ocr")


def _schema() -> dict[str, dict[str, str]]:
    """TOML section -> key -> kind (bool, int, float, list), derived from the dataclass so the two cannot drift."""
    schema: dict[str, dict[str, str]] = {}
    for f in fields(TriageRules):
        section = next(s for s in _SECTIONS if f.name.startswith(s + "_"))
        kind = {"bool": "bool", "int": "int", "float": "float"}.get(str(f.type), "list")
        schema.setdefault(section, {})[f.name[len(section) + 1:]] = kind
    return schema


_SCHEMA = _schema()
_KIND_PL = {"bool": "true albo false", "int": "liczba całkowita", "float": "liczba",
            "list": "lista tekstów"}


def _checked(section: str, key: str, value: Any, path: Path | str | None) -> Any:
    kind = _SCHEMA[section][key]
    name = f"{section}.{key}"
    ok = {
        "bool": isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "list": isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value),
    }[kind]
    if not ok:
        raise UserError(f"klucz {name!r}: oczekiwano wartości typu {_KIND_PL[kind]}, jest {value!r}", path=path)
    if kind == "list":
        return tuple(v.strip() for v in value)
    if kind == "float":
        value = float(value)
        if not 0.0 <= value <= 1.0:
            raise UserError(f"klucz {name!r}: oczekiwano liczby od 0 do 1, jest {value!r}", path=path)
    if kind == "int" and value < 1:
        raise UserError(f"klucz {name!r}: oczekiwano liczby całkowitej co najmniej 1, jest {value!r}", path=path)
    return value


def _merge(base: dict[str, Any], data: dict[str, Any], path: Path | str | None) -> dict[str, Any]:
    merged = dict(base)
    for section, table in data.items():
        if section not in _SCHEMA:
            raise UserError(f"nieznana sekcja [{section}]; dozwolone: {', '.join(_SCHEMA)}", path=path)
        if not isinstance(table, dict):
            raise UserError(f"{section!r} musi być sekcją [{section}]", path=path)
        for key, value in table.items():
            if key not in _SCHEMA[section]:
                raise UserError(f"nieznany klucz {section}.{key}; dozwolone w [{section}]: "
                                f"{', '.join(_SCHEMA[section])}", path=path)
            merged[f"{section}_{key}"] = _checked(section, key, value, path)
    return merged


def rules_from_dict(data: dict[str, Any], path: Path | str | None = None) -> TriageRules:
    """Defaults overlaid with `data` (parsed TOML); every problem is a UserError naming the file and the key."""
    merged = _merge(_default_values(), data, path)
    unknown_units = [u for u in merged["provisions_units"] if u not in UNITS]
    if unknown_units:
        raise UserError(f"klucz 'provisions.units': nieznane jednostki {unknown_units}; dozwolone: "
                        f"{', '.join(UNITS)}", path=path)
    from wordfreq import available_languages

    unknown_langs = [lang for lang in merged["nonsense_word_languages"] if lang not in available_languages()]
    if unknown_langs:
        raise UserError(f"klucz 'nonsense.word_languages': brak listy słów dla {unknown_langs}", path=path)
    return TriageRules(**merged)


@functools.cache
def _default_values() -> dict[str, Any]:
    values = _merge({}, read_toml(DEFAULT_RULES_PATH, "reguł triażu"), DEFAULT_RULES_PATH)
    missing = [f.name for f in fields(TriageRules) if f.name not in values]
    if missing:  # the packaged file is the single source of the defaults
        raise RuntimeError(f"{DEFAULT_RULES_PATH} lacks {missing}")
    return values


def load_rules(rules: TriageRules | Path | str | None = None) -> TriageRules:
    """The packaged default rules, those overlaid with the TOML file at path `rules`, or `rules` itself when it is
    already loaded (`TriageConfig.rules` may be either)."""
    if isinstance(rules, TriageRules):
        return rules
    if rules is None:
        return rules_from_dict({})
    return rules_from_dict(read_toml(rules, "reguł triażu"), rules)


# --- text tests -----------------------------------------------------------------------------------------------

_TLDS = "pl|com|net|org|eu|info|biz|io"
_URL = re.compile(rf"(?i)\b(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:{_TLDS})\b(?:/\S*)?")
# What every link `_URL` finds holds, case aside: "://", or a "." that "www" precedes or a top-level domain follows.
# Starting at a literal ".", the search passes all other characters in C, where `_URL` tries each word as a domain:
# about 30x faster, and almost no comment holds a link.
_MAYBE_URL = re.compile(rf"\.(?:(?<=(?i:www)\.)|(?i:{_TLDS})\b)")
_LETTER_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_APOSTROPHES = "'’"
_ACRONYM = re.compile(r"[A-ZĄĆĘŁŃÓŚŹŻ]{2,7}")
_REPEATED_CHUNK = re.compile(r"(.{1,3}?)\1{2,}")


@dataclass(frozen=True)
class PhraseSet:
    """Phrases matched as whole words on folded text; a trailing "*" lets the last word be a prefix."""

    phrases: tuple[str, ...]
    # Every whole word of the phrases: of a comment's words, `find` looks up only these.
    words_read: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        prefixes: list[tuple[str, str]] = []
        for phrase in self.phrases:
            words = tuple(fold(phrase.rstrip("*")).split())
            if len(words) == 1 and phrase.endswith("*"):
                prefixes.append((words[0], phrase))
            elif words:
                by_first.setdefault(words[0], []).append((words, phrase))
        object.__setattr__(self, "_by_first", by_first)
        object.__setattr__(self, "_prefixes", tuple(prefixes))
        object.__setattr__(self, "_prefix_keys", tuple(p for p, _ in prefixes))
        # Most comments hold no phrase. A phrase is only where each of its whole words is (a last word a "*" makes
        # a prefix aside), so set operations in C tell most comments apart before any loop over their words: the
        # phrases by their longest whole word (the least common, mostly), which a comment must hold for them.
        needs: dict[str, list[frozenset[str]]] = {}
        for words, phrase in (entry for pairs in by_first.values() for entry in pairs):
            whole = words[:-1] if phrase.endswith("*") else words
            needs.setdefault(max(whole, key=len), []).append(frozenset(whole))
        object.__setattr__(self, "_needs", needs)
        object.__setattr__(self, "_need_keys", frozenset(needs))
        object.__setattr__(self, "words_read", frozenset().union(*(n for ns in needs.values() for n in ns)))

    def find(self, folded: str, words: Sequence[str] | None = None, held: AbstractSet[str] | None = None
             ) -> list[str]:
        """Phrases present in `folded` (output of `fold`; `words` its words, `folded.split()`, and `held` their set,
        or those of them in `words_read`, when the caller has them), in order of first appearance, each once."""
        words = folded.split() if words is None else words
        return self._scan(words) if self._may_hold(folded, set(words) if held is None else held) else []

    def _scan(self, words: Sequence[str]) -> list[str]:
        by_first, prefixes, keys = getattr(self, "_by_first"), getattr(self, "_prefixes"), getattr(self, "_prefix_keys")
        found: dict[str, None] = {}
        for i, word in enumerate(words):
            for pattern, phrase in by_first.get(word, ()):
                last = words[i + len(pattern) - 1] if i + len(pattern) <= len(words) else ""
                if tuple(words[i:i + len(pattern) - 1]) == pattern[:-1] and (
                    last.startswith(pattern[-1]) if phrase.endswith("*") else last == pattern[-1]
                ):
                    found.setdefault(phrase, None)
            if keys and word.startswith(keys):
                for key, phrase in prefixes:
                    if word.startswith(key):
                        found.setdefault(phrase, None)
        return list(found)

    def _may_hold(self, folded: str, held: AbstractSet[str]) -> bool:
        """False only where no phrase can be: none has all its whole words among `held` (the words of `folded`, or
        those of them in `words_read`: no other word is looked up), no prefix is in `folded`."""
        # `map` in C and no generator for the comments that hold no key word (most): a third of the gate's time.
        if any(map(folded.__contains__, getattr(self, "_prefix_keys"))):
            return True
        present = getattr(self, "_need_keys").intersection(held)
        if not present:
            return False
        needs = getattr(self, "_needs")
        return any(need <= held for key in present for need in needs[key])


@dataclass(frozen=True)
class _Matchers:
    provisions: ProvisionFinder
    proposal: PhraseSet
    spam: PhraseSet
    junk: frozenset[str]
    phrase_words: frozenset[str]  # the words either phrase set reads of a comment (`PhraseSet.words_read`)


@functools.lru_cache(maxsize=8)
def _matchers(rules: TriageRules) -> _Matchers:
    proposal, spam = PhraseSet(rules.priority_proposal_phrases), PhraseSet(rules.spam_phrases)
    return _Matchers(ProvisionFinder(rules.provisions_units), proposal, spam,
                     frozenset(fold(w) for w in rules.nonsense_junk_words), proposal.words_read | spam.words_read)


@functools.cache
def _vocabulary(lang: str) -> frozenset[str]:
    """wordfreq's words of `lang`: only whether a word is there is read, and a set of them is built in three
    quarters of the time of wordfreq's dictionary of frequencies (0.15 s against 0.20–0.24 s for Polish)."""
    from wordfreq import iter_wordlist

    return frozenset(iter_wordlist(lang))


def load_polish_words() -> None:
    """Loads the Polish word list, which the real-word share of every comment reads (in any language), now: the fork
    server's preload (`pipeline/engines/preload.py`), so each worker starts with it."""
    _vocabulary("pl")


def _letter_tables() -> tuple[bytes, bytes]:
    """Byte tables for a text's Windows-1250 bytes: each letter of `_LETTER_WORD` to its lower case, and to "a"; every
    other byte to a space. A letter whose lower case is not one Windows-1250 letter would fail here."""
    lower, shape = bytearray(b" " * 256), bytearray(b" " * 256)
    for byte in range(256):
        try:
            char = bytes([byte]).decode("cp1250")
        except UnicodeDecodeError:  # undefined in Windows-1250: never in an encoded text
            continue
        if re.fullmatch(r"[^\W\d_]", char):
            [lower[byte]] = char.lower().encode("cp1250")
            shape[byte] = ord("a")
    return bytes(lower), bytes(shape)


_LOWER_LETTERS, _LETTER_SHAPE = _letter_tables()


def _letter_bytes(text: str, encoded: bytes | None) -> bytes | None:
    """The text's Windows-1250 bytes (`encoded`, its `windows_1250`) when its letter words are its runs of letters:
    every character is in Windows-1250 (one byte each) and no apostrophe can join two runs into one word."""
    return None if encoded is None or any(a in text for a in _APOSTROPHES) else encoded


class _LetterWords:
    """A text's `_LETTER_WORD` words: how many, and the first ones lower-cased, found only as far as they are needed.

    In a text of Windows-1250 characters without an apostrophe (nearly every comment) the words are the runs of
    letters: `bytes.translate` lower-cases them and turns the rest into spaces in C, the count is the number of runs'
    starts, and `str.split` stops after the words asked for. `findall` made a string of every word of every text,
    while the real-word share reads about the first 40% of them."""

    def __init__(self, text: str, encoded: bytes | None) -> None:
        """`encoded`: the text's `windows_1250` (the caller's, which its fold reads too)."""
        self._text = text
        self._every: list[str] | None = None
        self._lowered: str | None = None
        data = _letter_bytes(text, encoded)
        if data is None:
            self._every = _LETTER_WORD.findall(text)
            self.count = len(self._every)
        else:
            shape = data.translate(_LETTER_SHAPE)
            self.count = shape.count(b" a") + shape.startswith(b"a")
            self._lowered = data.translate(_LOWER_LETTERS).decode("cp1250")

    def every(self) -> list[str]:
        """Every word, as written."""
        if self._every is None:
            self._every = _LETTER_WORD.findall(self._text)
        return self._every

    def lowered_head(self, n: int) -> list[str]:
        """The first `n` words, lower-cased."""
        if self._lowered is None:
            return list(map(str.lower, self.every()[:n]))
        return self._lowered.split(None, n)[:n]


def is_mash(word: str, rules: TriageRules) -> bool:
    """Keyboard mashing: a run along a keyboard row, one repeated letter or a repeated short chunk."""
    w = fold(word).replace(" ", "")
    if len(w) < rules.nonsense_mash_min_length:
        return False
    if any(w in row or w in row[::-1] for row in rules.nonsense_keyboard_rows):
        return True
    return _REPEATED_CHUNK.fullmatch(w) is not None


def _real_words_below(words: _LetterWords, rules: TriageRules, lang: str) -> int | None:
    """How many words are real when fewer than the minimum share of them are, else None.

    Words are looked up in the row's own language and in Polish (comments mix them); a row in a language without
    a word list is not judged. Only the needed lists are loaded (about 70 MB each)."""
    if lang not in rules.nonsense_word_languages:
        return None
    vocabularies = [_vocabulary(lang_) for lang_ in dict.fromkeys((lang, "pl"))
                    if lang_ in rules.nonsense_word_languages]
    needed = math.ceil(rules.nonsense_min_real_word_share * words.count)
    # Nearly every comment is mostly known words: the first half again as many words as are needed show it, and
    # the rest are not looked up (every known word is real; the whole count is only for a message). Within them,
    # each look-up takes only as many more words as are still missing: most comments need `needed` words.
    head = needed + needed // 2
    if head < words.count:
        lowered, known, looked = words.lowered_head(head), 0, 0
        while looked < head and known < needed:
            more = lowered[looked:looked + needed - known]
            known += _known(more, vocabularies).count(True)
            looked += len(more)
        if known >= needed:
            return None
    every = words.every()
    known = _known(list(map(str.lower, every)), vocabularies)
    unknown = list(itertools.compress(every, map(operator.not_, known)))
    real = len(every) - len(unknown) + sum(1 for w in unknown if _ACRONYM.fullmatch(w) and not is_mash(w, rules))
    return real if real < needed else None


def _known(lowered: list[str], vocabularies: list[frozenset[str]]) -> list[bool]:
    """Per lower-cased word, whether a vocabulary holds it: set look-ups in C over the whole list."""
    known = list(map(vocabularies[0].__contains__, lowered))
    for vocabulary in vocabularies[1:]:
        known = list(map(operator.or_, known, map(vocabulary.__contains__, lowered)))
    return known


def _strip_links(text: str) -> tuple[int, str]:
    """Number of links, and the text without links and redaction placeholders (neither is the sender's words)."""
    urls = _URL.findall(text) if "://" in text or _MAYBE_URL.search(text) else []
    return len(urls), PLACEHOLDER.sub(" ", _URL.sub(" ", text) if urls else text)


class _Plain(NamedTuple):
    """A comment's own words: its links' number and its text without them (`_strip_links`), that text's
    `windows_1250` (its fold and its letter words read them: encoded once), that folded, the folded words (both
    phrase sets read them) and those of them the phrase gates look up (`_Matchers.phrase_words`: a set of every word
    cost five times as much to build)."""

    n_urls: int
    text: str
    encoded: bytes | None
    folded: str
    words: list[str]
    held: frozenset[str]


def _plain(text: str, m: _Matchers) -> _Plain:
    n_urls, plain = _strip_links(text)
    encoded = windows_1250(plain)
    folded, words = fold_split(plain, encoded)
    return _Plain(n_urls, plain, encoded, folded, words, m.phrase_words.intersection(words))


def _unreadable(plain: _Plain, m: _Matchers, rules: TriageRules, lang: str) -> str | None:
    n_urls = plain.n_urls
    words = _LetterWords(plain.text, plain.encoded)
    if not words.count:
        return None if n_urls else "Brak słów: same znaki, liczby lub usunięte dane osobowe"
    if n_urls >= rules.spam_min_urls and words.count < rules.spam_max_words_per_url * n_urls:
        return f"Spam z linkami ({plural(n_urls, 'adres', 'adresy', 'adresów')}, mało tekstu)"
    spam = m.spam.find(plain.folded, plain.words, plain.held)
    if len(spam) >= rules.spam_min_phrases:
        return "Reklama lub spam: " + ", ".join(f"„{p}”" for p in spam)
    if words.count <= rules.nonsense_junk_max_words and all(fold(w) in m.junk or is_mash(w, rules)
                                                           for w in words.every()):
        return f"Wpis testowy lub przypadkowe znaki: „{' '.join(words.every())[:40]}”"
    if rules.nonsense_min_real_word_share > 0:
        real = _real_words_below(words, rules, lang)
        if real is not None:
            return f"Brak rozpoznawalnych słów ({real} z {words.count})"
    return None


def unreadable_reason(text: str, rules: TriageRules, lang: str = "pl") -> str | None:
    """Why the text is spam or junk (in Polish), or None when it is a readable comment."""
    m = _matchers(rules)
    return _unreadable(_plain(text, m), m, rules, lang)


# --- the stage -------------------------------------------------------------------------------------------------

def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _flag(value: Any) -> bool:
    """needs_review as a bool, also when a CSV round trip made it text or a nullable column holds NA."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "tak", "yes")
    return not _missing(value) and bool(value)


def _text(value: Any) -> str:
    return "" if _missing(value) else str(value)


def _size(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 1


# The columns `text_findings` reads: what the costly half of triage depends on besides the rules.
TEXT_INPUTS = ("text_clean", "document_part", "text_proposal", "lang")


@dataclass(frozen=True)
class TextFindings:
    """What triage reads in a comment's own text (the costly half of its work): the provisions it cites, why it is
    unreadable (None: readable) and the proposal phrases it holds. The other half (`triage_row`) adds what depends
    on the rest of the row (status at ingest, OCR, cluster, label), so a nightly run keeps these by text and
    decides again only that half for a campaign that grew."""

    citations: tuple[str, ...]
    unreadable: str | None
    phrases: tuple[str, ...]


def text_findings(row: dict[str, Any], rules: TriageRules) -> TextFindings:
    """The findings of one row, from its `TEXT_INPUTS` alone."""
    return _text_findings(row, rules, _matchers(rules))


def _text_findings(row: dict[str, Any], rules: TriageRules, m: _Matchers) -> TextFindings:
    """`text_findings`, given the rules' matchers (looking them up hashes every rule: 6% of the findings' time
    when it was done three times a row)."""
    text = _text(row.get("text_clean"))
    # The form's "Część dokumentu (§)" column cites a provision as a § in the text does.
    citations = tuple(dict.fromkeys([*document_provisions(_text(row.get("document_part")), m.provisions),
                                     *m.provisions.find(text)]))
    plain = _plain(text, m)
    unreadable = _unreadable(plain, m, rules, _text(row.get("lang")) or "pl") if text.strip() else None
    phrases = tuple(m.proposal.find(plain.folded, plain.words, plain.held)) if unreadable is None else ()
    if _text(row.get("text_proposal")).strip():  # the form's "Proponowane brzmienie zapisu" column
        phrases = ("proponowane brzmienie", *phrases)
    return TextFindings(citations, unreadable, phrases)


def triage_row(row: dict[str, Any], rules: TriageRules, found: TextFindings | None = None) -> dict[str, Any]:
    """status, status_reason, priority, priority_reason and cited_provisions of one comment; `found` are its
    `text_findings` when the caller has them already."""
    found = text_findings(row, rules) if found is None else found
    text = _text(row.get("text_clean"))
    citations = found.citations
    out = {"cited_provisions": "; ".join(citations)}
    status = _text(row.get("status")) or STATUS_OK
    error = _text(row.get("error"))
    role = _text(row.get("cluster_role"))
    size = _size(row.get("cluster_size"))
    cluster_id = _text(row.get("cluster_id"))
    representative = _text(row.get("cluster_representative")) or cluster_id
    label = _text(row.get("label"))

    def done(status_: str, reason: str, priority: int, priority_reason: str) -> dict[str, Any]:
        return out | {"status": status_, "status_reason": reason, "priority": priority,
                      "priority_reason": priority_reason}

    if status == STATUS_ERROR or error:
        return done(STATUS_ERROR, f"Nie udało się odczytać rekordu: {error}" if error else
                    "Nie udało się odczytać rekordu", 3, "Błąd odczytu – najpierw popraw plik wejściowy")
    if status == STATUS_EMPTY or not text.strip():
        return done(STATUS_EMPTY, "Uwaga bez treści", 3, "Pusta uwaga")
    if _low_ocr(row, rules):
        page = _text(row.get("source_page"))
        where = f"{_text(row.get('source_file'))}{f', s. {page}' if page else ''}"
        return done(STATUS_REVIEW, f"Tekst odczytany ze skanu z niską pewnością OCR "
                    f"({float(row['ocr_confidence']):.0%}) – porównaj z oryginałem ({where})", 2,
                    "Skan odczytany niepewnie – najpierw sprawdź tekst")
    if found.unreadable:
        return done(STATUS_UNREADABLE, found.unreadable, 3, "Nieczytelna – nie wymaga odpowiedzi merytorycznej")

    duplicate = _text(row.get("cluster_kind")) == KIND_DUPLICATE
    campaign = (f"{'duplikatów' if duplicate else 'kampanii'} {cluster_id} "
                f"({plural(size, 'uwaga', 'uwagi', 'uwag')})")
    is_member = role == ROLE_MEMBER
    phrases = found.phrases
    cites = bool(citations) and rules.priority_citation_is_priority
    signals = ([f"proponuje konkretny zapis („{phrases[0]}”)"] if phrases else []) + (
        [f"powołuje się na przepis ({citations[0]}{' i inne' if len(citations) > 1 else ''})"] if cites else [])
    if phrases or cites:
        priority, priority_reason = 1, " i ".join(signals)
    else:
        priority, priority_reason = 2, "w zakresie konsultacji, bez propozycji zapisu ani powołania na przepis"

    if is_member and duplicate:
        # The same sender (or two) sent the same text again: one answer, and no campaign to report.
        return done(STATUS_DUPLICATE, f"Duplikat uwagi {representative} – ta sama treść wysłana ponownie; "
                    "odpowiedź jak dla niej", 3, "Duplikat – wystarczy odpowiedź na pierwszą uwagę")
    if is_member:
        reason = f"Członek {campaign} – odpowiedź jak dla reprezentanta"
        if representative != cluster_id:
            reason += f" {representative}"
        if rules.priority_campaign_members_priority_3:
            return done(STATUS_CAMPAIGN, reason, 3, "Członek kampanii – wystarczy odpowiedź dla reprezentanta")
        return done(STATUS_CAMPAIGN, reason, priority, f"Członek kampanii: {priority_reason}")

    lead = (f"Uwaga wysłana {plural(size, 'raz', 'razy', 'razy')} (duplikaty: {cluster_id})" if duplicate and
            role == ROLE_REPRESENTATIVE else f"Reprezentant {campaign}" if role == ROLE_REPRESENTATIVE
            else "Uwaga unikalna")
    if _flag(row.get("needs_review")):
        # The goal itself is in its own column, by name; an id here would be jargon to staff.
        reason = f"{lead}; klasyfikator nie jest pewny celu – sprawdź ręcznie"
        return done(STATUS_REVIEW, reason, priority, f"{lead}: {priority_reason}")
    if label and label in rules.off_topic_labels:
        reason = f"{lead}; uwaga nie dotyczy przedmiotu konsultacji"
        return done(STATUS_OFF_TOPIC, reason, 3, "Poza zakresem konsultacji")
    return done(STATUS_OK, lead, priority, f"{lead}: {priority_reason}")


def _low_ocr(row: dict[str, Any], rules: TriageRules) -> bool:
    """Whether the text was read by OCR with a confidence below the rules' threshold (empty: not read by OCR)."""
    try:
        return float(row.get("ocr_confidence")) < rules.ocr_min_confidence  # NaN compares False
    except (TypeError, ValueError):
        return False


_OUTPUT = ("status", "status_reason", "priority", "priority_reason", "cited_provisions")


# Rows' findings read before the stage runs (by row label, `found_before`): the stage's `ReadAhead`, which a spilled
# run's workers read while clustering, which changes no `TEXT_INPUTS`, runs in the main process.
_FOUND: ContextVar[pd.Series | None] = ContextVar("triage_found", default=None)


def found_before(found: pd.Series) -> AbstractContextManager[None]:
    """While the block runs, the stage takes the rows' `text_findings` from `found` (indexed by row label) for the
    rows it has them of."""
    return scoped(_FOUND, found)


def findings_of(df: pd.DataFrame, cfg: Config) -> pd.Series:
    """Every row's `text_findings` (indexed as `df`), from its `TEXT_INPUTS` alone: what `found_before` takes."""
    return pd.Series(_findings(_rows(df, TEXT_INPUTS), load_rules(cfg.triage.rules), None), index=df.index,
                     dtype=object)


@stage("triage", requires=("text_clean",), assigns=_OUTPUT, ahead=ReadAhead(findings_of, found_before))
def triage(df: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """Stage: set `status` and add `status_reason`, `priority`, `priority_reason`, `cited_provisions`; a comment
    read by OCR with low confidence gets `needs_review` too."""
    found = _FOUND.get()
    known = None if found is None else [f if isinstance(f, TextFindings) else None for f in found.reindex(df.index)]
    return triage_with(df, cfg, known)[0]


# Every column `triage_row` reads.
_READS = ("text_clean", "document_part", "status", "error", "cluster_role", "cluster_size", "cluster_id",
          "cluster_representative", "cluster_kind", "label", "needs_review", "lang", "text_proposal", "ocr_confidence",
          "source_page", "source_file")


def _findings(rows: Sequence[dict[str, Any]], rules: TriageRules,
              known: Sequence[TextFindings | None] | None) -> list[TextFindings]:
    """Each row's `text_findings`: `known`'s where it has them, the others read once per distinct `TEXT_INPUTS` (the
    copies in a campaign share them)."""
    seen: dict[tuple[Any, ...], TextFindings] = {}
    matchers = _matchers(rules)
    out = []
    for row, found in zip(rows, known if known is not None else [None] * len(rows)):
        if found is None:
            key = tuple(row.get(c) for c in TEXT_INPUTS)
            if key not in seen:
                seen[key] = _text_findings(row, rules, matchers)
            found = seen[key]
        out.append(found)
    return out


def _rows(df: pd.DataFrame, reads: Sequence[str]) -> list[dict[str, Any]]:
    """Each row as a dict of the columns of `reads` it has. Column by column into plain lists: iterating rows of
    Arrow-backed text converts cell by cell, slowly."""
    columns = [c for c in reads if c in df.columns]
    return [dict(zip(columns, values)) for values in zip(*(df[c].tolist() for c in columns))]


def triage_with(df: pd.DataFrame, cfg: Config, known: Sequence[TextFindings | None] | None = None
                ) -> tuple[pd.DataFrame, list[TextFindings]]:
    """The triage stage's work, given the rows' `text_findings` where the caller has them (None: read here); the
    table and every row's findings, which a nightly run keeps in its state by text."""
    rules = load_rules(cfg.triage.rules)
    out = df.copy(deep=False)  # copy-on-write: the columns set below never reach `df`, and the text is not copied
    rows = _rows(out, _READS)
    found = _findings(rows, rules, known)
    results = [triage_row(row, rules, f) for row, f in zip(rows, found)]
    for column in _OUTPUT:
        out[column] = [r[column] for r in results]
    out["priority"] = out["priority"].astype("int64")
    if "ocr_confidence" in out.columns and "needs_review" in out.columns:
        low = pd.to_numeric(out["ocr_confidence"], errors="coerce").lt(rules.ocr_min_confidence).to_numpy()
        out["needs_review"] = out["needs_review"].astype(bool) | low
    return out, found
