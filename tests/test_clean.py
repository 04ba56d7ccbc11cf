"""Cleaning: mojibake, HTML, whitespace, folding and language, as staff and later stages rely on them."""

from __future__ import annotations

import re
import sys
import unicodedata

import ftfy
import pytest
from ftfy.badness import is_bad
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.clean import (_CURLY_DOUBLE_QUOTES, _LOOKS_HTML, _LOWERED_CHARS, _PLAIN, _PLAIN_MAYBE_BAD, _QUOTED,
                            _QUOTED_MAYBE_BAD, _REMEMBERED_CHARS, _looks_bad, _needs_model, _remembered_fold, _straight,
                            clean_text, detect_language, fold, fold_chars, fold_comment, fold_split, ftfy_fixed,
                            has_polish_letters, normalize_whitespace, strip_diacritics, strip_html, windows_1250)


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
@given(st.lists(st.sampled_from([*"ab <>&#;/=x1", "br", "p", "amp", "quot", "#x4", "</", "<!--", "-->"]))
       .map("".join))
def test_html_starts_at_a_tag_or_entity_sign(text: str) -> None:
    # `strip_html` leaves a text without "<" and "&" as it is, unsearched: every tag and entity starts with one.
    assert all(m.group()[0] in "<&" for m in _LOOKS_HTML.finditer(text))


# Plain characters, the telltale ones and the neighbours the heuristic's pairs and triples use ("Ł€", "ą»x", " Ź€")
# drawn often, so that texts with and without a bad sequence both come up.
_PLAIN_SAMPLE = [*"ĄĆĘŁŃŚŹŻ€«»ąćęłńóśźż–—…§°", " ", "\n", "\t", "a", "Z", "0", ".", "(", "\"", "x"]


@settings(max_examples=2_000, deadline=None)
@given(st.text(alphabet=st.sampled_from(_PLAIN_SAMPLE) | st.characters(min_codepoint=32, max_codepoint=126)))
def test_plain_text_looks_bad_exactly_when_ftfy_says_so(text: str) -> None:
    # The heuristic read only around the telltale characters must agree with it read over the whole text.
    assert _looks_bad(text, _PLAIN_MAYBE_BAD) == is_bad(text)


@pytest.mark.parametrize("text", ["Koszt: x Ł€ y", "W punkcie ą»x proszę", "Łódź, Śródmieście i Żoliborz"])
def test_plain_text_looks_bad_as_ftfy_says_in_a_long_letter(text: str) -> None:
    letter = "Szanowni Państwo,\n" + "proponujemy zmianę zapisów programu. " * 50 + text
    assert _looks_bad(letter, _PLAIN_MAYBE_BAD) == is_bad(letter)


@settings(max_examples=500, deadline=None)
@given(_FORM_TEXT)
def test_cleaning_equals_ftfy_on_every_text(text: str) -> None:
    # clean_text skips ftfy where a cheap check says ftfy would change nothing; the result must be ftfy's anyway.
    fixed = ftfy.fix_text(text, normalization="NFC", unescape_html=False)
    reference = normalize_whitespace(unicodedata.normalize("NFC", strip_html(fixed))) if text else ""
    assert clean_text(text) == reference


# Lines of Polish text with curly quotes, the characters that make them look bad next to a quote ("ą”a", "”Ż",
# "aŁ„"), and lines ftfy has to see (Cyrillic, emoji, mojibake, a no-break space) drawn often.
_QUOTED_SAMPLE = [*_CURLY_DOUBLE_QUOTES, *"ĄĆĘŁŃŚŹŻ€«»ąćęłńóśźż–—…§°", " ", "\n", "\t", "a", "Z", "0", ".", "\""]
_LINED_TEXT = st.lists(st.sampled_from(_QUOTED_SAMPLE + ["\n", "\n", "„cytat”", "“quote”", "Привіт", "😂", "Ã³", "Å‚",
                                                         "\u00a0", "\r", "\u0301", "\x85", "ﬁ", "Ａ"])
                       | st.characters(min_codepoint=32, max_codepoint=126), max_size=80).map("".join)


