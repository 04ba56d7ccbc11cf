"""The Polish language layer: a spaCy `pl` pipeline built offline, and the batch API later stages use.

Pipeline (`get_nlp`): a tokenizer that keeps abbreviations, dates, grouped numbers, hyphenated words and redaction
placeholders whole (`uwagi.pl_tokenizer.v1`), `pl_lemmatizer` (backend "simplemma" or "morfeusz2", with diacritic
restoration for comments typed without Polish letters). Sentence boundaries are `pipeline.sentences`, which shares
the abbreviation list with the tokenizer.

simplemma is the default backend because it measured better: 97.8% vs 95.8% for morfeusz2 with a frequency
tie-break on tests/data/lemma_gold.tsv (97.5% vs 95.5% with diacritics removed), and about six times faster on word
forms not yet cached (bench/bench_nlp.py). Either way morfeusz2's dictionary decides one thing: verbal nouns keep
their noun lemma in every case ("wsparcie", "wsparcia" -> "wsparcie").
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

import numpy
import pandas
import spacy
from spacy.attrs import LEMMA, ORTH
from spacy.lang.char_classes import ALPHA, ALPHA_LOWER, ALPHA_UPPER, CONCAT_QUOTES, LIST_ELLIPSES, LIST_ICONS
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

from pipeline.clean import detect_language, has_polish_letters, strip_diacritics
from pipeline.diacritics import fold_polish, polish_frequencies, restore_word
from pipeline.polish_dictionary import polish_lemmatizer
from pipeline.resources import resource_lines
from pipeline.sentences import abbreviations
from pipeline.tokens import PieceOrths, room
from pipeline.vocabulary import PLACEHOLDER, PLACEHOLDERS

# Tokens the tokenizer cannot keep whole because they contain spaces or unknown bracketed names. Each branch opens
# with the character it needs (the look-behind checks what precedes the first digit), so the search skips ahead to
# a digit or "[" instead of trying the look-behind at every position: 2.5 times faster.
_MERGE = re.compile(r"\d(?<![\d.,]\d)\d{0,2}(?: \d{3})+(?![\d])|" + PLACEHOLDER.pattern)
_GROUP_HINT = re.compile(r"\d \d\d\d")
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Analysis:
    tokens: tuple[str, ...]  # surface tokens, whitespace dropped
    lemmas: tuple[str, ...]  # lower-case lemma per token
    folded: tuple[str, ...]  # lemmas without diacritics
    content: tuple[str, ...]  # content lemmas: no stop words, punctuation, numbers, placeholders


# --- resources -------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """Curated stop lemmas, their spellings without Polish letters, and abbreviations that are not content."""
    words = {line.strip() for line in resource_lines("stopwords_pl.txt")}
    words |= {fold_polish(w) for w in words}
    words |= {abbr.lower() for abbr, entry in abbreviations().items() if entry.lemma is None}
    return frozenset(words)


# --- tokenizer -------------------------------------------------------------------------------------------------

_INFIXES = (
    LIST_ELLIPSES
    + LIST_ICONS
    # Dashes split; a hyphen only between digits (ranges "2022-2023"), so "NGO-sów" and "e-mail" stay whole.
    + ["–", "—", "--", "---", "——", "~", r"(?<=[0-9])-(?=[0-9])"]
    + [
        # A dot between two digits is a date or a thousands separator ("15.03.2024", "1.200.000"): no split.
        r"(?<=[0-9{al}])\.(?=[{au}])".format(al=ALPHA_LOWER, au=ALPHA_UPPER),
        r"(?<=[{al}])\.(?=[0-9])".format(al=ALPHA_LOWER),
        r"(?<=[{a}])[,!?](?=[{a}])".format(a=ALPHA),
        r"(?<=[{a}])[:<>=\/](?=[{a}])".format(a=ALPHA),
        r"(?<=[{a}])([{q}\)\]\(\[])(?=[\-{a}])".format(a=ALPHA, q=CONCAT_QUOTES.replace("'", "")),
    ]
)


class PolishTokenizer(Tokenizer):
    """spaCy's tokenizer, then a merge of what it cannot keep whole: space-grouped numbers ("1 200 000")
    and bracketed placeholders it has no special case for ("[KOD_POCZTOWY]")."""

    _pieces: PieceOrths | None = None

    def __call__(self, text: str) -> Doc:
        doc = super().__call__(text)
        # Cheap tests on the string first: most comments have neither.
        if "[" not in text and not _GROUP_HINT.search(text):
            return doc
        spans = [doc.char_span(m.start(), m.end()) for m in _MERGE.finditer(text)]
        spans = [span for span in spans if span is not None and len(span) > 1]
        if spans:
            with doc.retokenize() as retokenizer:
                for span in spans:
                    retokenizer.merge(span)
        return doc

    def orths(self, texts: Sequence[str]) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
        """The ORTH hashes of `texts`' tokens, text after text, as `self(text)` gives them, how many each text
        has, and each text's `word_count`, without a `Doc` per text (`pipeline.tokens`; it keeps the pieces met, up
        to `MAX_FORMS` of them)."""
        if self._pieces is None:
            # Only a group of digits joins tokens across a space; a placeholder stays inside its piece. No affix
            # pattern here matches letters alone (tests/test_tokens.py checks each), there is no `token_match`, and
            # neither merge joins a word and one mark (a placeholder has two brackets, a group digits).
            self._pieces = PieceOrths(self, _GROUP_HINT.search, MAX_FORMS, word_count, letters_alone=True)
        return self._pieces.orths(texts)


def word_count(text: str) -> int:
    """How many words `text` has: runs of letters, redaction placeholders ("[EMAIL]") not counted. Neither a run
    of letters nor a placeholder holds whitespace, so a text's count is the sum of its pieces' (`PieceOrths`)."""
    return len(_WORD.findall(PLACEHOLDER.sub(" ", text)))


@spacy.registry.tokenizers("uwagi.pl_tokenizer.v1")
def create_pl_tokenizer() -> Callable[[Language], Tokenizer]:
    """spaCy's Polish tokenizer plus abbreviation and placeholder special cases and the infixes above."""

    def make_tokenizer(nlp: Language) -> Tokenizer:
        tokenizer = PolishTokenizer(
            nlp.vocab,
            rules=dict(nlp.Defaults.tokenizer_exceptions),
            prefix_search=compile_prefix_regex(nlp.Defaults.prefixes).search,
            suffix_search=compile_suffix_regex(nlp.Defaults.suffixes).search,
            infix_finditer=compile_infix_regex(_INFIXES).finditer,
            url_match=nlp.Defaults.url_match,
        )
        for special in (*abbreviations(), *PLACEHOLDERS.values()):
            tokenizer.add_special_case(special, [{ORTH: special}])
        return tokenizer

    return make_tokenizer


