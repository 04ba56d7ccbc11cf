"""Character n-grams as integers: new words' n-gram columns found by numpy are the ones cut and looked up one by one."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.features import CharNgrams
from pipeline.gram_codes import GramCodes

CORPUS = ["male granty dla ngo", "żółć i łódź", "привіт світ", "emoji \U0001f600 tu", "aaaa ab ba"]


def _one_by_one(chars: CharNgrams, words: list[str]) -> tuple[list[int], list[int]]:
    columns = [chars._columns(word, False) for word in words]
    return list(itertools.chain.from_iterable(columns)), [len(c) for c in columns]


@pytest.mark.parametrize("ngram_range", [(2, 5), (1, 3), (3, 3)])
def test_words_columns_are_those_of_their_ngrams_cut_one_by_one(ngram_range: tuple[int, int]) -> None:
    """Word after word, each word's columns by n then position, as `CharNgrams._columns` lists them: known and
    unknown characters (one above every known code point, one beyond the 16-bit range), a one-letter word, a long
    word, and none."""
    chars = CharNgrams(ngram_range).fit(CORPUS)
    codes = GramCodes.of(chars.vocabulary_, ngram_range[1])
    words = ["granty", "łódź", "x", "świat", "світ\U0010ffff", "ab\U0001f600ba", "ngo" * 40, "ą", "ngoq", "zzz"]
    for chosen in (words, words[:1], []):
        columns, sizes = codes.word_columns(chosen, *ngram_range)
        assert (columns.tolist(), sizes.tolist()) == _one_by_one(chars, chosen)


@given(st.lists(st.text(alphabet="abżд\U0001f600_q", min_size=1, max_size=9),
                max_size=8))
def test_any_words_columns_are_those_cut_one_by_one(words: list[str]) -> None:
    chars = CharNgrams((1, 4)).fit(["ab ba żab bżb", "дa \U0001f600b"])
    columns, sizes = GramCodes.of(chars.vocabulary_, 4).word_columns(words, 1, 4)
    assert (columns.tolist(), sizes.tolist()) == _one_by_one(chars, words)


def test_a_vocabulary_of_too_many_characters_for_63_bits_is_looked_up_one_n_gram_at_a_time() -> None:
    """5-grams of 7,000 characters would need more than 63 bits: no codes, and the block still counts every n-gram
    (the memo's columns come from `_columns`)."""
    letters = [chr(0x4E00 + i) for i in range(7_000)]
    text = " ".join("".join(letters[i:i + 5]) for i in range(0, len(letters), 5))
    chars = CharNgrams((2, 5)).fit([text])
    assert GramCodes.of(chars.vocabulary_, 5) is None
    assert chars._codes() is None
    doc = f"{letters[0]}{letters[1]}{letters[2]} {letters[10]}"
    counts = chars._counts([doc], grow=False).toarray()[0]
    expected = np.zeros(len(chars.vocabulary_))
    for gram in [g for word in doc.split() for g in chars._ngrams(word) if g in chars.vocabulary_]:
        expected[chars.vocabulary_[gram]] += 1
    assert np.array_equal(counts, expected)