@settings(max_examples=3_000, deadline=None)
@given(st.text(alphabet=st.sampled_from(_QUOTED_SAMPLE) | st.characters(min_codepoint=32, max_codepoint=126)))
def test_quoted_text_looks_bad_exactly_when_ftfy_says_so(text: str) -> None:
    assert _QUOTED.fullmatch(text)
    assert _looks_bad(text, _QUOTED_MAYBE_BAD) == is_bad(text)


@settings(max_examples=3_000, deadline=None)
@given(_LINED_TEXT)
@example("„Zmiana” w § 3\nПривіт, „друзі”\n“Ż”a ą”b\n")
def test_text_is_fixed_line_by_line_exactly_as_ftfy_fixes_it(text: str) -> None:
    assert ftfy_fixed(text) == ftfy.fix_text(text, normalization="NFC", unescape_html=False)


def test_ftfy_changes_the_quoted_characters_only_by_straightening_the_quotes() -> None:
    # What `_fixed_line` relies on besides the heuristic: every fix ftfy applies after the encoding's leaves the
    # characters of `_QUOTED` alone, but `uncurl_quotes`, which makes each curly double quote a straight one; all are
    # NFC. (Each of these fixes maps characters one by one, or needs "\r" or ESC, which `_QUOTED` lacks.)
    chars = ["\t", "\n", *map(chr, range(32, 127)), *"ąćęłńóśźżĄĆĘŁŃÓŚŹŻ–—…«»§°€", *_CURLY_DOUBLE_QUOTES]
    assert all(_QUOTED.fullmatch(c) for c in chars) and not _QUOTED.fullmatch("".join(chars) + "’")
    others = [ftfy.fixes.fix_c1_controls, ftfy.fixes.fix_latin_ligatures, ftfy.fixes.fix_character_width,
              ftfy.fixes.fix_line_breaks, ftfy.fixes.fix_surrogates, ftfy.fixes.remove_terminal_escapes,
              ftfy.fixes.remove_control_chars]
    assert all(fix(c) == c for fix in others for c in chars)
    assert all(ftfy.fixes.uncurl_quotes(c) == _straight(c) for c in chars)
    assert ftfy.fixes.uncurl_quotes("".join(chars) * 2) == _straight("".join(chars) * 2)
    assert all(_PLAIN.fullmatch(_straight(c)) and unicodedata.is_normalized("NFC", c) for c in chars)


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
    # A quoted line has the same characters besides its telltale ones: the quotes are telltale characters there.
    quoted = [c for c in [*plain, *_CURLY_DOUBLE_QUOTES] if not _QUOTED_MAYBE_BAD.search(c)]
    assert quoted == plain


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


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from([*map(chr, range(128)), *_LOWERED_CHARS])))
@example("ZAŻÓŁĆ GĘŚLĄ JAŹŃ… „tak” – § 5 °C € a_b __c\x1f\x00d")
def test_a_polish_text_folds_through_bytes_as_through_the_table(text: str) -> None:
    # Nearly every comment is made of these characters and takes the byte table's path: it must give the words of
    # every character's fold, as any other text does.
    reference = " ".join(re.findall(r"\w+", strip_diacritics(text).casefold())).replace("_", " ")
    assert fold(text) == reference


# Every character Windows-1250 encodes: the byte table is for those of `_LOWERED_TEXT` only, so a text with any
# other ("é", "ť", "Ş", "¤") must still fold through the whole table.
_CP1250 = sorted({bytes([b]).decode("cp1250", errors="ignore") for b in range(256)} - {""})


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from([*_LOWERED_CHARS, *_CP1250, "Ж", "_"])))
@example("Zażółć gęślą jaźń, café__ ťava")
def test_a_text_of_any_windows_1250_characters_folds_as_through_the_table(text: str) -> None:
    reference = " ".join(re.findall(r"\w+", strip_diacritics(text).casefold())).replace("_", " ")
    assert fold(text) == reference
    assert fold_split(text) == fold_split(text, windows_1250(text)) == (reference, reference.split())


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([*"aB _-.ł\u00a0²ﬁ", "__", "_x_", "Ǆ_ž"])).map("".join) | st.text())
@example("_a b_ _ c__d_")
def test_a_text_folded_and_split_at_once_is_its_fold_and_the_folds_words(text: str) -> None:
    # Triage reads both: the words as the fold's split gives them, also where a "_" became spaces.
    assert fold_split(text) == fold_split(text, windows_1250(text)) == (fold(text), fold(text).split())