# --- lemmatizer backends ---------------------------------------------------------------------------------------

LemmaFn = Callable[[str], str]
_BACKENDS: dict[str, Callable[[], LemmaFn]] = {}


def register_backend(name: str) -> Callable[[Callable[[], LemmaFn]], Callable[[], LemmaFn]]:
    """Register a loader returning `form -> lemma` (case as the dictionary has it)."""

    def register(loader: Callable[[], LemmaFn]) -> Callable[[], LemmaFn]:
        _BACKENDS[name] = loader
        return loader

    return register


def backends() -> tuple[str, ...]:
    return tuple(_BACKENDS)


@lru_cache(maxsize=None)
def load_backend(name: str) -> LemmaFn:
    if name not in _BACKENDS:
        raise ValueError(f"unknown lemmatizer {name!r}; choose one of {', '.join(_BACKENDS)}")
    return _BACKENDS[name]()


@register_backend("simplemma")
def _simplemma() -> LemmaFn:
    return polish_lemmatizer()


@lru_cache(maxsize=1)
def _morfeusz() -> Any:
    import morfeusz2

    return morfeusz2.Morfeusz(generate=False, expand_tags=False)


_VERBAL_NOUN_ENDING = re.compile(r"(?:ni|ci)(?:e|a|u|em|om|ach|ami)$|ń$")


def _dictionary_verbal_noun(form: str) -> str | None:
    """The -nie/-cie noun SGJP (morfeusz2's dictionary) reads this lower-case form as, if any."""
    if not _VERBAL_NOUN_ENDING.search(form):
        return None
    for *_, (_, lemma, tag, *_) in _morfeusz().analyse(form):
        lemma = lemma.partition(":")[0]
        if tag.startswith("subst") and lemma.endswith(("nie", "cie")):
            return lemma.lower()
    return None


