"""Redaction stage: replace personal data in `text_clean` with typed placeholders and record the types in `pii`.

Detection is rule-based and runs in a fixed order (e-mail, account, labelled identifiers, PESEL, NIP, REGON,
identity documents, phone, address, person). Each detector sees the text with earlier findings masked, so a phone pattern never
fires inside an account number and a name detector never fires inside an e-mail address. Numbers count as
identifiers only when their checksum holds or when the writer labelled them ("PESEL 52091407318"): a labelled
number is personal data even when mistyped, an unlabelled one that fails its checksum is just a number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from pipeline.clean import fold, strip_diacritics
from pipeline.config import Config
from pipeline.errors import UserError
from pipeline.pii_checksums import (
    digits_only, is_valid_id_card, is_valid_nip, is_valid_nrb, is_valid_passport, is_valid_pesel, is_valid_regon,
)

PLACEHOLDERS: dict[str, str] = {
    kind: f"[{kind}]"
    for kind in ("EMAIL", "TELEFON", "PESEL", "NIP", "REGON", "NR_KONTA", "DOKUMENT", "ADRES", "OSOBA")
}

_RESOURCES = Path(__file__).resolve().parent / "resources"
# Found spans are masked with a character no detector matches, so offsets stay stable.
_FOUND = "\x00"


@dataclass(frozen=True, order=True)
class PiiSpan:
    start: int
    end: int
    kind: str


# --- character classes -------------------------------------------------------------------------------------------

_UP = "A-ZĄĆĘŁŃÓŚŹŻÀ-ÖØ-ÞА-ЯЁІЇЄҐ"
_LO = "a-ząćęłńóśźżß-öø-ÿа-яёіїєґ"
_CAP = rf"[{_UP}][{_LO}'’]+(?:-[{_UP}][{_LO}'’]+)?"
_ALLCAPS = rf"[{_UP}]{{2,}}(?:-[{_UP}]{{2,}})?"
_WORD_CHARS = rf"{_UP}{_LO}0-9_"

# --- e-mail and numbers ------------------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|[\w.+-]+[ ]?(?:\(at\)|\[at\]|\{at\}|\(małpa\))[ ]?[\w-]+(?:[ ]?(?:\.|\(dot\)|\[dot\])[ ]?[\w-]+)+",
    re.IGNORECASE,
)
_NUM_START = r"(?<![\w/,+-])(?<!\d\.)"
# Every numeric identifier has at least eight digits in one run; most comments have no such run.
_DIGIT_CLUSTER = re.compile(r"\d[\d ()+./-]{6,}\d")
_NUM_END = r"(?![\w/]|[.,-]\d)"
# 26 digits grouped any way ("61 1090 ...", "6110 9010 ..."); the mod-97 check decides.
_ACCOUNT = re.compile(rf"{_NUM_START}(?:PL[ ]?)?\d(?:[ -]?\d){{25}}{_NUM_END}", re.IGNORECASE)
_LABELLED = {
    # Up to two words may sit between label and number ("NIP fundacji: ..."), but not another register's label.
    kind: re.compile(
        rf"\b{label}\b(?:[ ]+(?!KRS|NIP|REGON|PESEL|PL\b)[^\W\d]+(?!\w)){{0,2}}[ ]*[:.\-–]?[ ]*"
        rf"(?P<num>{number}){_NUM_END}",
        re.IGNORECASE,
    )
    for kind, label, number in (
        ("PESEL", "PESEL", r"\d{11}|\d{6}[ -]\d{5}"),
        ("NIP", r"NIP(?:[ -]?UE)?",
         r"(?:PL[ ]?)?(?:\d{3}[ -]?\d{3}[ -]?\d{2}[ -]?\d{2}|\d{3}[ -]?\d{2}[ -]?\d{2}[ -]?\d{3})"),
        ("REGON", "REGON", r"\d{14}|\d{9}|\d{3}[ -]\d{3}[ -]\d{3}"),
    )
}
_PESEL = re.compile(rf"{_NUM_START}\d{{11}}{_NUM_END}")
_NIP = re.compile(
    rf"{_NUM_START}(?:PL[ ]?)?(?:\d{{3}}([ -])\d{{3}}\1\d{{2}}\1\d{{2}}|\d{{3}}([ -])\d{{2}}\2\d{{2}}\2\d{{3}}|\d{{10}})"
    rf"{_NUM_END}"
)
_REGON14 = re.compile(rf"{_NUM_START}\d{{14}}{_NUM_END}")
# Identity card (ABA 300000) and passport (ZS 0000177) numbers: capital letters, then digits; checksummed.
_SIX_DIGITS = re.compile(r"\d{6}")
_DOCUMENT = re.compile(rf"(?<![\w/-])(?:[A-Z]{{3}}[ ]?\d{{6}}|[A-Z]{{2}}[ ]?\d{{7}}){_NUM_END}")
_SEP = r"[ .-]"
_PHONE = re.compile(
    rf"""{_NUM_START}
    (?:(?:\+|00)[ ]?48[ .-]?|\([ ]?(?:\+|00)?48[ ]?\)[ ]?|48[ -](?=\d{{3}}[ -]?\d{{3}}[ -]?\d{{3}}(?!\d)))?
    (?P<national>
        \([ ]?0?\d{{2}}[ ]?\)[ ]?-?[ ]?(?:\d{{3}}{_SEP}?\d{{2}}{_SEP}?\d{{2}}|\d{{2}}{_SEP}?\d{{2}}{_SEP}?\d{{3}})
      | 0?\d{{2}}{_SEP}\d{{3}}{_SEP}\d{{2}}{_SEP}\d{{2}}
      | 0?\d{{2}}{_SEP}\d{{2}}{_SEP}\d{{2}}{_SEP}\d{{3}}
      | 0?\d{{2}}{_SEP}\d{{7}}
      | \d{{3}}{_SEP}\d{{2}}{_SEP}\d{{2}}{_SEP}\d{{2}}
      | \d{{3}}{_SEP}?\d{{3}}{_SEP}?\d{{3}}
    ){_NUM_END}""",
    re.VERBOSE,
)
# First two digits of personal Polish numbers: mobile ranges, geographic area codes, VoIP. Toll-free and premium
# lines (80x, 70x) belong to institutions.
_PHONE_PREFIXES = frozenset(
    "45 50 51 53 57 60 66 69 72 73 78 79 88 "
    "12 13 14 15 16 17 18 22 23 24 25 29 32 33 34 41 42 43 44 46 48 52 54 55 56 58 59 61 62 63 65 67 68 "
    "71 74 75 76 77 81 82 83 84 85 86 87 89 91 94 95 "
    "39 47 64".split()
)
# A number right after these is a register or document number, not a phone.
_NOT_PHONE_BEFORE = re.compile(
    r"(?:\b(?:KRS|REGON|NIP|PESEL|sygn|sygnatura|poz|ISBN|ISSN|konta|rachunku|faktury|umowy|decyzji|sprawy|"
    r"uchwały|uchwała|zarządzenia|zarządzenie|kwota|kwotę|kwoty|budżet|budżetu|koszt|kosztem|wartość|suma)"
    r"\b|\bDz\.\s?U\.?|§)[\W\d]{0,4}$",
    re.IGNORECASE,
)
_AMOUNT_AFTER = re.compile(
    r"[ ]*(?:zł|zl\b|złotych|złote|PLN|EUR|euro|€|USD|\$|%|proc|osób|os\.|mieszkańców|uczestników|tys|mln|mld|"
    r"m2|m²|m\b|km|ha|szt|egz|r\.|rok)",
    re.IGNORECASE,
)

# --- addresses ---------------------------------------------------------------------------------------------------

# The lookbehinds sit after the first character so that the pattern starts with a character class, which the
# regex engine scans for quickly.
_STREET_PREFIX = (
    r"[UuAaPpOo](?<![\w.@/].)(?i:l|s|lic[aęy]|lej[aię]|lei|lac|lacu|siedl[eu])"
    r"(?:\.[ ]?|[ ])"
)
_NAME_ABBREV = r"(?:gen|ks|św|bp|kard|prof|dr|im|marsz|płk|kpt|hm|abp|mjr|por|inż|bł|o|al|kmdr|gen\.[ ]bryg)\.[ ]?"
_STREET_WORD = (
    rf"(?:{_NAME_ABBREV})*"
    # A dot ends only a short abbreviation or initial ("Gen.", "J.", "J.Kilińskiego"): "z ul. Okólną. Budowa 8
    # latarni" is two sentences, not the address "Okólną. Budowa 8".
    rf"(?:[{_UP}](?:[{_LO}'’]*(?:-[{_UP}][{_LO}]+)?|[{_LO}]{{0,3}}\.(?:[{_UP}][{_LO}'’]+)?)|[{_UP}]{{2,}}\b|[IVX]{{1,4}}\b|\d{{1,2}}(?=[ ][{_UP}]))"
)
_STREET_NAME = rf"{_STREET_WORD}(?:[ ](?:{_STREET_WORD}|(?:z|i|na|nad|pod|w|we|ze|do)(?=[ ]{_STREET_WORD}))){{0,5}}"
_HOUSE = (
    r"(?:nr[ ]?)?\d{1,4}[a-zA-Z]?(?![\d%])(?:[ ]?[/\\][ ]?\d{1,4}[a-zA-Z]?)?"
    r"(?:-\d{1,4}[a-zA-Z]?)?(?:[ ]?(?:m\.?|lok\.?|lokal|mieszk\.?)[ ]?\d{1,4})?(?![\w/])"
)
_TOWN = rf"[{_UP}][{_LO}]+(?:[ -][{_UP}][{_LO}]+)?"
_POSTAL = rf"\d(?<![\w-]\d)\d[ ]?-[ ]?\d{{3}}(?![\w-])[ ]+{_TOWN}"
_STREET_ADDRESS = re.compile(rf"{_STREET_PREFIX}{_STREET_NAME}[ ,]*{_HOUSE}(?:,?[ ]*{_POSTAL})?")
_POSTAL_ADDRESS = re.compile(_POSTAL)
_STREET_BEFORE_POSTAL = re.compile(rf"(?<![\w.])(?:{_STREET_NAME})[ ,]*{_HOUSE}[ ]*,?[ ]*$")
# Without "ul." an address needs a cue such as "mieszkam przy Długie Ogrody 14/6".
_ADDRESS_CUES = ("mieszk", "zamieszk", "zam.", "adres")
_CUED_ADDRESS = re.compile(
    r"(?i:\b(?:mieszkam|zamieszkał[aey]?|zamieszkali|zam\.|adres(?:[ ]zamieszkania|[ ]do[ ]korespondencji)?[ ]?:))"
    rf"[ ]?(?:(?:przy|na|w)[ ])?(?P<addr>{_STREET_NAME}[ ,]*{_HOUSE}(?:,?[ ]*{_POSTAL})?)"
)
# Street, patron, park and saint names are topics, not people: "skrzyżowanie ulic Andrzeja Struga i Wólczańskiej",
# "Park im. marszałka Józefa Piłsudskiego", "ul. 3 Maja".
_PLACE_CUE = (
    r"(?<![\w])(?i:ulic[aąeęy]?|ulicami|osiedl[aeu]|osiedlach|rond[aoe]?|rondzie|skwer[uze]?|park[iu]?|"
    r"pomnik[aui]?|mos[tu]|mostu|plac[u]?|alej[aię]|alei|bulwar[u]?|wiadukt[u]?|tunel[u]?|dworzec|dworca|"
    r"szpital[au]?|szkoł[aęy]|szkole|liceum|przedszkol[ae]|stadion[u]?|imienia|patron[a]?|"
    r"im|św|bł|ul|al|pl|os)\.?[ ]+"
    r"(?:(?:marszałka|księcia|króla|królowej|gen\.|generała|dr\.?|doktora|prof\.|profesora|św\.|świętego|"
    r"świętej|kardynała|kard\.|prymasa|papieża|hetmana|ks\.|księdza|hm\.|harcmistrza|majora|pułkownika|kpt\.)[ ]+)*"
)
# A day number makes the next word a month or a street named after a date ("5 Maja", "ul. 11 Listopada").
_DAY_BEFORE = re.compile(r"(?<![\d:.,])\d{1,2}[ ]$")
# A name candidate preceded by one of these (within the same place name) is not a person.
_PLACE_BEFORE = re.compile(
    rf"{_PLACE_CUE}(?:(?:{_STREET_WORD}|i)[ ]){{0,4}}$"
)

# --- people ------------------------------------------------------------------------------------------------------

_NAME_RUN = re.compile(rf"(?<![{_WORD_CHARS}\-.@])(?:{_CAP}|{_ALLCAPS})(?:[ ]+(?:{_CAP}|{_ALLCAPS})){{0,3}}")
_WORD_IN_RUN = re.compile(rf"{_CAP}|{_ALLCAPS}")
_SURNAME_ENDINGS = tuple(
    "ski ska cki cka dzki dzka wicz czyk czak iak iuk yk uk enko ук енко ський ська цький цька ович евич "
    "skiego ckiego skiej ckiej skim ckim ską cką wicza wiczem czyka".split()
)
_PERSON_LABEL = re.compile(
    r"(?<!\w)(?i:imię[ ]i[ ]nazwisko|nazwisko[ ]i[ ]imię|imię|nazwisko|podpis|autor|autorka|zgłaszający|"
    r"zgłaszająca|wnioskodawca|wnioskodawczyni|osoba[ ]do[ ]kontaktu|osoba[ ]kontaktowa|name|full[ ]name)"
    rf"[ ]*[:\-–][ ]*(?P<name>(?:(?:{_CAP}|{_ALLCAPS}|[{_UP}]\.)[ ]?){{1,4}})"
)
_PERSON_LABEL_HINTS = ("imi", "nazwisk", "podpis", "autor", "zgłasza", "wniosko", "osoba ", "name")
_HONORIFIC_HINTS = ("pan", "p.", "herr", "frau", "mr", "ms", "nazywam", "name is")
_HONORIFIC = re.compile(
    r"(?<![\w])(?:[Nn]azywam[ ]się|[Mm]y[ ]name[ ]is|[Pp]an(?:i|a|u|ią|ie|em)?|[Pp]\.|[Hh]err|[Ff]rau|"
    r"[Mm]r\.?|[Mm]rs\.?|[Mm]s\.?)[ ]+(?=\S)"
)
# Start of a line where a bare name is a signature or contact, plus titles that may sit before it.
_SIGNATURE_LEAD = re.compile(
    r"^[\W_]*(?P<cue>(?:kontakt(?:[ ]przez|[ ]z)?|osoba[ ]do[ ]kontaktu|pozdrawiam|pozdrawiamy|pozdrowienia|"
    r"serdecznie[ ]pozdrawiam|z[ ]poważaniem|z[ ]wyrazami[ ]szacunku|z[ ]pozdrowieniami|dziękuję|dzięki|"
    r"łączę[ ]pozdrowienia|best[ ]regards|regards|kind[ ]regards|thanks|podpisano|w[ ]imieniu[ ]\w+)\W*)?"
    r"(?:(?:dr|mgr|inż|prof|hab|lek|med|adw|r\.pr|ks|dr\.[ ]hab)\.?[ ]*)*$",
    re.IGNORECASE,
)
_INITIAL_AFTER = re.compile(rf"[ ][{_UP}]\.(?![ ]?[{_UP}][{_LO}])")
# The rest of a line that finishes a sentence ("Ewa, Anna i Marek pomogli.") is prose, not a signature.
_SENTENCE_END = re.compile(rf"[{_LO}]{{2}}[.!?]+[ ]*$")
_CONTACT_END = re.compile(r"[^.\n]*?[\x00\d)]\.")
_CLOSING = re.compile(
    r"(?i)^\W*(?:z[ ]poważaniem|z[ ]wyrazami[ ]szacunku|pozdrawiam|pozdrawiamy|pozdrowienia|z[ ]pozdrowieniami|"
    r"serdecznie[ ]pozdrawiam|łączę[ ]pozdrowienia|best[ ]regards|kind[ ]regards|regards|--|—|__+)\W*$"
)
_LOWERCASE_SIGNATURE_HINTS = ("pozdr", "poważaniem", "szacunku", "kontakt", "--")
_LOWERCASE_SIGNATURE = re.compile(
    r"(?im)^[^\w\n]*(?P<cue>(?:pozdrawiam|pozdrawiamy|pozdrowienia|z[ ]poważaniem|z[ ]wyrazami[ ]szacunku|"
    rf"kontakt)[ ,:.-]*)?(?P<name>(?P<first>[{_LO}]+)(?:[ ][{_LO}]+(?:-[{_LO}]+)?)?)[ .,!\x00]*$"
)
# Capitalised words that follow or precede a first name without being a surname.
_NOT_SURNAME = frozenset(
    """
    Pan Pani Panie Pana Panu Panią Państwo Państwa Szanowna Szanowny Szanowni Droga Drogi Drodzy
    Prezydent Prezydenta Wiceprezydent Prezes Prezeska Dyrektor Dyrektorka Dyrektora Kierownik Kierowniczka
    Przewodnicząca Przewodniczący Radna Radny Burmistrz Wojewoda Marszałek Minister Poseł Posłanka Senator
    Sekretarz Skarbnik Koordynator Koordynatorka Zastępca Zastępczyni Naczelnik Rzecznik Rzeczniczka Inspektor
    Komendant Profesor Doktor Mecenas Sołtys Członek Członkini Wolontariusz Wolontariuszka Mieszkaniec Mieszkanka
    Fundacja Fundacji Stowarzyszenie Stowarzyszenia Centrum Urząd Urzędu Wydział Wydziału Rada Rady Radzie
    Miasto Miasta Mieście Gmina Gminy Program Programu Programie Zarząd Zarządu Komisja Komisji Klub Klubu
    Gdańsk Gdańska Gdańsku Gdańskie Gdańskiej Gdańskiego Gdynia Gdyni Sopot Sopotu Pomorze Pomorza Pomorskie
    Polska Polski Polsce Warszawa Warszawy Kraków Krakowa Łódź Łodzi Poznań Poznania Wrocław Wrocławia Ukraina
    Ukrainy Europa Europy Unia Unii Kościół Kościoła Parafia Parafii Szkoła Szkoły Dom Domu Teatr Hala Park
    Ulica Aleja Plac Osiedle Dzielnica Dzielnicy Oliwa Oliwy Wrzeszcz Zaspa Przymorze Stogi Orunia Chełm
    Poniedziałek Wtorek Środa Czwartek Piątek Sobota Niedziela
    Tel Telefon Kontakt Adres Email Mail NIP REGON KRS
    PESEL RODO NGO UE II III IV GRDPP ESW WRS MOPR MOPS BIP Business Centre Center Team Dzień Dobry Dziękuję
    Bóg Boga Bogu Bogiem Panie Panem
    """.split()
)
_TITLE = re.compile(
    r"(?:Wice)?(?:Prezyden|Dyrektor|Prezes|Burmistrz|Minist|Marszał|Wojewod|Przewodnicz|Radn[aey]|Kierowni|"
    r"Sekretar|Skarbni|Koordynator|Zastęp|Naczelni|Rzeczni|Profesor|Doktor|Mecenas|Sołty|Senator|Posł[ae]|Poseł|"
    r"Inspektor|Komendant|Członk|Wolontariusz|Mieszkań|Mieszkan|Państw|Starost|Kanclerz|Dziekan|Rektor|Ksiądz|"
    r"Księd|Kapitan|Jezus|Chrystus|Świę)"
)
_AMBIGUOUS_NAMES = frozenset(
    "Maja Kuba Lech Róża Roman Wiktoria Ada Ola Iza Ela Ula Asia Sara Lena Nina Paula Laura Beti Monia Milan "
    "Marcel Emil Oskar Leon Gabriel Daria Kinga Klara Sonia Lisa Mary Paul Martin Roma Malwina Nela Bogna "
    "Sandra Eliza Luiza Zyta Karina Oliwia Jagoda Kalina Iga Ida Nadia Ariel Natan Bruno".split()
)
# Inflected forms that are also everyday words ("mają", "marzenie").
_INFLECTION_CLASHES = frozenset(
    "Mają Maję Marzenie Ninie Bożenie Lisie Róże Ule Ole Olo Milenie Anieli Aniele Anielą Anielę Szczepana "
    "Szczepanie Marka Kubie Romanie Lecha Sylwestra Sylwestrze".split()
)


def _inflections(name: str) -> set[str]:
    """Cheap case forms of a Polish first name (genitive, dative, accusative, instrumental, vocative)."""
    if not name.isascii() and not re.fullmatch(r"[A-Za-zĄĆĘŁŃÓŚŹŻąćęłńóśźż]+", name):
        return set()
    if name.endswith("a"):
        stem = name[:-1]
        soft = stem.endswith(("k", "g", "i", "j", "l"))
        forms = {stem + "ę", stem + "ą", stem + "o", stem + ("i" if soft else "y"), stem + "ie", stem + "e"}
    elif name.endswith(("y", "i")):
        forms = {name + "ego", name + "emu", name + "m"}
    elif name.endswith("ek") and len(name) > 4:
        stem = name[:-2] + name[-1]
        forms = {stem + "a", stem + "owi", stem + ("iem" if stem[-1] in "kg" else "em"), stem + "u"}
    elif name.endswith("eł"):
        stem = name[:-2] + "ł"
        forms = {stem + "a", stem + "owi", stem + "em", name[:-2] + "le"}
    elif name[-1] not in "aeiouyąęó":
        forms = {name + "a", name + "owi", name + ("iem" if name[-1] in "kg" else "em"), name + "ie", name + "u"}
    else:
        forms = set()
    return forms - {name}


@lru_cache(maxsize=1)
def first_names() -> tuple[frozenset[str], frozenset[str]]:
    """(nominative first names, their inflected forms) from resources/first_names_pl.txt."""
    lines = (_RESOURCES / "first_names_pl.txt").read_text(encoding="utf-8").splitlines()
    names = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    inflected = set()
    for name in names:
        inflected |= _inflections(name)
    inflected -= names | _INFLECTION_CLASHES
    # Comments typed without Polish letters ("Malgorzata", "Lukasza") are common.
    nominative = names | {strip_diacritics(n) for n in names}
    inflected |= {strip_diacritics(n) for n in inflected}
    return frozenset(nominative), frozenset(inflected - nominative)


def _as_name(word: str) -> str:
    return word.capitalize() if word.isupper() else word


def _may_be_surname(word: str) -> bool:
    return word not in _NOT_SURNAME and not _TITLE.match(word)


def _strong_surname(word: str) -> bool:
    """Ends like a typical Polish or Ukrainian surname (-ski, -cka, -wicz, -czyk, -enko ...)."""
    return len(word) > 4 and word.lower().endswith(_SURNAME_ENDINGS)


# --- detectors ---------------------------------------------------------------------------------------------------


class _Scan:
    """The text under analysis with found spans masked, plus the spans in original offsets."""

    def __init__(self, text: str):
        self.work = text
        self.lower = text.lower()  # for substring hints only; offsets may differ
        self.has_digit_run = _DIGIT_CLUSTER.search(text) is not None
        self.spans: list[PiiSpan] = []

    def add(self, start: int, end: int, kind: str) -> None:
        self.spans.append(PiiSpan(start, end, kind))
        self.work = self.work[:start] + _FOUND * (end - start) + self.work[end:]


def _find_emails(scan: _Scan) -> None:
    if "@" not in scan.work and "(at)" not in scan.lower and "[at]" not in scan.lower:
        return
    for m in _EMAIL.finditer(scan.work):
        scan.add(m.start(), m.end(), "EMAIL")


def _find_accounts(scan: _Scan) -> None:
    if not scan.has_digit_run:
        return
    for m in _ACCOUNT.finditer(scan.work):
        if is_valid_nrb(m.group()):
            scan.add(m.start(), m.end(), "NR_KONTA")


def _find_labelled(scan: _Scan) -> None:
    if not scan.has_digit_run or not ("pesel" in scan.lower or "nip" in scan.lower or "regon" in scan.lower):
        return
    for kind, pattern in _LABELLED.items():
        for m in pattern.finditer(scan.work):
            scan.add(m.start("num"), m.end("num"), kind)


def _find_checksummed(scan: _Scan) -> None:
    if not scan.has_digit_run:
        return
    for pattern, kind, valid in (
        (_PESEL, "PESEL", is_valid_pesel),
        (_NIP, "NIP", is_valid_nip),
        (_REGON14, "REGON", is_valid_regon),
    ):
        for m in pattern.finditer(scan.work):
            if valid(m.group()) and not _NOT_PHONE_BEFORE.search(scan.work[max(0, m.start() - 30) : m.start()]):
                scan.add(m.start(), m.end(), kind)


def _find_documents(scan: _Scan) -> None:
    if not _SIX_DIGITS.search(scan.work):
        return
    for m in _DOCUMENT.finditer(scan.work):
        if is_valid_id_card(m.group()) or is_valid_passport(m.group()):
            scan.add(m.start(), m.end(), "DOKUMENT")


def _find_phones(scan: _Scan) -> None:
    if not scan.has_digit_run:
        return
    work = scan.work
    for m in _PHONE.finditer(work):
        digits = digits_only(m.group("national"))
        if len(digits) == 10 and digits.startswith("0"):
            digits = digits[1:]
        if len(digits) != 9 or digits[:2] not in _PHONE_PREFIXES:
            continue
        if _NOT_PHONE_BEFORE.search(work[max(0, m.start() - 30) : m.start()]):
            continue
        if _AMOUNT_AFTER.match(work, m.end()):
            continue
        scan.add(m.start(), m.end(), "TELEFON")


def _find_addresses(scan: _Scan) -> None:
    for m in _STREET_ADDRESS.finditer(scan.work):
        scan.add(m.start(), m.end(), "ADRES")
    for m in _POSTAL_ADDRESS.finditer(scan.work):
        # "Długa 12/4, 80-001 Gdańsk": a street and number on the same line before the code belong to it.
        line_start = scan.work.rfind("\n", 0, m.start()) + 1
        street = _STREET_BEFORE_POSTAL.search(scan.work, max(line_start, m.start() - 60), m.start())
        scan.add(street.start() if street else m.start(), m.end(), "ADRES")
    if any(cue in scan.lower for cue in _ADDRESS_CUES):
        for m in _CUED_ADDRESS.finditer(scan.work):
            scan.add(m.start("addr"), m.end("addr"), "ADRES")


def _line_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    return line_start, len(text) if line_end == -1 else line_end


def _signature_position(work: str, start: int, end: int, cue_needed: bool = False) -> bool:
    """A bare name opening a short line (after an optional closing or contact cue), e.g. 'Bartek 698 ...'."""
    line_start, line_end = _line_bounds(work, start, end)
    lead = _SIGNATURE_LEAD.match(work[line_start:start])
    if not lead or (cue_needed and lead.group("cue") is None and not _after_closing(work, start)):
        return False
    rest = work[end:line_end]
    contact_end = _CONTACT_END.match(rest)
    if contact_end:  # "Tomek 501 234 567. Proszę o odpowiedź." ends with the number
        rest = rest[: contact_end.end() - 1]
    rest = rest.replace(_FOUND, "")
    return len(rest) <= 60 and not _SENTENCE_END.search(rest)


def _after_closing(work: str, start: int) -> bool:
    """The name sits on one of the two lines after a closing formula ('Z poważaniem', '--')."""
    line_start = work.rfind("\n", 0, start) + 1
    lines_before = work[:line_start].rstrip("\n").split("\n")[-2:]
    return any(_CLOSING.match(line) for line in lines_before) and _SIGNATURE_LEAD.match(
        work[line_start:start]
    ) is not None


def _in_place_name(work: str, start: int) -> bool:
    return _PLACE_BEFORE.search(work, max(0, start - 80), start) is not None


def _find_labelled_people(scan: _Scan) -> None:
    """'Imię i nazwisko: Anna Kowalska', 'Autor: KOWALSKI JAN'."""
    if not any(hint in scan.lower for hint in _PERSON_LABEL_HINTS):
        return
    for m in _PERSON_LABEL.finditer(scan.work):
        name = m.group("name").rstrip()
        if _may_be_surname(_as_name(name.split()[0])):
            scan.add(m.start("name"), m.start("name") + len(name), "OSOBA")


def _find_addressed_people(scan: _Scan) -> None:
    """Whoever follows 'Pan', 'Pani', 'p.', 'Mr' ... unless it is a title ('Pani Prezydent')."""
    if not any(hint in scan.lower for hint in _HONORIFIC_HINTS):
        return
    work = scan.work
    for m in _HONORIFIC.finditer(work):
        run = _NAME_RUN.match(work, m.end())
        if not run:
            continue
        kept = []
        for w in list(_WORD_IN_RUN.finditer(run.group()))[:3]:
            if not _may_be_surname(_as_name(w.group())):
                break
            kept.append(w)
        if kept:
            scan.add(m.end() + kept[0].start(), m.end() + kept[-1].end(), "OSOBA")


def _find_named_people(scan: _Scan) -> None:
    """A known first name with the capitalised words around it; a bare first name or surname only where it
    signs the comment."""
    nominative, inflected = first_names()
    work = scan.work
    for run in _NAME_RUN.finditer(work):
        text = run.group()
        if " " not in text:  # most runs are one capitalised word: decide without building lists
            name = _as_name(text)
            if _DAY_BEFORE.search(work, max(0, run.start() - 4), run.start()):
                continue
            if name in nominative:
                cue_needed = name in _AMBIGUOUS_NAMES  # "Kuba" alone is Cuba unless it signs a contact line
                if _signature_position(work, run.start(), run.end(), cue_needed) and not _in_place_name(
                    work, run.start()
                ):
                    initial = _INITIAL_AFTER.match(work, run.end())
                    scan.add(run.start(), initial.end() if initial else run.end(), "OSOBA")
            elif name not in inflected and _strong_surname(name):
                _maybe_bare_surname(scan, run.start(), run.end(), [name])
            continue
        words = list(_WORD_IN_RUN.finditer(text))
        if _DAY_BEFORE.search(work, max(0, run.start() - 4), run.start()):
            words = words[1:]
        names = [_as_name(w.group()) for w in words]
        if not names:
            continue
        found = next((i for i, n in enumerate(names) if n in nominative or n in inflected), None)
        if found is None and len(names) > 1 and names[0] in _INFLECTION_CLASHES and _strong_surname(names[1]):
            found = 0  # "Marka Jankowskiego", not "Marka Gdańsk"
        if found is None:
            _maybe_bare_surname(scan, run.start(), run.end(), names)
            continue
        first = found
        # Surname-first order ("Kowalska Anna") when the surname opens the run.
        if found == 1 and _may_be_surname(names[0]) and names[found] not in _AMBIGUOUS_NAMES:
            followed_by_email = work.startswith((" <" + _FOUND, " (" + _FOUND), run.end())  # "Nowak Jan <...>"
            if _strong_surname(names[0]) or followed_by_email or _signature_position(work, run.start(), run.end()):
                first = 0
        last = found
        while last + 1 < len(names) and _may_be_surname(names[last + 1]) and last - found < 2:
            last += 1
        start, end = run.start() + words[first].start(), run.start() + words[last].end()
        initial = _INITIAL_AFTER.match(work, end)
        if initial and first == last:
            end = initial.end()  # "Halina K."
        if _in_place_name(work, start):
            continue
        if first == last:
            lone = names[found]
            if lone in inflected or lone in _AMBIGUOUS_NAMES or not _signature_position(work, start, end):
                continue
        scan.add(start, end, "OSOBA")


def _find_lowercase_signatures(scan: _Scan) -> None:
    """'pozdrawiam, ania' or 'pozdrawiam\\njan kowalski': hasty signatures typed in lower case."""
    if not any(cue in scan.lower for cue in _LOWERCASE_SIGNATURE_HINTS):
        return
    nominative, _ = first_names()
    work = scan.work
    for m in _LOWERCASE_SIGNATURE.finditer(work):
        if m.group("first").capitalize() not in nominative:
            continue
        if m.group("cue") is None and not _after_closing(work, m.start("name")):
            continue
        scan.add(m.start("name"), m.end("name"), "OSOBA")


def _maybe_bare_surname(scan: _Scan, start: int, end: int, names: list[str]) -> None:
    """A surname alone ('Kowalski') counts only on a signature line right after a closing formula."""
    if len(names) > 3 or not all(_may_be_surname(n) and _strong_surname(n) for n in names):
        return
    if _after_closing(scan.work, start) and _signature_position(scan.work, start, end):
        scan.add(start, end, "OSOBA")


_DETECTORS = (
    _find_emails,
    _find_accounts,
    _find_labelled,
    _find_checksummed,
    _find_documents,
    _find_phones,
    _find_addresses,
    _find_labelled_people,
    _find_addressed_people,
    _find_named_people,
    _find_lowercase_signatures,
)


def find_pii(text: str) -> list[PiiSpan]:
    """Non-overlapping personal-data spans in `text`, in reading order."""
    if not text:
        return []
    scan = _Scan(text)
    for detect in _DETECTORS:
        detect(scan)
    return sorted(scan.spans)


def redact_text(text: str) -> tuple[str, list[str]]:
    """(text with each span replaced by its placeholder, sorted unique types found)."""
    spans = find_pii(text)
    if not spans:
        return text, []
    parts, pos = [], 0
    for span in spans:
        parts.append(text[pos : span.start])
        parts.append(PLACEHOLDERS[span.kind])
        pos = span.end
    parts.append(text[pos:])
    return "".join(parts), sorted({s.kind for s in spans})


def redact(df: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """Stage: rewrite `text_clean` redacted and add `pii` ("|"-joined types, "" when none)."""
    out = df.copy()
    if not cfg.nlp.redact:
        out["pii"] = ""
        return out
    results = [redact_text(t) for t in out["text_clean"].fillna("").astype(str)]
    out["text_clean"] = [text for text, _ in results]
    out["pii"] = ["|".join(kinds) for _, kinds in results]
    return out


# --- input columns -----------------------------------------------------------------------------------------------

# Matched against the folded header ("Adres e-mail" -> "adres e mail") anywhere, so that combined headers such as
# "Imię i nazwisko / nazwa organizacji" count too.
_PII_HEADER = re.compile(
    r"\b(?:imie|imiona|nazwisko|nazwiska|pesel|nip|telefon\w*|tel|komorka|e ?mail|mail|"
    r"adres(?! (?:strony|www|url|internetowy|projektu|inwestycji|lokalizacji))|ulica|kod pocztowy|"
    r"zglaszajac\w*|wnioskodaw\w*|podpis|autor\w*|osoba do kontaktu|osoba kontaktowa|dane osobowe|"
    r"dane kontaktowe|kontakt|phone|surname|full name|first name|last name|your name|address)\b|^name$"
)

# A header that describes a kind of submitter ("Typ zgłaszającego", "Rodzaj wnioskodawcy") holds a category, not
# a person.
_CATEGORY_HEADER = re.compile(r"^(?:typ|rodzaj|kategoria|forma|status|liczba)\b")


def detect_pii_columns(columns: Sequence[str], explicit: Sequence[str] = ()) -> list[str]:
    """Input headers that hold personal data (by name), plus the explicitly named ones, in input order."""
    missing = [name for name in explicit if name not in columns]
    if missing:
        raise UserError(
            f"nie ma kolumny {missing[0]!r} podanej w --pii-col; dostępne kolumny: {', '.join(map(str, columns))}",
            column=missing[0],
        )
    wanted = set(explicit)
    return [c for c in columns if c in wanted
            or (_PII_HEADER.search(fold(str(c))) and not _CATEGORY_HEADER.match(fold(str(c))))]
