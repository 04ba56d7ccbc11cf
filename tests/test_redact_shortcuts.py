"""Redaction's shortcuts change how fast the detectors search, never what they find: patterns that open with a
character class (their look-behinds after it), addresses and documents only in texts with a digit, labels only in
texts with a separator, postal codes only in texts with a dash, lower-case signatures only in texts with a closing's
word or line and tried at line starts, e-mail addresses only in texts with "@" or a spelt-out one's word, the
place-name search only after a space. Each test holds the redacted text and the findings (kinds and spans) to those
of the same detectors with every shortcut switched off."""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.bench_pipeline import SAMPLE, TEXT
from pii_corpus import make_pii_corpus
from pipeline.clean import clean_text
from pipeline.redact import addresses, contacts, find_pii, numbers, people, redact_text
from pipeline.redact import scan as scan_module
from pipeline.redact.alphabet import LO, UP, WORD_CHARS
from tests.quality_data import LODZ_PROPOSALS, ROOT, read_jsonl
from tests.samples import stratified

# The patterns as they read without the shortcut: a look-behind first, so the engine tries every position.
_CAP = rf"[{UP}][{LO}'’]+(?:-[{UP}][{LO}'’]+)?"
_ALLCAPS = rf"[{UP}]{{2,}}(?:-[{UP}]{{2,}})?"
_LABEL_WORDS = (r"imię[ ]i[ ]nazwisko|nazwisko[ ]i[ ]imię|imię|nazwisko|podpis|autor|autorka|zgłaszający|"
                r"zgłaszająca|wnioskodawca|wnioskodawczyni|osoba[ ]do[ ]kontaktu|osoba[ ]kontaktowa|name|full[ ]name")
_CUE_WORDS = r"mieszkam|zamieszkał[aey]?|zamieszkali|zam\.|adres(?:[ ]zamieszkania|[ ]do[ ]korespondencji)?[ ]?:"
_PLAIN = {
    (people, "_NAME_RUN"): rf"(?<![{WORD_CHARS}\-.@])(?:{_CAP}|{_ALLCAPS})(?:[ ]+(?:{_CAP}|{_ALLCAPS})){{0,3}}",
    (people, "_WORD_IN_RUN"): rf"{_CAP}|{_ALLCAPS}",
    (people, "_INITIALLED"): rf"(?<![{WORD_CHARS}.])[{UP}]\.[ ]?(?P<surname>{_CAP})",
    (people, "_PERSON_LABEL"): rf"(?<!\w)(?i:{_LABEL_WORDS})"
                               rf"[ ]*[:\-–][ ]*(?P<name>(?:(?:{_CAP}|{_ALLCAPS}|[{UP}]\.)[ ]?){{1,4}})",
    (people, "_HONORIFIC"): r"(?<![\w])(?:[Nn]azywam[ ]się|[Mm]y[ ]name[ ]is|[Pp]an(?:i|a|u|ią|ie|em)?|[Pp]\.|"
                            r"[Hh]err|[Ff]rau|[Mm]r\.?|[Mm]rs\.?|[Mm]s\.?)[ ]+(?=\S)",
    (numbers, "_SIX_DIGITS"): r"\d{6}",
    (addresses, "_CUED_ADDRESS"): rf"(?i:\b(?:{_CUE_WORDS}))[ ]?(?:(?:przy|na|w)[ ])?"
                                  rf"(?P<addr>{addresses._STREET_NAME}[ ,]*{addresses._HOUSE}"
                                  rf"(?:,?[ ]*{addresses._POSTAL})?)",
}


@contextmanager
def _shortcuts_off() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for (module, name), pattern in _PLAIN.items():
            patch.setattr(module, name, re.compile(pattern))
        patch.setattr(scan_module, "_DIGIT", re.compile(""))  # every text may hold a number
        patch.setattr(people, "_PERSON_LABEL_SEPARATORS", ("",))  # a label
        patch.setattr(addresses, "_POSTAL_DASH", "")  # a postal code
        patch.setattr(people, "_LOWERCASE_SIGNATURE_HINTS", ("",))  # a closing or contact cue
        patch.setattr(contacts, "_EMAIL_HINTS", ("",))  # an address
        patch.setattr(people, "_at_line_starts", lambda pattern, text: pattern.finditer(text))
        patch.setattr(people, "_in_place_name", lambda work, start: people._PLACE_BEFORE.search(
            work, max(0, start - 80), start) is not None)
        yield