@register_backend("morfeusz2")
def _morfeusz2() -> LemmaFn:
    analyser = _morfeusz()
    frequencies = polish_frequencies()

    def lemmatize(form: str) -> str:
        # analyse() returns a graph of (start, end, interpretation); prefer readings covering the whole form,
        # else take the first segment ("zrobił|by|m" -> "zrobić").
        analyses = analyser.analyse(form)
        last = max(end for _, end, _ in analyses)
        readings = [a for a in analyses if a[0] == 0 and a[1] == last] or [a for a in analyses if a[0] == 0]
        lemmas = []
        for _, _, (_, lemma, tag, *_) in readings:
            if tag == "ign":
                return form
            # SGJP marks homonyms as "lemma:A"; a lone ":" is the colon's own lemma.
            lemmas.append(lemma.partition(":")[0] or lemma)
        # Without a tagger, the lemma seen most often as a word is the best single guess.
        return max(lemmas, key=lambda lemma: frequencies.get(lemma.lower(), 0.0))

    return lemmatize


# --- lemmatizer component --------------------------------------------------------------------------------------


_SENTENCE_END = frozenset({".", "!", "?", "…", "...", "?!"})


class _Form(NamedTuple):
    """What the lemmatizer needs to know about a word form, computed once per vocabulary entry."""

    text: str
    sentence_initial: str  # the form to look up at a sentence start ("Bez" -> "bez")
    flags: int  # `_POLISH` | `_ALPHA` | `_SPACE` | `_ENDS`, those that hold: an int, so a batch's are one array


_POLISH, _ALPHA, _SPACE, _ENDS = 1, 2, 4, 8  # has a Polish letter, any letter; is a space; a sentence may follow


