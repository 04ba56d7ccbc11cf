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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import compress
from typing import Any, NamedTuple

import numpy
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
from pipeline.vocabulary import PLACEHOLDER, PLACEHOLDERS

# Tokens the tokenizer cannot keep whole because they contain spaces or unknown bracketed names.
_MERGE = re.compile(r"(?<![\d.,])\d{1,3}(?: \d{3})+(?![\d])|" + PLACEHOLDER.pattern)
_GROUP_HINT = re.compile(r"\d \d\d\d")


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
    polish: bool  # has a Polish letter
    alpha: bool  # has any letter
    space: bool
    ends: bool  # a sentence may start after it (final punctuation, line break)


class PolishLemmatizer:
    """Sets `token.lemma_` (lower case) with a dictionary backend; caches per word form.

    Works on arrays of hashes rather than `Token` objects: creating a Python object per token would cost more
    than the lemmatizing itself once the caches are warm.
    """

    def __init__(self, nlp: Language, name: str, backend: str, restore_diacritics: bool):
        self.name = name
        self.backend = backend
        self.restore_diacritics = restore_diacritics
        self._lemmatize = load_backend(backend)
        self._strings = nlp.vocab.strings
        self._forms: dict[int, _Form] = {}
        # form -> lemma hash, separately for forms taken as written and for forms restored first
        self._cache: dict[str, int] = {}
        self._restored_cache: dict[str, int] = {}

    def _form(self, orth: int) -> _Form:
        text = self._strings[orth]
        # A capital opening a sentence is orthography, not a name: "Bez" is "bez", "Ludzie" is "człowiek".
        title = text[:1].isupper() and text[1:].islower()
        form = _Form(
            text=text,
            sentence_initial=text.lower() if title else text,
            polish=has_polish_letters(text),
            alpha=any(ch.isalpha() for ch in text),
            space=text.isspace(),
            ends=text in _SENTENCE_END or "\n" in text,
        )
        self._forms[orth] = form
        return form

    def __call__(self, doc: Doc) -> Doc:
        forms = [self._forms.get(orth) or self._form(orth) for orth in doc.to_array(ORTH).tolist()]
        restore = (
            self.restore_diacritics
            and not any(form.polish for form in forms)
            and any(form.alpha for form in forms)
            and _lang(doc) == "pl"
        )
        cache = self._restored_cache if restore else self._cache
        lemmas = []
        initial = True
        for form in forms:
            key = form.sentence_initial if initial else form.text
            lemma = cache.get(key)
            if lemma is None:
                lemma = cache[key] = self._strings.add(self.lemma(key, restore=restore))
            lemmas.append(lemma)
            initial = form.ends or (initial and form.space)
        if lemmas:
            doc.from_array([LEMMA], numpy.array(lemmas, dtype=numpy.uint64))
        return doc

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


_Info = tuple[str, str, str, bool]  # text, lemma, folded lemma, is content
_INFO: dict[tuple[int, int], _Info | None] = {}  # (orth, lemma) hashes -> info; None for whitespace
_UNSEEN = object()


def _token_info(text: str, lemma: str) -> _Info | None:
    if text.isspace():
        return None
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
    return text, lemma, strip_diacritics(lemma), is_content


def _analysis(doc: Doc) -> Analysis:
    strings = doc.vocab.strings
    infos = []
    for key in zip(doc.to_array(ORTH).tolist(), doc.to_array(LEMMA).tolist()):
        info = _INFO.get(key, _UNSEEN)
        if info is _UNSEEN:
            info = _INFO[key] = _token_info(strings[key[0]], strings[key[1]])
        if info is not None:
            infos.append(info)
    if not infos:
        return Analysis((), (), (), ())
    tokens, lemmas, folded, is_content = zip(*infos)
    return Analysis(tokens, lemmas, folded, tuple(compress(lemmas, is_content)))


def analyze(texts: Iterable[str], lemmatizer: str = "simplemma", batch_size: int = 256,
            langs: Iterable[str] | None = None) -> list[Analysis]:
    """Tokens, lemmas, folded lemmas and content lemmas of each text (missing values count as empty). `langs`, when
    known, are `detect_language` of each text, which the lemmatizer then need not detect again."""
    nlp = get_nlp(lemmatizer)
    cleaned: Iterable[str | Doc] = (text if isinstance(text, str) else "" for text in texts)
    if langs is not None:
        cleaned = (_with_lang(nlp.make_doc(text), lang) for text, lang in zip(cleaned, langs))
    return [_analysis(doc) for doc in nlp.pipe(cleaned, batch_size=batch_size)]


def _with_lang(doc: Doc, lang: str) -> Doc:
    doc.user_data["lang"] = lang
    return doc


def _lang(doc: Doc) -> str:
    """The text's language: as `analyze` was given it, else detected."""
    lang = doc.user_data.get("lang")
    return detect_language(doc.text) if lang is None else lang


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
