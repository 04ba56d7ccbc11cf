"""Cleaning: mojibake, HTML, whitespace, folding and language, as staff and later stages rely on them."""

from __future__ import annotations

import re
import unicodedata

import ftfy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.clean import clean_text, detect_language, fold, normalize_whitespace, strip_diacritics, strip_html


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