class PolishLemmatizer:
    """Sets `token.lemma_` (lower case) with a dictionary backend; caches per word form.

    Works on arrays of hashes rather than `Token` objects, and a batch of documents at a time (`set_lemmas`): each
    word form is looked at once, in Python, when first met, and given a number; a batch finds its forms' numbers by
    a search of the sorted hashes, and every token gets its lemma by array indexing. Creating a Python object per
    token, or a look-up per distinct form of each batch, would cost more than the lemmatizing itself once the
    caches are warm.
    """

    def __init__(self, nlp: Language, name: str, backend: str, restore_diacritics: bool):
        self.name = name
        self.backend = backend
        self.restore_diacritics = restore_diacritics
        self._lemmatize = load_backend(backend)
        self._strings = nlp.vocab.strings
        self._forms: list[_Form] = []  # by form number
        self._orths = numpy.zeros(0, dtype=numpy.uint64)  # the forms' ORTH hashes, sorted, and their numbers
        self._numbers = numpy.zeros(0, dtype=numpy.int64)
        self._flags = numpy.zeros(1024, dtype=numpy.uint8)  # `_Form.flags` by form number
        # form -> lemma hash, separately for forms taken as written and for forms restored first
        self._cache: dict[str, int] = {}
        self._restored_cache: dict[str, int] = {}
        # The lemma hash of each case (`_case_lemma`) at 4 * form number + kind, where `_known` says it was found,
        # and the number of its analysis in `_infos` there (-1 before `tokens` has made it).
        self._lemmas = numpy.zeros(4096, dtype=numpy.uint64)
        self._known = numpy.zeros(4096, dtype=bool)
        self._infos = _Infos()
        self._analyses = numpy.zeros(4096, dtype=numpy.int64)

    def forms_met(self) -> int:
        """How many distinct token forms (ORTH hashes) the lemmatizer has looked at: what its caches grow with."""
        return len(self._forms)

    def _numbered(self, orths: numpy.ndarray) -> numpy.ndarray:
        """The form number of each of the distinct hashes `orths`; a form not met before is looked at (`_form`)
        and numbered next."""
        at = numpy.searchsorted(self._orths, orths)
        known = at < len(self._orths)
        known[known] = self._orths[at[known]] == orths[known]
        numbers = numpy.full(len(orths), -1, dtype=numpy.int64)
        numbers[known] = self._numbers[at[known]]
        new = numpy.flatnonzero(~known)
        if len(new):
            first, end = len(self._forms), len(self._forms) + len(new)
            self._forms.extend(map(self._form, orths[new].tolist()))
            self._flags = room(self._flags, end)
            self._lemmas, self._known, self._analyses = (room(a, 4 * end) for a in (self._lemmas, self._known,
                                                                                     self._analyses))
            self._flags[first:end] = [form.flags for form in self._forms[first:]]
            self._known[4 * first:4 * end] = False
            self._analyses[4 * first:4 * end] = -1
            numbers[new] = numpy.arange(first, end)
            order = numpy.argsort(orths[new])
            at = numpy.searchsorted(self._orths, orths[new][order])
            self._orths = numpy.insert(self._orths, at, orths[new][order])
            self._numbers = numpy.insert(self._numbers, at, numbers[new][order])
        return numbers

    def _form(self, orth: int) -> _Form:
        text = self._strings[orth]
        # A capital opening a sentence is orthography, not a name: "Bez" is "bez", "Ludzie" is "człowiek".
        title = text[:1].isupper() and text[1:].islower()
        form = _Form(
            text=text,
            sentence_initial=text.lower() if title else text,
            flags=(_POLISH * has_polish_letters(text) | _ALPHA * any(ch.isalpha() for ch in text)
                   | _SPACE * text.isspace() | _ENDS * (text in _SENTENCE_END or "\n" in text)),
        )
        return form

    def __call__(self, doc: Doc) -> Doc:
        self.set_lemmas([doc])
        return doc

    def set_lemmas(self, docs: Sequence[Doc]) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
        """Set the lemmas of `docs` (the spaCy component's path; `analyze` builds no `Doc` and calls `lemma_cases`).
        Returns `lemma_cases` of their tokens."""
        sizes = numpy.array([len(doc) for doc in docs], dtype=numpy.int64)
        orths = (numpy.concatenate([doc.to_array(ORTH) for doc in docs]) if len(docs) else
                 numpy.zeros(0, dtype=numpy.uint64))
        cases = self.lemma_cases(orths, sizes, lambda k: _lang(docs[k].user_data.get("lang"), docs[k].text))
        if len(orths):
            case_of, _, lemma_of_case = cases
            lemmas = lemma_of_case[case_of]
            starts = numpy.concatenate([[0], numpy.cumsum(sizes)])
            for doc, start, end in zip(docs, starts[:-1].tolist(), starts[1:].tolist()):
                if end > start:
                    doc.from_array([LEMMA], lemmas[start:end])
        return cases

    def lemma_cases(self, orths: numpy.ndarray, sizes: numpy.ndarray, lang: Callable[[int], str]
                    ) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
        """The cases of the tokens of documents of `sizes` tokens each, whose ORTH hashes are `orths` one document
        after another (a token's case: its form and lemma), and the ORTH and LEMMA hashes of each case. `lang(k)`
        is the language of document k.

        A document typed without Polish letters (but with letters, and in Polish) has its forms restored first;
        a token opening a sentence is looked up as `_Form.sentence_initial`.
        """
        return self._cases(orths, sizes, lang)[:3]

    def tokens(self, orths: numpy.ndarray, sizes: numpy.ndarray, words: numpy.ndarray, lang: Callable[[int], str]
               ) -> Tokens:
        """The tokens of documents of `sizes` tokens and `words` words each, whose ORTH hashes are `orths`, as
        `lemma_cases` finds their cases. A case's analysis (`_token_info`) is made once and found again by its
        place in the arrays; its tokens take what it gives by array indexing."""
        case_of, case_orths, lemmas, slots = self._cases(orths, sizes, lang)
        infos = self._infos
        ids = self._analyses[slots]
        for k in numpy.flatnonzero(ids < 0).tolist():
            ids[k] = infos.add((int(case_orths[k]), int(lemmas[k])), self._strings)
        self._analyses[slots] = ids
        kept = infos.kept[ids][case_of]
        # Where each document's tokens start among the kept tokens.
        bounds = numpy.concatenate([[0], numpy.cumsum(kept)])[numpy.concatenate([[0], numpy.cumsum(sizes)])]
        return Tokens(case_of[kept], bounds, infos.text[ids], infos.lemma[ids], infos.folded[ids], infos.content[ids],
                      words, infos.one_word[ids])

    def _cases(self, orths: numpy.ndarray, sizes: numpy.ndarray, lang: Callable[[int], str]
               ) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray, numpy.ndarray]:
        """`lemma_cases`, and each case's place in the arrays kept by form number (4 * number + kind)."""
        if not len(orths):
            nothing = numpy.zeros(0, dtype=numpy.int64)
            return nothing, orths, orths, nothing
        which, distinct = pandas.factorize(orths)  # hashing: no sort of every token
        numbers = self._numbered(distinct)
        flags = self._flags[numbers][which]
        polish, alpha, space, ends = ((flags & flag) > 0 for flag in (_POLISH, _ALPHA, _SPACE, _ENDS))
        starts = numpy.concatenate([[0], numpy.cumsum(sizes)])
        restore = numpy.zeros(len(sizes), dtype=bool)
        if self.restore_diacritics:
            with_polish, with_alpha = (numpy.diff(numpy.concatenate([[0], numpy.cumsum(held)])[starts])
                                       for held in (polish, alpha))
            for k in numpy.flatnonzero((with_polish == 0) & (with_alpha > 0)).tolist():
                restore[k] = lang(k) == "pl"
        # A token opens a sentence when the last token before it in its document that is not a plain space ends
        # one (final punctuation, a line break), or when there is no such token.
        position = numpy.arange(len(orths))
        last = numpy.maximum.accumulate(numpy.where(ends | ~space, position, -1))
        before = numpy.concatenate([[-1], last[:-1]])
        initial = (before < numpy.repeat(starts[:-1], sizes)) | ends[numpy.maximum(before, 0)]
        # Each (form, sentence-initial, restored) once: the caches hold lemmas by the form looked up.
        case_of, cases = pandas.factorize(which * 4 + initial * 2 + numpy.repeat(restore, sizes))
        case_orths = distinct[cases >> 2]
        slots = 4 * numbers[cases >> 2] + (cases & 3)
        new = slots[~self._known[slots]]
        for slot in new.tolist():
            self._lemmas[slot] = self._case_lemma(self._forms[slot >> 2], slot & 3)
        self._known[new] = True
        return case_of, case_orths, self._lemmas[slots], slots

    def _case_lemma(self, form: _Form, kind: int) -> int:
        """The LEMMA hash of a case of `form` of this kind: 2 if it opens a sentence, plus 1 if restored."""
        restored = bool(kind & 1)
        key = form.sentence_initial if kind & 2 else form.text
        cache = self._restored_cache if restored else self._cache
        lemma = cache.get(key)
        if lemma is None:
            lemma = cache[key] = self._strings.add(self.lemma(key, restore=restored))
        return lemma

    def lemma(self, form: str, restore: bool = False) -> str:
        """Lower-case lemma of one token; `restore` first puts back Polish letters."""
        if PLACEHOLDER.fullmatch(form) or not any(ch.isalpha() for ch in form):
            return form.lower()
        abbreviation = abbreviations().get(form)
        if abbreviation is not None:
            return abbreviation.lemma or form.lower()
        if restore:
            form = restore_word(form)
        if "-" in form.strip("-"):
            return self._hyphenated(form)
        lemma = self._lemmatize(form).lower()
        # Both backends send some cases of a verbal noun to its verb ("wsparcie" -> "wesprzeć") and others to the
        # noun ("wsparcia" -> "wsparcie"); take the noun wherever the dictionary has one, so all the cases meet.
        # ("zostanie" has no noun reading and stays "zostać".)
        if lemma.endswith(("ć", "c")):
            return _dictionary_verbal_noun(form.lower()) or lemma
        return lemma

    def _hyphenated(self, form: str) -> str:
        first = form.split("-", 1)[0]
        head, _, tail = form.rpartition("-")
        # An acronym with a case ending: "NGO-sów", "PAN-u" -> the acronym.
        if len(first) > 1 and first.isupper() and tail.islower():
            return first.lower()
        whole = self._lemmatize(form)
        if whole != form or not tail.isalpha():
            return whole.lower()
        # Unknown compound ("biało-czerwonych"): only its last part inflects.
        return f"{head}-{self._lemmatize(tail)}".lower()


