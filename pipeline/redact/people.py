"""Person detectors: names after a label ("Imię i nazwisko: ..."), after a form of address ("Pani Anna ..."), a
known first name with the capitalised words around it, and a bare name or surname where it signs the comment.

Street, patron and saint names are topics, not people; a first name alone counts only in a signature position.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from pipeline.clean import strip_diacritics
from pipeline.letters import CLOSINGS, phrases_pattern
from pipeline.redact.addresses import STREET_WORD
from pipeline.redact.alphabet import ALLCAPS, ALLCAPS_TAIL, CAP, CAP_TAIL, LO, UP, WORD_CHARS
from pipeline.redact.scan import FOUND, Scan

_RESOURCES = Path(__file__).resolve().parents[1] / "resources"

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
    rf"{_PLACE_CUE}(?:(?:{STREET_WORD}|i)[ ]){{0,4}}$"
)

_NAME_RUN = re.compile(
    rf"[{UP}](?<![{WORD_CHARS}\-.@].)(?:{CAP_TAIL}|{ALLCAPS_TAIL})(?:[ ]+(?:{CAP}|{ALLCAPS})){{0,3}}"
)
_WORD_IN_RUN = re.compile(rf"{CAP}|{ALLCAPS}")
_SURNAME_ENDINGS = tuple(
    "ski ska cki cka dzki dzka wicz czyk czak iak iuk yk uk enko ук енко ський ська цький цька ович евич "
    "skiego ckiego skiej ckiej skim ckim ską cką wicza wiczem czyka".split()
)
# The label and honorific patterns open with the class of their words' first letters (every letter that matches one
# case-insensitively, "İ" and "ı" too) and check what precedes and which word follows by look-behinds after it: the
# regex engine then skips in C to those letters instead of trying a match at every position.
_PERSON_LABEL = re.compile(
    r"[AFINOPWZafinopwzİı](?<!\w.)(?i:(?<=i)mię[ ]i[ ]nazwisko|(?<=n)azwisko[ ]i[ ]imię|(?<=i)mię|(?<=n)azwisko|"
    r"(?<=p)odpis|(?<=a)utor|(?<=a)utorka|(?<=z)głaszający|(?<=z)głaszająca|(?<=w)nioskodawca|(?<=w)nioskodawczyni|"
    r"(?<=o)soba[ ]do[ ]kontaktu|(?<=o)soba[ ]kontaktowa|(?<=n)ame|(?<=f)ull[ ]name)"
    rf"[ ]*[:\-–][ ]*(?P<name>(?:(?:{CAP}|{ALLCAPS}|[{UP}]\.)[ ]?){{1,4}})"
)
_PERSON_LABEL_HINTS = ("imi", "nazwisk", "podpis", "autor", "zgłasza", "wniosko", "osoba ", "name")
_PERSON_LABEL_SEPARATORS = (":", "-", "–")  # one follows every label
_HONORIFIC_HINTS = ("pan", "p.", "herr", "frau", "mr", "ms", "nazywam", "name is")
_HONORIFIC = re.compile(
    r"[FHMNPfhmnp](?<!\w.)(?:(?<=[Nn])azywam[ ]się|(?<=[Mm])y[ ]name[ ]is|(?<=[Pp])an(?:i|a|u|ią|ie|em)?|(?<=[Pp])\.|"
    r"(?<=[Hh])err|(?<=[Ff])rau|(?<=[Mm])r\.?|(?<=[Mm])rs\.?|(?<=[Mm])s\.?)[ ]+(?=\S)"
)
# Start of a line where a bare name is a signature or contact, plus titles that may sit before it.
_CLOSINGS = phrases_pattern(CLOSINGS)
_SIGNATURE_LEAD = re.compile(
    rf"^[\W_]*(?P<cue>(?:kontakt(?:[ ]przez|[ ]z)?|osoba[ ]do[ ]kontaktu|{_CLOSINGS}|dziękuję|dzięki|thanks|"
    r"podpisano|w[ ]imieniu[ ]\w+)\W*)?"
    r"(?:(?:dr|mgr|inż|prof|hab|lek|med|adw|r\.pr|ks|dr\.[ ]hab)\.?[ ]*)*$",
    re.IGNORECASE,
)
_INITIAL_AFTER = re.compile(rf"[ ][{UP}]\.(?![ ]?[{UP}][{LO}])")
# A first name that signs off the whole comment after its last sentence: "… zieleni. Pozdrawiam, Marek".
_SIGN_OFF_BEFORE = re.compile(rf"(?:[.!?]|(?i:{_CLOSINGS}|dziękuję|dzięki)[ ]*,?)[ ]+$")
_SIGN_OFF_AFTER = re.compile(r"[\s.!,\x00]*\Z")
# An initial and a surname, "J. Kowalski", "A.Nowak-Kowalska".
_INITIALLED = re.compile(rf"[{UP}](?<![{WORD_CHARS}.].)\.[ ]?(?P<surname>{CAP})")
# Mid-sentence, after a plain lower-case word ("podpisał K. Dudek"), a capital and a dot are an initial, not the end
# of a sentence.
_MID_SENTENCE = re.compile(rf"(?<![.\w])[{LO}]{{2,}}[ ]$")
# The rest of a line that finishes a sentence ("Ewa, Anna i Marek pomogli.") is prose, not a signature.
_SENTENCE_END = re.compile(rf"[{LO}]{{2}}[.!?]+[ ]*$")
_CONTACT_END = re.compile(r"[^.\n]*?[\x00\d)]\.")
_CLOSING = re.compile(rf"(?i)^\W*(?:{_CLOSINGS}|--|—|__+)\W*$")
# A lower-case signature follows a closing formula or "kontakt", so the text holds one of these words (the last word
# of each closing: as selective as the whole phrase, in fewer substring tests), or a closing line of dashes or
# underscores (`_CLOSING`). The closings first: most texts that pass hold one, and the test stops at the first found.
_LOWERCASE_SIGNATURE_HINTS = (*dict.fromkeys(p.rstrip("*").split()[-1] for p in CLOSINGS), "kontakt", "--", "—", "__")
_LOWERCASE_SIGNATURE = re.compile(
    rf"(?im)^[^\w\n]*(?P<cue>(?:{_CLOSINGS}|kontakt)[ ,:.-]*)?"
    rf"(?P<name>(?P<first>[{LO}]+)(?:[ ][{LO}]+(?:-[{LO}]+)?)?)[ .,!\x00]*$"
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
    rest = rest.replace(FOUND, "")
    return len(rest) <= 60 and not _SENTENCE_END.search(rest)


def _signs_off(work: str, start: int, end: int, cue_needed: bool = False) -> bool:
    """The name is the last word of the comment, after a sentence or a closing formula on its line."""
    if not _SIGN_OFF_AFTER.match(work, end):
        return False
    line_start = work.rfind("\n", 0, start) + 1
    before = _SIGN_OFF_BEFORE.search(work, max(line_start, start - 60), start)
    return before is not None and (not cue_needed or before.group().strip()[:1] not in ".!?")


def _after_closing(work: str, start: int) -> bool:
    """The name sits on one of the two lines after a closing formula ('Z poważaniem', '--')."""
    line_start = work.rfind("\n", 0, start) + 1
    lines_before = work[:line_start].rstrip("\n").split("\n")[-2:]
    return any(_CLOSING.match(line) for line in lines_before) and _SIGNATURE_LEAD.match(
        work[line_start:start]
    ) is not None


def _in_place_name(work: str, start: int) -> bool:
    # A place name's cue and words end with a space, right before `start` or before a line break there (where "$"
    # also matches): a name after anything else is spared the search.
    before = work[max(0, start - 2) : start]
    if before[-1:] != " " and before != " \n":
        return False
    return _PLACE_BEFORE.search(work, max(0, start - 80), start) is not None


def find_labelled_people(scan: Scan) -> None:
    """'Imię i nazwisko: Anna Kowalska', 'Autor: KOWALSKI JAN'."""
    # The separators first: three characters, found or not in a scan each, and absent from most texts.
    if not scan.mentions(_PERSON_LABEL_SEPARATORS) or not scan.mentions(_PERSON_LABEL_HINTS):
        return
    for m in _PERSON_LABEL.finditer(scan.work):
        name = m.group("name").rstrip()
        if _may_be_surname(_as_name(name.split()[0])):
            scan.add(m.start("name"), m.start("name") + len(name), "OSOBA")


def find_addressed_people(scan: Scan) -> None:
    """Whoever follows 'Pan', 'Pani', 'p.', 'Mr' ... unless it is a title ('Pani Prezydent')."""
    if not scan.mentions(_HONORIFIC_HINTS):
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


def find_named_people(scan: Scan) -> None:
    """A known first name with the capitalised words around it; a bare first name or surname only where it
    signs the comment."""
    nominative, inflected = first_names()
    work = scan.work
    for run in _NAME_RUN.finditer(work):
        text = run.group()
        if " " not in text:  # most runs are one capitalised word: decide without building lists
            name = _as_name(text)
            if name in nominative:
                if _DAY_BEFORE.search(work, max(0, run.start() - 4), run.start()):
                    continue
                cue_needed = name in _AMBIGUOUS_NAMES  # "Kuba" alone is Cuba unless it signs a contact line
                signs = _signature_position(work, run.start(), run.end(), cue_needed) or _signs_off(
                    work, run.start(), run.end(), cue_needed)
                if signs and not _in_place_name(work, run.start()):
                    initial = _INITIAL_AFTER.match(work, run.end())
                    scan.add(run.start(), initial.end() if initial else run.end(), "OSOBA")
            elif (name not in inflected and _strong_surname(name)
                  and not _DAY_BEFORE.search(work, max(0, run.start() - 4), run.start())):
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
            followed_by_email = work.startswith((" <" + FOUND, " (" + FOUND), run.end())  # "Nowak Jan <...>"
            if _strong_surname(names[0]) or followed_by_email or _signature_position(work, run.start(), run.end()):
                first = 0
        last = found
        while last + 1 < len(names) and _may_be_surname(names[last + 1]) and last - found < 2:
            last += 1
        start, end = run.start() + words[first].start(), run.start() + words[last].end()
        initial = _INITIAL_AFTER.match(work, end)
        if initial and first == last:
            end = initial.end()  # "Halina K."
        if first == last:
            lone = names[found]
            if lone in inflected or lone in _AMBIGUOUS_NAMES or not _signature_position(work, start, end):
                continue
        if _in_place_name(work, start):  # the costliest test last
            continue
        scan.add(start, end, "OSOBA")


def find_initialled_people(scan: Scan) -> None:
    """'J. Kowalski': an initial and a surname, where the surname looks like one (-ski, -cka, -wicz …) or the
    pair signs the comment; not a patron ('ul. J. Kilińskiego')."""
    work = scan.work
    for m in _INITIALLED.finditer(work):
        surname = m.group("surname")
        if not _may_be_surname(surname) or _in_place_name(work, m.start()):
            continue
        if (_strong_surname(surname) or _signature_position(work, m.start(), m.end())
                or _MID_SENTENCE.search(work, max(0, m.start() - 40), m.start())):
            scan.add(m.start(), m.end(), "OSOBA")


def find_lowercase_signatures(scan: Scan) -> None:
    """'pozdrawiam, ania' or 'pozdrawiam\\njan kowalski': hasty signatures typed in lower case."""
    if not scan.mentions(_LOWERCASE_SIGNATURE_HINTS):
        return
    nominative, _ = first_names()
    work = scan.work
    for m in _at_line_starts(_LOWERCASE_SIGNATURE, work):
        if m.group("first").capitalize() not in nominative:
            continue
        if m.group("cue") is None and not _after_closing(work, m.start("name")):
            continue
        scan.add(m.start("name"), m.end("name"), "OSOBA")


def _at_line_starts(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """`pattern.finditer(text)` for a pattern that starts at a line's start and ends within that line: tried at
    each line's start instead of at every position."""
    start = 0
    while True:
        m = pattern.match(text, start)
        if m:
            yield m
        start = text.find("\n", m.end() if m else start) + 1
        if not start:
            return


def _maybe_bare_surname(scan: Scan, start: int, end: int, names: list[str]) -> None:
    """A surname alone ('Kowalski') counts only on a signature line right after a closing formula."""
    if len(names) > 3 or not all(_may_be_surname(n) and _strong_surname(n) for n in names):
        return
    if _after_closing(scan.work, start) and _signature_position(scan.work, start, end):
        scan.add(start, end, "OSOBA")