def _redactions(texts: list[str]) -> list[tuple]:
    return [(redact_text(t), find_pii(t)) for t in texts]


def _assert_same_without_shortcuts(texts: list[str]) -> list[tuple]:
    fast = _redactions(texts)
    with _shortcuts_off():
        assert _redactions(texts) == fast
    return fast


def _cleaned(texts: list[str]) -> list[str]:
    return list(dict.fromkeys(clean_text(t) for t in texts if t))


def test_labelled_corpora_are_redacted_as_without_shortcuts() -> None:
    gdansk = [row["text"] for path in sorted((ROOT / "data" / "gdansk_ngo_2023").glob("*.jsonl"))
              for row in read_jsonl(path)]
    demo = pd.read_csv(SAMPLE, sep=";", dtype=str, encoding="utf-8-sig")[TEXT].tolist()
    with LODZ_PROPOSALS.open(encoding="utf-8", newline="") as f:
        lodz = [f"{r['nazwa']}\n\n{r['opis']}" for r in csv.DictReader(f)]
    generated = [ex.text for ex in make_pii_corpus(800)]  # every kind of personal data, labelled
    found = _assert_same_without_shortcuts(_cleaned(gdansk + demo + lodz + generated))
    assert sum(bool(spans) for _, spans in found) > 500  # personal data the shortcuts must keep finding