@Language.factory(
    "pl_lemmatizer",
    assigns=["token.lemma"],
    default_config={"backend": "simplemma", "restore_diacritics": True},
)
def make_pl_lemmatizer(nlp: Language, name: str, backend: str, restore_diacritics: bool) -> PolishLemmatizer:
    return PolishLemmatizer(nlp, name, backend, restore_diacritics)


# --- public API ------------------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def get_nlp(lemmatizer: str = "simplemma") -> Language:
    """The pipeline for one lemmatizer backend (built once per process)."""
    load_backend(lemmatizer)  # fail early on an unknown name
    nlp = spacy.blank("pl", config={"nlp": {"tokenizer": {"@tokenizers": "uwagi.pl_tokenizer.v1"}}})
    nlp.add_pipe("pl_lemmatizer", config={"backend": lemmatizer})
    # spaCy's 1M-character guard is for the parser's and NER's memory; only the tokenizer and the lemmatizer run
    # here, linear in the text, and the readers bound a cell (a letter of a few MB is still one comment).
    nlp.max_length = sys.maxsize
    return nlp


class _Infos:
    """What `_token_info` tells of each (ORTH, LEMMA) pair of hashes met, in columns, by a number given on first
    sight: a batch's cases take theirs by array indexing."""

    def __init__(self) -> None:
        self.ids: dict[tuple[int, int], int] = {}
        self.text, self.lemma, self.folded = (numpy.empty(1024, dtype=object) for _ in range(3))
        self.content, self.kept, self.one_word = (numpy.zeros(1024, dtype=bool) for _ in range(3))

    def add(self, key: tuple[int, int], strings: Any) -> int:
        info_id = self.ids.get(key)
        if info_id is None:
            info_id = self.ids[key] = len(self.ids)
            if info_id == len(self.text):
                for name in ("text", "lemma", "folded", "content", "kept", "one_word"):
                    setattr(self, name, room(getattr(self, name), info_id + 1))
            text, lemma, folded, self.content[info_id], self.kept[info_id] = _token_info(strings[key[0]],
                                                                                          strings[key[1]])
            self.text[info_id], self.lemma[info_id], self.folded[info_id] = text, lemma, folded
            self.one_word[info_id] = lemma.split() == [lemma] and folded.split() == [folded]
        return info_id


