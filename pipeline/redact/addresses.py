"""Address detector: "ul. Długa 12/4", "Długa 12/4, 80-001 Gdańsk", a postal code with its town, and an address a
cue introduces ("mieszkam przy Długie Ogrody 14/6")."""

from __future__ import annotations

import re

from pipeline.redact.alphabet import LO, UP
from pipeline.redact.scan import Scan

# The lookbehinds sit after the first character so that the pattern starts with a character class, which the
# regex engine scans for quickly.
_STREET_PREFIX = (
    r"[UuAaPpOo](?<![\w.@/].)(?i:l|s|lic[aęy]|lej[aię]|lei|lac|lacu|siedl[eu])"
    r"(?:\.[ ]?|[ ])"
)
_NAME_ABBREV = r"(?:gen|ks|św|bp|kard|prof|dr|im|marsz|płk|kpt|hm|abp|mjr|por|inż|bł|o|al|kmdr|gen\.[ ]bryg)\.[ ]?"
STREET_WORD = (
    rf"(?:{_NAME_ABBREV})*"
    # A dot ends only a short abbreviation or initial ("Gen.", "J.", "J.Kilińskiego"): "z ul. Okólną. Budowa 8
    # latarni" is two sentences, not the address "Okólną. Budowa 8".
    rf"(?:[{UP}](?:[{LO}'’]*(?:-[{UP}][{LO}]+)?|[{LO}]{{0,3}}\.(?:[{UP}][{LO}'’]+)?)|[{UP}]{{2,}}\b|[IVX]{{1,4}}\b|\d{{1,2}}(?=[ ][{UP}]))"
)
_STREET_NAME = rf"{STREET_WORD}(?:[ ](?:{STREET_WORD}|(?:z|i|na|nad|pod|w|we|ze|do)(?=[ ]{STREET_WORD}))){{0,5}}"
_HOUSE = (
    r"(?:nr[ ]?)?\d{1,4}[a-zA-Z]?(?![\d%])(?:[ ]?[/\\][ ]?\d{1,4}[a-zA-Z]?)?"
    r"(?:-\d{1,4}[a-zA-Z]?)?(?:[ ]?(?:m\.?|lok\.?|lokal|mieszk\.?)[ ]?\d{1,4})?(?![\w/])"
)
_TOWN = rf"[{UP}][{LO}]+(?:[ -][{UP}][{LO}]+)?"
_POSTAL = rf"\d(?<![\w-]\d)\d[ ]?-[ ]?\d{{3}}(?![\w-])[ ]+{_TOWN}"
_STREET_ADDRESS = re.compile(rf"{_STREET_PREFIX}{_STREET_NAME}[ ,]*{_HOUSE}(?:,?[ ]*{_POSTAL})?")
_POSTAL_ADDRESS = re.compile(_POSTAL)
_POSTAL_DASH = "-"  # in every postal code: a text without one is spared the search
_STREET_BEFORE_POSTAL = re.compile(rf"(?<![\w.])(?:{_STREET_NAME})[ ,]*{_HOUSE}[ ]*,?[ ]*$")
# Without "ul." an address needs a cue such as "mieszkam przy Długie Ogrody 14/6".
_ADDRESS_CUES = ("mieszk", "zamieszk", "zam.", "adres")
# It opens with the cues' first letters (all that match them case-insensitively) and reads the rest behind them, so
# the regex engine skips in C to those letters.
_CUED_ADDRESS = re.compile(
    r"[AMZamz](?<!\w.)(?i:(?<=m)ieszkam|(?<=z)amieszkał[aey]?|(?<=z)amieszkali|(?<=z)am\.|"
    r"(?<=a)dres(?:[ ]zamieszkania|[ ]do[ ]korespondencji)?[ ]?:)"
    rf"[ ]?(?:(?:przy|na|w)[ ])?(?P<addr>{_STREET_NAME}[ ,]*{_HOUSE}(?:,?[ ]*{_POSTAL})?)"
)


# An address followed by the public place it houses, "ul. Długa 45 (Dwór Artusa)", is no one's home.
_PUBLIC_PLACE_AFTER = re.compile(r"[ ]*\((?P<place>[^()\n]{3,80})\)")
_PUBLIC_PLACE_WORDS = frozenset(
    """
    Dwór Ratusz Urząd Urzędu Centrum Muzeum Teatr Filharmonia Opera Biblioteka Bibliotece Galeria Hala Stadion
    Szkoła Szkoły Liceum Przedszkole Żłobek Uniwersytet Politechnika Akademia Instytut Szpital Przychodnia Sąd
    Komenda Poczta Dworzec Kościół Bazylika Katedra Park Ogród Zoo Kino Świetlica Dom Klub Fundacja Stowarzyszenie
    Rada Wydział Miejski Miejska Miejskie Gminny Gminna Europejskie Pomorskie Gdańskie Brama Fontanna Pomnik
    """.split()
)


def _public_place_after(work: str, end: int) -> bool:
    after = _PUBLIC_PLACE_AFTER.match(work, end)
    return after is not None and any(w in _PUBLIC_PLACE_WORDS for w in re.findall(r"\w+", after.group("place")))


def find_addresses(scan: Scan) -> None:
    """Street addresses, postal codes with their town (and the street before them), cued addresses; not the
    address of a public place named after it."""
    if not scan.has_digit:  # every address holds a house number or a postal code
        return
    work = scan.work  # what follows a match is never masked by an earlier one
    for m in _STREET_ADDRESS.finditer(work):
        if not _public_place_after(work, m.end()):
            scan.add(m.start(), m.end(), "ADRES")
    if _POSTAL_DASH in scan.text:
        for m in _POSTAL_ADDRESS.finditer(scan.work):
            # "Długa 12/4, 80-001 Gdańsk": a street and number on the same line before the code belong to it. The
            # 60 characters before it are read, and the one before them that the look-behind needs.
            offset = max(0, m.start() - 61)
            before = scan.masked(offset, m.start())
            street = _STREET_BEFORE_POSTAL.search(before, max(before.rfind("\n") + 1, m.start() - 60 - offset))
            scan.add(offset + street.start() if street else m.start(), m.end(), "ADRES")
    if scan.mentions(_ADDRESS_CUES):
        for m in _CUED_ADDRESS.finditer(scan.work):
            scan.add(m.start("addr"), m.end("addr"), "ADRES")
