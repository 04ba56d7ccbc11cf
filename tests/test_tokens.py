"""`PolishTokenizer.orths` (pipeline/tokens.py) gives the tokens `nlp.make_doc` gives, without a `Doc` per text."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from re import _constants, _parser  # the patterns' syntax trees

import numpy
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.attrs import ORTH
from spacy.tokenizer import Tokenizer
from spacy.vocab import Vocab

from pipeline.clean import detect_language
from pipeline.polish import _GROUP_HINT, analyze, get_nlp, word_count
from pipeline.tokens import _PIECE, _RISKY, PieceOrths, room
from tests.quality_data import ROOT, read_jsonl
from tests.samples import stratified

NLP = get_nlp()
RULES = sorted(NLP.tokenizer.rules)
WORDS = ["Współpraca", "z", "organizacjami", "pozarządowymi", "źdźbło", "ŻÓŁW", "srodki", "NGO-sów", "e-mail",
         "biało-czerwonych", "Dz.U.", "Dz.U", "m.in.", "np.", "r.", "ul.", "tzw.", "itd.", "[OSOBA]", "[EMAIL]",
         "[KOD_POCZTOWY]", "[osoba]", "https://gdansk.pl/konsultacje?id=12&x=y", "www.gdansk.pl", "jan@x.pl",
         "15.03.2024", "2022-2023", "1 200 000", "12 345,50", "1.200.000", "3", "333", "§", "5", "ust.", "1",
         "pkt", "2a", "art.", "19a", ":)", ":-(", "(-:", "„cytat”", "«tak»", "(nawias)", "[", "]", "...", "…",
         "—", "–", "-", "--", "?!", "!!", "'", "''", '"', "/", ":", ";", ",", ".", "%", "zł", "100zł", "A-0001"]
# A rule cut in two: a space between its parts lets a special case match across pieces ("Dz.U .").
HALVES = sorted({half for rule in RULES for half in (rule[:len(rule) // 2], rule[len(rule) // 2:]) if half.strip()})
SPACES = ["", " ", " ", " ", "  ", "   ", "\n", "\n\n", "\r\n", "\t", "\xa0", " \n ", "\u2009", "\u3000", " \t"]


def make_doc_orths(texts: list[str]) -> tuple[numpy.ndarray, numpy.ndarray]:
    arrays = [NLP.make_doc(text).to_array(ORTH) for text in texts]
    return numpy.concatenate([numpy.zeros(0, dtype=numpy.uint64), *arrays]), numpy.array([len(a) for a in arrays])


def assert_same_tokens(texts: list[str], pieces: PieceOrths | None = None) -> None:
    orths, sizes, words = (pieces or NLP.tokenizer).orths(texts)
    expected, expected_sizes = make_doc_orths(texts)
    assert sizes.tolist() == expected_sizes.tolist()
    assert orths.tolist() == expected.tolist()
    # The word count summed over the pieces is the whole text's.
    assert words.tolist() == [word_count(text) for text in texts]


def test_pieces_are_cut_where_the_tokenizer_cuts_them_at_every_whitespace_character() -> None:
    # The tokenizer cuts at a change of `str.isspace`; the pieces' pattern must agree on every code point.
    space = re.compile(r"\s")
    assert [c for c in range(sys.maxunicode + 1) if bool(space.fullmatch(chr(c))) != chr(c).isspace()] == []
    assert _PIECE.findall("  Ala  ma\n\nkota ") == ["  ", "Ala  ", "ma\n\n", "kota "]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.one_of(*map(st.sampled_from, (WORDS, RULES, HALVES, "([{}])!?.,:;-*_<>=^'\""))),
                          st.sampled_from(SPACES)),
                max_size=12),
       st.sampled_from(SPACES))
def test_tokens_are_those_of_make_doc(parts: list[tuple[str, str]], opening: str) -> None:
    texts = [opening + "".join(word + space for word, space in parts)]
    assert_same_tokens(texts + [text.upper() for text in texts] + [""])


def test_a_special_case_matched_across_a_space_keeps_the_one_inside_a_piece_from_applying() -> None:
    # Alone, "Dz.U" is "Dz." "U"; in "Dz.U ." the special case "Dz.U." matched across the space (which changes
    # nothing itself) takes precedence, so the tokenizer leaves "Dz" "." "U" ".": such a text is tokenized whole.
    texts = ["Dz.U .", "Dz.U", ". Dz.U .", "Sp.n.:( ((*>", "według Dz.U . z 2023 r."]
    assert_same_tokens(texts)
    assert [NLP.vocab.strings[h] for h in NLP.tokenizer.orths(["Dz.U ."])[0]] == ["Dz", ".", "U", "."]


def test_only_a_piece_whose_joined_tokens_a_special_case_could_run_onto_is_tokenized_whole() -> None:
    # "[OSOBA]!!" is "[" "OSOBA" "]" "!" "!" before the pass joins the placeholder, but no special case's tokens end
    # in "[" "OSOBA" or begin with "]" "!" and are as long: tokenizing every text holding one whole would cost 5% of
    # the benchmark's texts.
    pieces = PieceOrths(NLP.tokenizer, lambda text: False, 1_000, word_count)
    texts = ["Pozdrawiam [OSOBA]!! i[EMAIL] [OSOBA]ewandowski a[TELEFON]", "według Dz.U . z 2023 r."]
    assert_same_tokens(texts, pieces)
    assert [piece for piece, piece_id in pieces._ids.items() if piece_id == _RISKY] == ["Dz.U "]


@pytest.mark.parametrize("letters_alone", [False, True])
def test_new_pieces_are_tokenized_run_by_run_in_one_text_and_words_of_letters_without_the_tokenizer(
        letters_alone: bool) -> None:
    # A piece's tokens are its run's, then its whitespace's, each kind of whitespace tokenized once. The new pieces'
    # runs are joined by line breaks and tokenized once; with `letters_alone`, but for a special case ("xD"), a run of
    # letters is its own token without the tokenizer, and so are a word and the mark the suffix search cuts off
    # ("Długiej,"; "ul." and "np." are special cases). A piece whose run's tokens hold a special case's string, and a
    # text's opening whitespace, are tokenized alone.
    pieces = PieceOrths(NLP.tokenizer, lambda text: False, 1_000, word_count, letters_alone)
    calls: list[str] = []
    pieces._tokenize = lambda text: calls.append(text) or NLP.tokenizer(text)
    texts = ["Wniosek o zmianę (planu) ul. Długiej, np. 12 drzew! [OSOBA]-ów xD", " Proszę:\n\nwięcej  tu\tteż Dz.U. 5"]
    assert_same_tokens(texts, pieces)
    assert pieces._separable
    new = list(dict.fromkeys(piece for text in texts for piece in _PIECE.findall(text)))
    runs = [piece.rstrip() for piece in new if piece.strip()]
    marked = {"Długiej,", "drzew!", "Proszę:"}
    joined = [run for run in runs if not (letters_alone and (run.isalpha() and run != "xD" or run in marked))]
    assert "\n".join(joined) in calls
    assert sorted(calls) == sorted(["\n".join(joined), "\n\n", " ", "\t",  # "  " without the " " it opens with
                                    " ", "ul. ", "np. ", "[OSOBA]-ów ", "xD", "Dz.U. "])


# Words of letters (special cases among them, and the halves of some) and a character after each: what the
# tokenizer's affix search cuts off, keeps on (a prefix "długo-", a special case "np.") or leaves to a later step.
MARKED_WORDS = ["a", "Ala", "ALA", "ŻÓŁW", "źdźbło", "xD", "x", "np", "Np", "ul", "Dz", "U", "r", "długo", "krótko",
                "e", "mail", "NGO", "OSOBA", "itd", "tys", "zł", "km", "m", "ﬁ", "µ"]
MARKS = list(".,;:!?…-–—'\"„”«»()[]{}/\\|*&%$#@^_+=<>~`§°²€" + "09" + "\u0301\u00b7")


def test_a_word_and_one_mark_after_it_are_the_tokens_of_make_doc_with_or_without_the_tokenizer() -> None:
    # With `letters_alone`, a run of letters and one character after it is a word and that character without the
    # tokenizer where the tokenizer's own prefix and suffix search say so, and is tokenized where they do not.
    pieces = PieceOrths(NLP.tokenizer, lambda text: False, 100_000, word_count, letters_alone=True)
    calls: list[str] = []
    pieces._tokenize = lambda text: calls.append(text) or NLP.tokenizer(text)
    runs = [word + mark for word in MARKED_WORDS for mark in MARKS]
    assert_same_tokens([f"{run} {run.upper()}\n{run}" for run in runs] + [f"Zdanie {run}. Dalej" for run in runs],
                       pieces)
    tokenized = set("\n".join(calls).split())
    assert {"Ala,", "źdźbło!", "ŻÓŁW?", "mail:", "Ala.", "km)"}.isdisjoint(tokenized)
    assert {"długo-", "np.", "Dz.", "Ala0"} <= tokenized


def test_a_word_and_a_mark_that_a_prefix_takes_whole_are_left_to_the_tokenizer() -> None:
    # spaCy looks for a prefix before a suffix: here "długo-" is a prefix although "-" is a suffix too.
    tokenizer = Tokenizer(Vocab(), rules={}, prefix_search=re.compile(r"^długo-").search,
                          suffix_search=re.compile(r"[-.]$").search)
    pieces = PieceOrths(tokenizer, lambda text: False, 1_000, lambda text: 0, letters_alone=True)
    texts = ["długo- terminowy", "Ala. długo-", "krótko-"]
    orths, _, _ = pieces.orths(texts)
    assert [tokenizer.vocab.strings[orth] for orth in orths.tolist()] == [
        token.text for text in texts for token in tokenizer(text)] == ["długo-", "terminowy", "Ala", ".", "długo-",
                                                                       "krótko", "-"]


# Whether every match of a parsed regular expression takes, or looks around at, a character that is no letter.
def needs_other_than_letters(items: list) -> bool:
    return any(item_needs_other_than_letters(op, av) for op, av in items)


def item_needs_other_than_letters(op: object, av: object) -> bool:
    if op is _constants.LITERAL:
        return not chr(av).isalpha()
    if op is _constants.IN:
        return all(op is _constants.LITERAL and not chr(v).isalpha()
                   or op is _constants.RANGE and not any(chr(c).isalpha() for c in range(v[0], v[1] + 1))
                   or op is _constants.CATEGORY and v in (_constants.CATEGORY_DIGIT, _constants.CATEGORY_SPACE)
                   for op, v in av)  # NEGATE and the other categories may take a letter
    if op is _constants.BRANCH:
        return all(map(needs_other_than_letters, av[1]))
    if op is _constants.SUBPATTERN:
        return needs_other_than_letters(av[-1])
    if op in (_constants.MAX_REPEAT, _constants.MIN_REPEAT, _constants.POSSESSIVE_REPEAT):
        return av[0] >= 1 and needs_other_than_letters(av[2])
    if op is _constants.ASSERT:  # a lookaround (within the run the pattern searches) that must see one
        return needs_other_than_letters(av[1])
    return False  # any character, a negated literal, an anchor, a negative lookaround: letters may do


def test_no_affix_or_url_pattern_of_the_tokenizer_matches_letters_alone() -> None:
    # What `letters_alone` vouches for: a run of letters that is no special case is one token.
    assert not needs_other_than_letters(_parser.parse(r"(?<![0-9])[^.]|(?=\d)|a"))
    assert needs_other_than_letters(_parser.parse(r"(?<=[0-9])(?:km|m)|\.+|(?:[?!]|…)[a-z]*|(?=\s)ą"))
    tokenizer = NLP.tokenizer
    assert tokenizer.token_match is None
    for find in (tokenizer.prefix_search, tokenizer.suffix_search, tokenizer.infix_finditer, tokenizer.url_match):
        assert needs_other_than_letters(_parser.parse(find.__self__.pattern)), find


def test_the_table_of_pieces_starts_afresh_past_its_bound_and_gives_the_same_tokens() -> None:
    pieces = PieceOrths(NLP.tokenizer, lambda text: False, 5, word_count)
    texts = [f"Wniosek nr {n}: zmiana planu, ul. Długa {n}." for n in range(20)]
    for lo in range(0, len(texts), 4):
        assert_same_tokens(texts[lo:lo + 4], pieces)
        assert len(pieces._ids) <= 5 + 4 * 8  # the bound plus one batch's pieces


def corpus_texts() -> list[str]:
    texts = [row["text"] for path in sorted((ROOT / "data").glob("*/*.jsonl")) for row in read_jsonl(path)]
    sample = pd.read_csv(ROOT / "data" / "samples" / "konsultacje_2023_demo.csv", sep=";", dtype=str,
                         encoding="utf-8-sig")
    return texts + sample["Treść uwagi"].fillna("").tolist()


def test_tokens_of_the_labelled_corpora_are_those_of_make_doc() -> None:
    assert_same_tokens(corpus_texts())


def test_tokens_of_the_shared_corpora_are_those_of_make_doc(shared_dir: Path) -> None:
    texts = [row["text"] for row in read_jsonl(shared_dir / "data" / "gdansk_ngo_2023" / "dev.jsonl")]
    proposals = pd.read_csv(shared_dir / "data" / "lodz_bo_2025" / "proposals.csv", dtype=str)
    assert_same_tokens(texts + [f"{name}\n{text}" for name, text in zip(proposals["nazwa"].fillna(""),
                                                                          proposals["opis"].fillna(""))])


def token_kind(text: str) -> tuple[bool, ...]:
    """What the pieces' shortcut and the tokenizer's later merge treat apart: a text tokenized whole (a digit group
    may join across pieces), a placeholder merged inside its piece, line breaks and double spaces in the pieces'
    whitespace, digits, a text lower-cased whole (a duplicate's kind)."""
    return (_GROUP_HINT.search(text) is not None, "[" in text, "\n" in text, "  " in text,
            any(c.isdigit() for c in text), text == text.lower())


@pytest.mark.slow
def test_tokens_and_analyses_of_the_benchmark_export_are_those_of_make_doc(benchmark_export: list[str]) -> None:
    # A seeded sample of the distinct texts of the 20,000 comments `bench/bench_pipeline.py` exports: 150 of each
    # kind at most, every text of a rarer one (2,341 of 17,873).
    texts = stratified(benchmark_export, token_kind, per_kind=150)
    assert_same_tokens(texts)
    component = NLP.get_pipe("pl_lemmatizer")
    docs = [NLP.make_doc(text) for text in texts]
    sizes = numpy.array([len(doc) for doc in docs])
    words = numpy.array([word_count(text) for text in texts])
    orths = numpy.concatenate([doc.to_array(ORTH) for doc in docs])
    from_docs = component.tokens(orths, sizes, words, lambda k: detect_language(texts[k])).analyses()
    assert analyze(texts) == from_docs


@pytest.mark.parametrize("length", [0, 1, 3, 1024])
def test_room_grows_an_array_to_hold_what_is_asked_and_keeps_its_rows(length: int) -> None:
    # The tables of pieces, forms and n-gram columns grow by it; an empty table must grow too, not loop.
    array = numpy.arange(length, dtype=numpy.int64)
    for size in (0, length, length + 1, 5 * length + 7):
        grown = room(array, size)
        assert len(grown) >= size and numpy.array_equal(grown[:length], array)
    assert room(array, length) is array