_WHITESPACE = ("", "", "", False, False)


def _token_info(text: str, lemma: str) -> tuple[str, str, str, bool, bool]:
    """A token's text, lemma, folded lemma, whether the lemma is content, whether it is a token (not whitespace)."""
    if text.isspace():
        return _WHITESPACE
    is_content = (
        len(lemma) > 1
        and any(ch.isalpha() for ch in text)
        and not text[0].isdigit()
        and not PLACEHOLDER.fullmatch(text)
        and "@" not in text
        and "://" not in text
        and not text.startswith("www.")
        and lemma not in stop_words()
        and text.lower() not in stop_words()
    )
    return text, lemma, strip_diacritics(lemma), is_content, True


@dataclass(frozen=True)
class Tokens:
    """The tokens of a batch of texts, whitespace dropped, text after text, each as its case (a word form and its
    lemma): token i is case `cases[i]`, text k's tokens are `cases[bounds[k]:bounds[k + 1]]`, and the other
    arrays hold each case's surface token, lemma, folded lemma and whether the lemma is content (`Analysis`);
    `words` is each text's `word_count`. What a reader keeps of a text is taken by array indexing per case, not a
    Python object per token."""

    cases: numpy.ndarray
    bounds: numpy.ndarray
    text: numpy.ndarray
    lemma: numpy.ndarray
    folded: numpy.ndarray
    content: numpy.ndarray
    words: numpy.ndarray
    one_word: numpy.ndarray  # per case: its lemma and its folded lemma are each one word to `str.split`

    def per_text(self, values: numpy.ndarray, where: numpy.ndarray | None = None,
                 make: Callable[[list], Any] = tuple) -> list:
        """`make` of the list of each text's `values` (one per case), of its tokens whose case is `where`."""
        cases, bounds = self.cases, self.bounds
        if where is not None:
            kept = where[cases]
            bounds = numpy.concatenate([[0], numpy.cumsum(kept)])[bounds]
            cases = cases[kept]
        flat = values[cases].tolist()  # a slice of a list is made faster than of an array
        return [make(flat[a:b]) for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist())]

    def texts_with(self, where: numpy.ndarray) -> numpy.ndarray:
        """Whether each text has a token whose case is `where`."""
        held = numpy.concatenate([[0], numpy.cumsum(where[self.cases])])
        return held[self.bounds[1:]] > held[self.bounds[:-1]]

    def content_lemmas(self) -> list[str]:
        """Each text's content lemmas, joined by spaces (what themes are found from)."""
        return self.per_text(self.lemma, self.content, " ".join)

    def tokens_of(self, k: int) -> list[str]:
        """Text k's surface tokens."""
        return self.text[self.cases[self.bounds[k]:self.bounds[k + 1]]].tolist()

    def analyses(self) -> list[Analysis]:
        return list(map(Analysis, self.per_text(self.text), self.per_text(self.lemma), self.per_text(self.folded),
                        self.per_text(self.lemma, self.content)))