def test_shared_corpora_are_redacted_as_without_shortcuts(shared_dir: Path) -> None:
    texts = [row["text"] for path in sorted((shared_dir / "data").rglob("*.jsonl")) for row in read_jsonl(path)]
    for path in sorted((shared_dir / "data").rglob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            texts += [v for row in csv.DictReader(f) for v in row.values() if v and len(v) > 20]
    _assert_same_without_shortcuts(_cleaned(texts))


def _gates(text: str) -> tuple[bool, ...]:
    """Which of the shortcuts' gates a text passes: a digit (addresses, documents), a label's separator, a postal
    code's dash, a line break (the signatures' line starts), a redaction placeholder already in it."""
    return (scan_module._DIGIT.search(text) is not None, any(s in text for s in people._PERSON_LABEL_SEPARATORS),
            addresses._POSTAL_DASH in text, "\n" in text, "[" in text)


def test_the_benchmark_export_is_redacted_as_without_shortcuts(benchmark_export: list[str]) -> None:
    # The 20,000 comments of `bench_pipeline.write_export`, the texts the stage's CPU figures are measured on: a
    # seeded sample of their distinct cleaned texts, 250 of each set of gates passed at most, every text of a rarer
    # one (2,736 of 17,335).
    texts = stratified(_cleaned(benchmark_export), _gates, per_kind=250)
    found = _assert_same_without_shortcuts(texts)
    assert sum(bool(spans) for _, spans in found) > 1000


# The patterns' own trigger words, and the characters at their edges: look-behind neighbours, case-insensitive
# relatives of the first letters ("İ", "ı", "ſ", the Kelvin sign), a non-ASCII digit, the mask.
_TRIGGERS = [
    "Pan", "Pani", "pani", "Panią", "p.", "P.", "Mr", "Mrs.", "Ms", "Herr", "Frau", "Nazywam się", "My name is",
    "Imię i nazwisko:", "Imię:", "Nazwisko -", "AUTOR:", "autorka –", "Podpis:", "Zgłaszający:", "Wnioskodawca:",
    "Osoba do kontaktu:", "full name:", "Name:", "İmię:", "ımię:", "mieszkam", "Mieszkam przy", "zamieszkała",
    "zam.", "Adres:", "adres do korespondencji:", "ul.", "Ul.", "al.", "pl.", "os.", "ulica", "Aleja", "plac",
    "osiedle", "im.", "gen.", "św.", "ks.", "Park", "rondo", "skwer", "park im.", "ſkwer", "Długa", "Długie Ogrody",
    "Okólną.", "Kilińskiego", "11 Listopada", "3 Maja", "Anna", "ANNA", "Jan", "Kuba", "Maja", "Marka", "Halina",
    "Kowalski", "Kowalska", "KOWALSKI", "Nowak", "Nowak-Kowalska", "Jankowskiego", "J.", "A.Nowak", "K.", "Prezes",
    "Gdańsk", "Dwór Artusa", "(Ratusz)", "pozdrawiam", "Pozdrawiam,", "Z poważaniem", "z wyrazami szacunku", "--",
    "kontakt:", "dziękuję", "ania", "jan kowalski", "12", "12/4", "5a", "45", "2023", "80-001", "80 - 001", "m. 3",
    "tel.", "tel. 501 234 567", "+48 601 234 567", "(58) 123 45 67", "PESEL", "44051401359", "NIP", "123-456-32-18",
    "PL1234563218", "REGON", "123456785", "61 1090 1014 0000 0712 1981 2874", "ABA 300000", "ZS 0000177",
    "123456", "jan@example.pl", "anna (at) gmail (dot) com", "małpa", "\x00\x00", "\u0663", "\u212a", "-", "@",
    "—", "__",
]
_JOINERS = [" ", " ", " ", "\n", "\n\n", ", ", ". ", ": ", "-", "(", ")", "", "/", " \n"]


# Where a shortcut's own test decides: a place cue before a line break ("$" matches there too), a signature on the
# first and on the last line, digits only outside ASCII, a look-behind at the text's start.
_EDGES = [
    "Spotkanie w parku im. \nAnna Kowalska przyszła.", "ulica \nJan Kowalski", "skwer im. \nJ. Kowalski",
    "ul. \nKowalski", "pozdrawiam, ania", "Uwagi.\nPozdrawiam\njan kowalski", "Z poważaniem\n\nanna nowak.",
    "Uwagi.\n—\nania", "Uwagi.\n___\njan kowalski", "Pisz: jan.kowalski (at] example (dot) pl",
    "ul. Długa \u0663\u0664", "Mieszkam przy Długie Ogrody \u0661\u0664", "ABA \u0663\u0660\u0660\u0660\u0660\u0660",
    "Pan Jan Kowalski", "Imię i nazwisko: Anna Nowak", "J. Kowalski", "Anna", "İmię: Anna Nowak", "Mr. Smith",
]


def test_edge_texts_are_redacted_as_without_shortcuts() -> None:
    found = _assert_same_without_shortcuts(_EDGES)
    assert found[0][1] == [] and found[4][1] != []  # the place's and the signature's own outcome, not only equality
    assert found[7][0][0] == "Uwagi.\n—\n[OSOBA]"  # a signature under a closing line of a dash alone
    assert found[9][0][0] == "Pisz: [EMAIL]"  # an address spelt with brackets that do not pair


@settings(max_examples=1500, deadline=None)
@given(parts=st.lists(st.tuples(st.sampled_from(_TRIGGERS), st.sampled_from(_JOINERS)), max_size=14))
def test_trigger_word_texts_are_redacted_as_without_shortcuts(parts: list[tuple[str, str]]) -> None:
    _assert_same_without_shortcuts(["".join(word + joiner for word, joiner in parts)])


@pytest.mark.parametrize(("pattern", "letters"), [
    (people._PERSON_LABEL, "(?i:[inpazwof])"), (addresses._CUED_ADDRESS, "(?i:[mza])"),
    (people._HONORIFIC, "[NnMmPpHhFf]"),
])
def test_an_opening_class_holds_every_letter_that_starts_a_word_of_it(pattern: re.Pattern[str], letters: str) -> None:
    # Case-insensitively "i" is also "İ" and "ı": the class a pattern opens with must hold every such letter.
    starts = re.compile(letters)
    opening = pattern.pattern[1 : pattern.pattern.index("]")]
    assert set(opening) == {chr(c) for c in range(sys.maxunicode + 1) if starts.fullmatch(chr(c))}