def test_fold_gives_the_words_of_the_folded_text_of_any_character() -> None:
    # The basic plane (no lone surrogate), mathematical letters and enclosed alphanumerics ("(A)", "0,").
    codes = [*range(0xD800), *range(0xE000, 0x10000), *range(0x1D400, 0x1D800), *range(0x1F100, 0x1F200)]
    every = "".join(map(chr, codes))
    words = [every[i:i + 7] + " _" + every[i + 7:i + 12] for i in range(0, 0x3000, 12)]
    for text in (every, *every[:0x3000], *words):
        assert fold(text) == " ".join(re.findall(r"\w+", fold_chars(text))).replace("_", " ")


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(" \n\t\r\x0b\x85\u00a0\u2003\u2028\u2029\u3000\u200bab.ł")))
       | st.text())
def test_whitespace_is_tidied_as_line_by_line(raw: str) -> None:
    # The shortcut for comments already tidy must give what collapsing and stripping every line gives.
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    lines = [re.sub(r"[^\S\n]+", " ", line).strip() for line in text.split("\n")]
    assert normalize_whitespace(raw) == re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def test_every_whitespace_but_space_and_line_break_is_unprintable() -> None:
    # What the shortcut relies on to find tabs, no-break and other spaces without a regex.
    assert not [c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace() and c not in " \n" and c.isprintable()]


def test_a_comment_folded_for_one_stage_is_not_folded_again_for_the_next() -> None:
    # classify, corrections and cluster_keys fold the same comments in turn; each must get `fold`'s answer, the
    # repeated texts from memory, a very long letter folded again rather than kept.
    comments = ["Współpraca z NGO-sami, ŁÓDŹ!", "zwiekszyc   pule\nna granty", "", "Ꭰ ß ﬁ İ" * 3,
                "Prosimy o dotacje. " * (_REMEMBERED_CHARS // 10)]
    first = [fold_comment(text) for text in comments]
    hits = _remembered_fold.cache_info().hits
    again = [fold_comment(text) for text in comments]
    assert first == again == [fold(text) for text in comments]
    assert _remembered_fold.cache_info().hits - hits == len(comments) - 1


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["word", "ab", "x1", "_", " ", "  ", "\n", ".", ", ", "ą", "—", "\t"]), max_size=12)
       .map("".join))
def test_a_text_goes_to_the_language_model_when_it_has_four_words_and_no_polish_letter(text: str) -> None:
    expected = bool(text.strip()) and not has_polish_letters(text) and len(re.findall(r"\w+", text)) >= 4
    assert _needs_model(text) == expected


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


def _decomposed_without_marks(text: str) -> str:
    """What `strip_diacritics` means: NFKD of the text (ł and a few others folded first), its combining marks
    dropped."""
    from pipeline.clean import _FOLD_TABLE

    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_TABLE))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_MARKS = [*map(chr, range(0x300, 0x370)), "\u0345", "\u05b0", "\u093c", "\u0e48", "\u3099", "\u20d2"]


@settings(max_examples=1000, deadline=None)
@given(st.text(st.sampled_from([*"aeoAEOłŁđØąęóśżźćńĄĘŚŻŹÓ가힣ﬁ①ǅᾀǰ ", *_MARKS])) | st.text())
@example("a\u0316\u0301\u0345e\u0301\u0316")  # marks of several classes, which NFKD reorders
@example("Współpraca, ŁÓDŹ, 가, ﬁ")
def test_strip_diacritics_character_by_character_is_the_decomposition_without_marks(text: str) -> None:
    # The table strips each character alone; decomposing the whole text reorders adjacent combining marks, which are
    # all dropped, so the two must agree on any text, and on every character.
    assert strip_diacritics(text) == _decomposed_without_marks(text)


def test_strip_diacritics_of_every_character_is_its_decomposition_without_marks() -> None:
    every = "".join(map(chr, [*range(0xD800), *range(0xE000, sys.maxunicode + 1)]))
    assert strip_diacritics(every) == _decomposed_without_marks(every)