# Distinct word forms one pipeline meets before it starts afresh. spaCy keeps the strings of every form (and a lexeme
# of every form its tokenizer makes: `PieceOrths` keeps a word of letters by its string alone), and the lemmatizer
# a lemma and an analysis, so a worker that reads a million comments would grow with every new spelling
# (typos, names, numbers): about 2 KB a form. The forms are counted as the lemmatizer meets them. Rebuilding the
# pipeline is what spaCy advises for long-lived processes (`Language.memory_zone` would forget the lemmas' strings
# that the caches point at); the forms met since are looked up again. 100k comments of the benchmark meet about 100k
# forms.
MAX_FORMS = 200_000


def _bounded_nlp(lemmatizer: str) -> Language:
    """`get_nlp(lemmatizer)`, built anew, with empty caches, once it has met `MAX_FORMS` word forms."""
    nlp = get_nlp(lemmatizer)
    if nlp.get_pipe("pl_lemmatizer").forms_met() > MAX_FORMS:
        get_nlp.cache_clear()
        nlp = get_nlp(lemmatizer)
    return nlp


def analyze(texts: Iterable[str], lemmatizer: str = "simplemma", batch_size: int = 1_000,
            langs: Iterable[str] | None = None) -> list[Analysis]:
    """Tokens, lemmas, folded lemmas and content lemmas of each text (missing values count as empty). `langs`, when
    known, are `detect_language` of each text, which the lemmatizer then need not detect again. The texts go through
    `get_nlp`'s tokenizer and lemmatizer `batch_size` at a time: the more texts in a batch, the fewer distinct word
    forms per token to look up."""
    return [analysis for batch in analyze_tokens(texts, lemmatizer, batch_size, langs) for analysis in batch.analyses()]


def analyze_tokens(texts: Iterable[str], lemmatizer: str = "simplemma", batch_size: int = 1_000,
                   langs: Iterable[str] | None = None) -> Iterator[Tokens]:
    """`analyze`'s analyses as `Tokens`, one per batch of `batch_size` texts, for a reader that keeps only some of
    each text's tokens or joins them into strings."""
    nlp = _bounded_nlp(lemmatizer)
    component: PolishLemmatizer = nlp.get_pipe("pl_lemmatizer")
    tokenizer: PolishTokenizer = nlp.tokenizer
    cleaned = [text if isinstance(text, str) else "" for text in texts]
    known = None if langs is None else list(langs)
    for lo in range(0, len(cleaned), batch_size):
        batch = cleaned[lo:lo + batch_size]
        # The tokens' hashes are all the lemmatizer reads: no `Doc` is built.
        orths, sizes, words = tokenizer.orths(batch)
        yield component.tokens(orths, sizes, words,
                               lambda k: _lang(None if known is None else known[lo + k], batch[k]))


def _lang(lang: str | None, text: str) -> str:
    """The text's language: `lang` as `analyze` was given it, else detected."""
    return detect_language(text) if lang is None else lang


def lemmatize_words(words: Iterable[str], lemmatizer: str = "simplemma") -> list[str]:
    """Lemmas of curated words or phrases (taxonomy keywords), word by word, joined by spaces.

    No diacritic restoration: keywords are written with care, and "sad" must stay "sad".
    """
    nlp = get_nlp(lemmatizer)
    component: PolishLemmatizer = nlp.get_pipe("pl_lemmatizer")
    return [
        " ".join(component.lemma(token.text) for token in nlp.make_doc(word) if not token.is_space)
        for word in words
    ]
