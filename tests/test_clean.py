"""Cleaning: mojibake, HTML, whitespace, folding and language, as staff and later stages rely on them."""

from __future__ import annotations

import re
import unicodedata

import ftfy
import pytest
from ftfy.badness import is_bad
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.clean import (_LOWERED_CHARS, _PLAIN, _PLAIN_MAYBE_BAD, clean_text, detect_language, fold, fold_chars,
                            normalize_whitespace, strip_diacritics, strip_html)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("WspĂłĹ‚praca z organizacjami", "Współpraca z organizacjami"),  # UTF-8 read as cp1250
        ("wspÃ³Å‚praca", "współpraca"),  # UTF-8 read as latin-1
        ("Wsp&oacute;łpraca &amp; dialog", "Współpraca & dialog"),
        ("<p>Zob. &quot;Program&quot;, plik &notatka_2023</p>", 'Zob. "Program", plik &notatka_2023'),  # whole entities only
        ("<p>Pierwszy akapit.</p><p>Drugi <b>ważny</b> akapit.</p>", "Pierwszy akapit.\n\nDrugi ważny akapit."),
        ("linia 1<br>linia 2", "linia 1\nlinia 2"),
        ("  dużo   \t spacji\u00a0tu  \r\n\r\n\r\n\r\nnowy akapit ", "dużo spacji tu\n\nnowy akapit"),
        ("Zaz\u0307o\u0301ł\u0107", "Zażółć"),  # combining marks -> NFC
        ("a < b oraz c > d", "a < b oraz c > d"),  # comparison signs are not HTML
        ("", ""),
    ],
)
def test_clean_text_repairs_what_forms_send(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


# Plain Polish text, and the characters of mojibake, curly quotes, CR line ends and combining marks mixed into it.
_FORM_TEXT = st.lists(st.sampled_from(list("ab zA.\n\t-<>&;ąćęłńóśźżĄĆĘŁŃÓŚŹŻ–…«»€") + [
    "Ă", "Ĺ", "‚", "Ăł", "Ã", "Â", "Ä…", "Å‚", "Ã³", "„", "”", "’", "\r", "\r\n", "\u0301", "\u0307", "\x85",
    "\ufb01", "\uff21", "\x1b[1m", "\x00", "¤", "ż", "Ó"]), max_size=60).map("".join)


@settings(max_examples=500, deadline=None)
@given(_FORM_TEXT)
def test_cleaning_equals_ftfy_on_every_text(text: str) -> None:
    # clean_text skips ftfy where a cheap check says ftfy would change nothing; the result must be ftfy's anyway.
    fixed = ftfy.fix_text(text, normalization="NFC", unescape_html=False)
    reference = normalize_whitespace(unicodedata.normalize("NFC", strip_html(fixed))) if text else ""
    assert clean_text(text) == reference


def _de_bruijn(alphabet: list[str], n: int) -> str:
    """A cyclic string holding every sequence of `n` characters of `alphabet` once, made linear."""
    k, a, seq = len(alphabet), [0] * len(alphabet) * n, []

    def extend(t: int, p: int) -> None:
        if t > n:
            if n % p == 0:
                seq.extend(a[1:p + 1])
            return
        a[t] = a[t - p]
        extend(t + 1, p)
        for j in range(a[t - p] + 1, k):
            a[t] = j
            extend(t + 1, t)

    extend(1, 1)
    text = "".join(alphabet[i] for i in seq)
    return text + text[:n - 1]


def test_plain_text_without_the_telltale_characters_never_looks_like_mojibake() -> None:
    # clean_text asks ftfy's heuristic about a plain Polish text only when it holds one of the characters every
    # match needs. Over the plain characters the heuristic's pattern matches at most three in a row (its longer
    # alternatives each need a character outside them, e.g. "Ã", "Ø", Cyrillic): so no sequence of three plain
    # characters without those may look bad, and a string holding every such sequence must not.
    plain = [c for c in ["\t", "\n", *map(chr, range(32, 127)), *"ąćęłńóśźżĄĆĘŁŃÓŚŹŻ–—…«»§°€"]
             if not _PLAIN_MAYBE_BAD.search(c)]
    assert all(_PLAIN.fullmatch(c) for c in plain) and len(plain) == 112
    assert not is_bad(_de_bruijn(plain, 3))
    # Each character set aside does make a plain sequence look bad: the pre-test cannot drop one of them.
    assert all(is_bad(f"ą{c}0") or is_bad(f"{c}ą") for c in _PLAIN_MAYBE_BAD.pattern.strip("[]"))


def test_fold_matches_with_and_without_polish_letters() -> None:
    assert fold("Współpraca") == fold("wspolpraca") == "wspolpraca"
    assert fold("ŁÓDŹ, Gdańsk!") == "lodz gdansk"
    assert fold("NGO-sów   i\nfundacji") == "ngo sow i fundacji"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_fast_fold_equals_normalising_the_whole_text(text: str) -> None:
    # fold() maps character by character for speed; it must agree with NFKD + casefold over the whole string.
    reference = " ".join(re.findall(r"\w+", strip_diacritics(text).casefold())).replace("_", " ")
    assert fold(text) == reference
    assert strip_diacritics("Źródło") == "Zrodlo"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Proponujemy zwiększenie puli na małe granty.", "pl"),
        ("Proponujemy zwiekszenie puli na male granty dla organizacji w Gdansku", "pl"),  # no diacritics
        ("Просимо передбачити фінансування для організацій, які допомагають біженцям", "uk"),
        ("We would like the city to fund more volunteering programmes for young people", "en"),
        ("ok", "pl"),  # too short to tell: Polish by default
        ("brak uwag", "pl"),
        ("Wir möchten mehr Geld für die Vereine in der Stadt haben und bitten darum", "other"),
    ],
)
def test_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from([*map(chr, range(128)), *_LOWERED_CHARS])) | st.text())
@example("Straße ŁÓDŹ – „Współpraca” … § 5")
@example("ZAŻÓŁĆ GĘŚLĄ JAŹŃ… „tak” – § 5 °C €")
@example("ABC, def")
def test_fold_chars_folds_each_character_whichever_way_it_takes(text: str) -> None:
    # A Polish text folds by lower() and replacements, any other through the table: each must give the fold of
    # every character.
    assert fold_chars(text) == "".join(strip_diacritics(c).casefold() for c in text)
