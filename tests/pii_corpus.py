"""Seeded generator of consultation comments with invented personal data and gold spans.

Each comment mixes ordinary programme talk full of numbers that must survive redaction (legal references,
amounts, dates, times, case and KRS numbers, institution and street names) with personal data in the shapes
people really use: signature blocks, contact lines, form fields, greetings, quoted e-mail headers, inline
sentences. Identifiers are drawn at random with valid checksums and written in varied formats. The name pool
here is written independently of `pipeline/resources/first_names_pl.txt`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.redact.numbers import (
    iban_check_digits,
    is_valid_nip,
    is_valid_nrb,
    is_valid_pesel,
    nip_check_digit,
    pesel_check_digit,
    regon_check_digit,
)

KEEP = "KEEP"  # gold kind of a non-personal item that must be left intact


@dataclass(frozen=True)
class GoldSpan:
    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class Example:
    text: str
    spans: tuple[GoldSpan, ...]

    def of_kind(self, kind: str) -> list[GoldSpan]:
        return [s for s in self.spans if s.kind == kind]


# --- invented people ---------------------------------------------------------------------------------------------

_WOMEN = (
    "Anna Agnieszka Katarzyna Małgorzata Barbara Ewa Krystyna Elżbieta Magdalena Joanna Aleksandra Monika Teresa "
    "Danuta Natalia Karolina Marta Beata Dorota Halina Jadwiga Jolanta Iwona Grażyna Justyna Renata Urszula "
    "Sylwia Paulina Zofia Wiesława Hanna Weronika Alicja Izabela Emilia Patrycja Bożena Ilona Edyta"
).split()
_MEN = (
    "Piotr Krzysztof Andrzej Tomasz Paweł Jan Michał Marcin Jakub Adam Łukasz Marek Grzegorz Mateusz Wojciech "
    "Mariusz Dariusz Zbigniew Jerzy Maciej Rafał Robert Kamil Józef Janusz Jacek Ryszard Tadeusz Kazimierz "
    "Sebastian Artur Damian Bartosz Przemysław Henryk Waldemar Leszek Dawid Stanisław"
).split()
_DIMINUTIVES = "Kasia Basia Gosia Ania Zosia Tomek Bartek Kuba Wojtek Maciek Olek Magda".split()
_UKRAINIAN = (("Olena", "Szewczenko"), ("Oksana", "Kowalenko"), ("Iryna", "Bondarenko"), ("Andrij", "Melnyk"),
              ("Olena", "Kravets"), ("Олена", "Шевченко"), ("Ірина", "Коваленко"),
              ("Андрій", "Мельник"),
              ("Тетяна", "Бондар"), ("Mykoła", "Tkaczuk"))
# (male form, female form) of surnames; adjectival ones change, the rest are shared.
_SURNAMES = (
    ("Nowak", "Nowak"), ("Kowalski", "Kowalska"), ("Wiśniewski", "Wiśniewska"), ("Wójcik", "Wójcik"),
    ("Kowalczyk", "Kowalczyk"), ("Kamiński", "Kamińska"), ("Lewandowski", "Lewandowska"),
    ("Zieliński", "Zielińska"),
    ("Szymański", "Szymańska"), ("Woźniak", "Woźniak"), ("Dąbrowski", "Dąbrowska"), ("Kozłowski", "Kozłowska"),
    ("Jankowski", "Jankowska"), ("Mazur", "Mazur"), ("Kwiatkowski", "Kwiatkowska"), ("Krawczyk", "Krawczyk"),
    ("Kaczmarek", "Kaczmarek"), ("Piotrowski", "Piotrowska"), ("Grabowski", "Grabowska"), ("Zając", "Zając"),
    ("Pawłowski", "Pawłowska"), ("Michalski", "Michalska"), ("Król", "Król"), ("Wieczorek", "Wieczorek"),
    ("Jabłoński", "Jabłońska"), ("Wróbel", "Wróbel"), ("Nowakowski", "Nowakowska"), ("Majewski", "Majewska"),
    ("Olszewski", "Olszewska"), ("Stępień", "Stępień"), ("Malinowski", "Malinowska"), ("Jaworski", "Jaworska"),
    ("Adamczyk", "Adamczyk"), ("Dudek", "Dudek"), ("Nowicki", "Nowicka"), ("Pawlak", "Pawlak"), ("Górski", "Górska"),
    ("Witkowski", "Witkowska"), ("Walczak", "Walczak"), ("Sikora", "Sikora"), ("Baran", "Baran"), ("Rutkowski",
    "Rutkowska"), ("Michalak", "Michalak"), ("Szewczyk", "Szewczyk"), ("Ostrowski", "Ostrowska"), ("Tomaszewski",
    "Tomaszewska"), ("Pietrzak", "Pietrzak"), ("Duda", "Duda"), ("Zalewski", "Zalewska"), ("Wróblewski",
    "Wróblewska"), ("Jasiński", "Jasińska"), ("Marciniak", "Marciniak"), ("Bąk", "Bąk"), ("Zawadzki", "Zawadzka"),
    ("Sadowski", "Sadowska"), ("Wilk", "Wilk"), ("Chmielewski", "Chmielewska"), ("Włodarczyk", "Włodarczyk"),
    ("Borkowski", "Borkowska"), ("Czarnecki", "Czarnecka"), ("Sawicki", "Sawicka"), ("Kubiak", "Kubiak"),
    ("Maciejewski", "Maciejewska"), ("Szczepański", "Szczepańska"), ("Kucharski", "Kucharska"), ("Kalinowski",
    "Kalinowska"), ("Wysocki", "Wysocka"), ("Mazurek", "Mazurek"), ("Kołodziej", "Kołodziej"), ("Lis", "Lis"),
)
_INFLECTED_PEOPLE = ("Tomasza Sikorę", "Annę Nowak", "Pawła Zielińskiego", "Marię Kowalską", "Janem Wiśniewskim",
                     "Ewą Dąbrowską", "Piotra Mazura", "Katarzyną Wójcik", "Marka Jankowskiego", "Agnieszki Lis")
_FOLD = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")
_ROLES = ("prezes zarządu", "prezeska zarządu", "członek zarządu", "koordynatorka projektu", "skarbnik",
          "wolontariusz", "mieszkanka Oliwy", "przewodnicząca Rady Osiedla", "sekretarz stowarzyszenia")
_TITLES = ("dr ", "mgr ", "mgr inż. ", "dr hab. ", "")


def _person(rng: random.Random) -> tuple[str, str, str]:
    """(first name, surname, gender) of an invented person."""
    if rng.random() < 0.08:
        first, last = rng.choice(_UKRAINIAN)
        return first, last, "x"
    female = rng.random() < 0.5
    first = rng.choice(_WOMEN if female else _MEN)
    male_form, female_form = rng.choice(_SURNAMES)
    last = female_form if female else male_form
    if rng.random() < 0.07:
        other = rng.choice(_SURNAMES)
        last = f"{last}-{other[1] if female else other[0]}"
    return first, last, "f" if female else "m"


def _full_name(rng: random.Random) -> str:
    first, last, _ = _person(rng)
    style = rng.random()
    if style < 0.06:
        return f"{first} {last}".upper()
    if style < 0.14:
        return f"{first} {last}".translate(_FOLD)
    if style < 0.2:
        return f"{last} {first}"
    return f"{first} {last}"


# --- identifiers with valid checksums ----------------------------------------------------------------------------


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


def make_pesel(rng: random.Random) -> str:
    year = rng.randrange(1930, 2010)
    month = rng.randrange(1, 13) + (20 if year >= 2000 else 0)
    day = rng.randrange(1, 29)
    body = f"{year % 100:02d}{month:02d}{day:02d}{_digits(rng, 4)}"
    return body + str(pesel_check_digit(body))


def make_nip(rng: random.Random) -> str:
    while True:
        body = str(rng.randrange(1, 10)) + _digits(rng, 8)
        check = nip_check_digit(body)
        if check != 10:
            d = body + str(check)
            return rng.choice(
                (d, f"{d[:3]}-{d[3:6]}-{d[6:8]}-{d[8:]}", f"{d[:3]}-{d[3:5]}-{d[5:7]}-{d[7:]}", f"PL{d}",
                 f"PL {d[:3]}-{d[3:6]}-{d[6:8]}-{d[8:]}")
            )


def make_regon(rng: random.Random) -> str:
    body9 = _digits(rng, 8)
    regon9 = body9 + str(regon_check_digit(body9))
    if rng.random() < 0.7:
        return regon9
    body14 = regon9 + _digits(rng, 4)
    return body14 + str(regon_check_digit(body14))


def make_account(rng: random.Random) -> str:
    bban = _digits(rng, 24)
    d = iban_check_digits("PL", bban) + bban
    grouped = " ".join([d[:2]] + [d[i : i + 4] for i in range(2, 26, 4)])
    return rng.choice((d, grouped, "PL" + d, "PL" + grouped, "PL " + grouped))


_MOBILE = ("50", "51", "53", "57", "60", "66", "69", "72", "73", "78", "79", "88")
_AREA = ("58", "22", "12", "61", "71", "42", "52", "91", "81", "55")


def make_phone(rng: random.Random) -> str:
    if rng.random() < 0.65:
        d = rng.choice(_MOBILE) + _digits(rng, 7)
        return rng.choice((
            f"{d[:3]} {d[3:6]} {d[6:]}", f"{d[:3]}-{d[3:6]}-{d[6:]}", d, f"+48 {d[:3]} {d[3:6]} {d[6:]}",
            f"+48{d}", f"0048 {d[:3]} {d[3:6]} {d[6:]}", f"+48 {d[:3]}-{d[3:6]}-{d[6:]}", f"(+48) {d}",
        ))
    area = rng.choice(_AREA)
    d = rng.choice("3456789") + _digits(rng, 6)
    return rng.choice((
        f"({area}) {d[:3]} {d[3:5]} {d[5:]}", f"{area} {d[:3]} {d[3:5]} {d[5:]}", f"{area}-{d[:3]}-{d[3:5]}-{d[5:]}",
        f"+48 {area} {d[:3]} {d[3:5]} {d[5:]}", f"(0{area}) {d[:3]}-{d[3:5]}-{d[5:]}", f"{area}{d}",
    ))


def make_email(rng: random.Random) -> str:
    first, last, _ = _person(rng)
    first, last = first.lower().translate(_FOLD), last.lower().translate(_FOLD)
    if not first.isascii():
        first, last = "olena", "kowal"
    user = rng.choice((f"{first}.{last}", f"{first[0]}.{last}", f"{first}{last}{rng.randrange(10, 99)}",
                       f"{last}_{first}", f"{first}-{last}", f"biuro.{last}"))
    domain = rng.choice(("wp.pl", "o2.pl", "gmail.com", "interia.pl", "onet.pl", "op.pl", "fundacja-most.org.pl",
                         "stowarzyszenie.gda.pl", "poczta.fm", "outlook.com"))
    return f"{user}@{domain}"


def written_apart(rng: random.Random, digits: str) -> str:
    """An identifier the way people type it from a card: grouped by spaces, dashes or dots."""
    sep = rng.choice((" ", "-", ".", " - "))
    if len(digits) == 11:  # PESEL: the birth date, then the rest
        groups = rng.choice(((2, 2, 2, 2, 3), (2, 2, 2, 5), (6, 5)))
    elif len(digits) == 10:  # NIP
        groups = rng.choice(((3, 3, 2, 2), (3, 2, 2, 3), (2, 2, 2, 2, 2)))
    else:  # REGON
        groups = (3, 3, 3) if len(digits) == 9 else (3, 3, 3, 5)
    parts, at = [], 0
    for size in groups:
        parts.append(digits[at : at + size])
        at += size
    return sep.join(parts)


def make_obfuscated_email(rng: random.Random) -> str:
    """An e-mail spelt out so that robots cannot read it: "anna nowak (at) gmail (dot) com",
    "jan kropka kowalski małpa wp kropka pl"."""
    first, last, _ = _person(rng)
    first, last = first.lower().translate(_FOLD), last.lower().translate(_FOLD)
    if not first.isascii():
        first, last = "olena", "kowal"
    domain = rng.choice((("wp", "pl"), ("gmail", "com"), ("onet", "pl"), ("o2", "pl"), ("poczta", "onet", "pl")))
    at, dot = rng.choice(((" (at) ", " (dot) "), ("[at]", "[dot]"), (" małpa ", " kropka "), (" (małpa) ", "."),
                          (" malpa ", " kropka ")))
    user = rng.choice((f"{first} {last}", f"{first}{dot}{last}", f"{first}.{last}", f"{last}{rng.randrange(10, 99)}"))
    return f"{user}{at}{dot.join(domain)}"


_STREETS = ("Grunwaldzka", "Długa", "Kartuska", "Słowackiego", "Hallera", "Jana Pawła II", "Armii Krajowej",
            "Chrobrego", "Pilotów", "Startowa", "Nowe Ogrody", "Zielony Stok", "Marynarki Polskiej", "3 Maja",
            "Partyzantów", "gen. Józefa Bema", "Wita Stwosza", "Reja", "Piastowska", "Obrońców Wybrzeża",
            "Kościuszki", "Abrahama", "Morska", "Wielkopolska", "Łostowicka", "Jaśkowa Dolina")
_PREFIXES = ("ul. ", "ul.", "al. ", "ulica ", "os. ", "pl. ", "Ul. ")
_TOWNS = ("Gdańsk", "Gdynia", "Sopot", "Pruszcz Gdański", "Kolbudy", "Żukowo")


def make_address(rng: random.Random) -> str:
    house = str(rng.randrange(1, 250)) + rng.choice(("", "", "", "a", "B"))
    if rng.random() < 0.5:
        house += rng.choice(("/", "/", " / ", " m. ", " lok. ")) + str(rng.randrange(1, 80))
    street = f"{rng.choice(_PREFIXES)}{rng.choice(_STREETS)} {house}"
    if rng.random() < 0.4:
        street += f", {rng.randrange(80, 85)}-{rng.randrange(0, 999):03d} {rng.choice(_TOWNS)}"
    return street


# --- non-personal items that must survive ------------------------------------------------------------------------


def _keep_item(rng: random.Random) -> str:
    kinds: tuple[Callable[[], str], ...] = (
        lambda: f"art. {rng.randrange(1, 60)}{rng.choice(('', 'a', 'b'))} ust. {rng.randrange(1, 9)}",
        lambda: f"§ {rng.randrange(1, 20)} ust. {rng.randrange(1, 6)} pkt {rng.randrange(1, 12)}",
        lambda: f"Dz.U. z {rng.randrange(2003, 2024)} r. poz. {rng.randrange(1, 2600)}",
        lambda: f"Dz. U. {rng.randrange(2010, 2024)} poz. {rng.randrange(100, 2600)}",
        lambda: f"{rng.randrange(1, 999)} {rng.randrange(0, 999):03d} zł",
        lambda: f"{rng.randrange(1, 99)} {rng.randrange(0, 999):03d} {rng.randrange(0, 999):03d} zł",
        lambda: f"{rng.randrange(100, 999)} {rng.randrange(0, 999):03d} {rng.randrange(0, 999):03d} PLN",
        lambda: f"{rng.randrange(1, 999)}.{rng.randrange(0, 999):03d}.{rng.randrange(0, 999):03d} zł",
        lambda: f"{rng.randrange(1, 99)} {rng.randrange(0, 999):03d},{rng.randrange(0, 99):02d} zł",
        lambda: f"{rng.randrange(1, 29):02d}.{rng.randrange(1, 13):02d}.{rng.randrange(2019, 2025)}",
        lambda: f"{rng.randrange(2019, 2025)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
        lambda: f"{rng.randrange(1, 29)} {rng.choice(('stycznia', 'maja', 'listopada', 'grudnia'))} "
        f"{rng.randrange(2020, 2025)} r.",
        lambda: f"w latach {rng.randrange(2015, 2020)}–{rng.randrange(2021, 2025)}",
        lambda: f"{rng.randrange(1, 99)}{rng.choice(('', ',5'))}%",
        lambda: f"od {rng.randrange(8, 12)}:00 do {rng.randrange(14, 20)}:30",
        lambda: f"WRS-{rng.choice(('I', 'II', 'III'))}.{rng.randrange(500, 9000)}.{rng.randrange(1, 40)}."
        f"{rng.randrange(2020, 2024)}",
        lambda: f"sygn. akt {rng.choice(('II', 'III'))} SA/Gd {rng.randrange(100, 999)}/{rng.randrange(19, 24)}",
        lambda: f"KRS {rng.randrange(1, 999999):010d}",
        lambda: f"numer KRS: 0000{rng.randrange(100000, 999999)}",
        # 11 digits failing the PESEL checksum, 10 failing NIP, 26 failing mod 97.
        lambda: _invalid(rng, 11),
        lambda: _invalid(rng, 10),
        lambda: _invalid(rng, 26),
        lambda: rng.choice(("Gdańskie Centrum Organizacji Pozarządowych", "Miasto Gdańsk", "Rada Miasta Gdańska",
                            "Gdańska Rada Działalności Pożytku Publicznego", "Miejski Ośrodek Pomocy Rodzinie",
                            "Program współpracy", "Europejskie Centrum Solidarności", "Urząd Miejski w Gdańsku",
                            "Szkoła Podstawowa nr 12 im. Jana Pawła II", "Fundacja im. Anny Walentynowicz",
                            "Wydział Rozwoju Społecznego", "Dom Sąsiedzki Maja", "Rada Dzielnicy Wrzeszcz Górny")),
        lambda: rng.choice(("ul. Grunwaldzkiej", "al. Zwycięstwa", "ulicy Jana Kilińskiego", "pl. Solidarności",
                            "ul. Marii Konopnickiej", "os. Wejhera", "ul. 3 Maja", "ulicę Piastowską")),
        lambda: rng.choice(("w maju", "od stycznia", "do 30 listopada", "w październiku 2022 r.", "Maj 2023")),
        lambda: f"tel. zaufania {rng.choice(('116 123', '116 111', '800 12 12 12'))}",
        # Public places and officials in their role are no one's personal data.
        lambda: rng.choice(("ul. Długa 45 (Dwór Artusa)", "ul. Wały Jagiellońskie 1 (Urząd Miejski)",
                            "pl. Solidarności 1 (Europejskie Centrum Solidarności)", "Prezydent Miasta Gdańska",
                            "Zastępca Prezydenta Miasta Gdańska", "Przewodnicząca Rady Miasta Gdańska",
                            "Dyrektor Wydziału Rozwoju Społecznego")),
    )
    return rng.choice(kinds)()


def _invalid(rng: random.Random, length: int) -> str:
    """An unlabelled number of identifier length that fails the checksum."""
    valid = {11: is_valid_pesel, 10: is_valid_nip, 26: is_valid_nrb}[length]
    while True:
        number = str(rng.randrange(1, 10)) + _digits(rng, length - 1)
        if not valid(number):
            label = {11: "nr wniosku", 10: "nr sprawy w EZD", 26: "identyfikator zgłoszenia"}[length]
            return f"{label} {number}"


# --- comment assembly --------------------------------------------------------------------------------------------

_BODY = (
    "Proponujemy, aby w {K} doprecyzować zasady udzielania dotacji.",
    "Zgodnie z {K} organizacje powinny mieć wpływ na kształt programu.",
    "W ubiegłym roku na ten cel przeznaczono {K}, co nie wystarcza.",
    "Spotkanie odbyło się {K} i nikt z urzędu nie odpowiedział na nasze pytania.",
    "Prosimy o odpowiedź na pismo ({K}).",
    "Nasza organizacja ({K}) działa na Przymorzu od dziesięciu lat.",
    "Współpraca z instytucją {K} układa się dobrze, ale brakuje lokali.",
    "Wkład własny powinien wynosić najwyżej {K} wartości zadania.",
    "Konsultacje trwały tylko dwa tygodnie, a dokumenty opublikowano {K}.",
    "Remont przy {K} ciągnie się od dwóch lat i blokuje dojazd do świetlicy.",
    "Dyżury w punkcie porad mogłyby być {K}.",
    "Popieramy zapis dotyczący wolontariatu, ale bez środków pozostanie martwy.",
    "Czy miasto planuje zwiększenie puli na małe granty?",
    "Seniorzy z naszego klubu nie korzystają z internetu, dlatego prosimy o formularze papierowe.",
    "W sprawie {K} nadal nie ma decyzji.",
)


class _Builder:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.spans: list[GoldSpan] = []
        self.pos = 0

    def text(self, s: str) -> None:
        self.parts.append(s)
        self.pos += len(s)

    def ends_sentence(self) -> bool:
        return not self.parts or self.parts[-1].rstrip().endswith((".", "!", "?", ":", ","))

    def item(self, s: str, kind: str) -> None:
        self.spans.append(GoldSpan(self.pos, self.pos + len(s), kind))
        self.text(s)

    def template(self, template: str, values: dict[str, tuple[str, str]]) -> None:
        """Fill {SLOT} markers in order; each value is (text, gold kind)."""
        rest = template
        while "{" in rest:
            before, _, after = rest.partition("{")
            slot, _, rest = after.partition("}")
            self.text(before)
            self.item(*values[slot])
        self.text(rest)


def _pii_block(rng: random.Random, b: _Builder) -> None:
    """One piece of personal data in one of the shapes people write."""
    name = (_full_name(rng), "OSOBA")
    phone = (make_phone(rng), "TELEFON")
    email = (make_email(rng), "EMAIL")
    first, _, _ = _person(rng)
    blocks: tuple[tuple[str, dict[str, tuple[str, str]]], ...] = (
        ("\n\nZ poważaniem\n{N}\ntel. {P}", {"N": name, "P": phone}),
        ("\n\nZ wyrazami szacunku\n" + rng.choice(_TITLES) + "{N}, " + rng.choice(_ROLES), {"N": name}),
        ("\n\nPozdrawiam,\n{N}", {"N": name}),
        ("\n\nPozdrawiam\n{F}", {"F": (rng.choice(_DIMINUTIVES + _WOMEN[:10]), "OSOBA")}),
        ("\npozdrawiam, {F}", {"F": (f"{first} {_person(rng)[1]}".lower(), "OSOBA")}),
        ("\n--\n{N}\n{E}\n{P}", {"N": name, "E": email, "P": phone}),
        ("\nKontakt: {N}, {P}", {"N": name, "P": phone}),
        ("\nkontakt: {F} {P}", {"F": (rng.choice(_DIMINUTIVES), "OSOBA"), "P": phone}),
        ("\n{N} – " + rng.choice(_ROLES), {"N": name}),
        ("\n{N}, {E}", {"N": name, "E": email}),
        ("\nImię i nazwisko: {N}\nE-mail: {E}\nTelefon: {P}", {"N": name, "E": email, "P": phone}),
        ("\nZgłaszający: {N}", {"N": name}),
        (" Proszę o kontakt pod numerem {P}.", {"P": phone}),
        (" Można dzwonić: {P} (po 16:00).", {"P": phone}),
        (" Odpowiedź proszę przesłać na adres {E}.", {"E": email}),
        ("\n\nW dniu 12.03.2023 o 10:15 {N} <{E}> napisał(a):\n> Dzień dobry, przesyłam uwagi.",
         {"N": name, "E": email}),
        (" Rozmawiałam o tym z panem {N} z rady osiedla.",
         {"N": (f"{rng.choice(_MEN)} {rng.choice(_SURNAMES)[0]}", "OSOBA")}),
        (" Szczegóły zna {N}.", {"N": (f"{first} {_person(rng)[1]}", "OSOBA")}),
        (" Kontakt przez {N}: {P}.", {"N": (rng.choice(_INFLECTED_PEOPLE), "OSOBA"), "P": phone}),
        (" Nazywam się {N}, PESEL {S}.", {"N": name, "S": (make_pesel(rng), "PESEL")}),
        (" Mój numer PESEL: {S}.", {"S": (make_pesel(rng), "PESEL")}),
        ("\n{N}\n{S}", {"N": name, "S": (make_pesel(rng), "PESEL")}),
        ("\nDane organizacji: NIP {T}, REGON {R}, " + f"KRS 0000{rng.randrange(100000, 999999)}.",
         {"T": (make_nip(rng), "NIP"), "R": (make_regon(rng), "REGON")}),
        ("\nNIP: {T}", {"T": (make_nip(rng), "NIP")}),
        ("\nFundacja Dobry Start, {T}", {"T": (make_nip(rng), "NIP")}),
        ("\nREGON: {R}", {"R": (make_regon(rng), "REGON")}),
        (" Zwrot proszę przelać na konto {A}.", {"A": (make_account(rng), "NR_KONTA")}),
        ("\nNr rachunku: {A}", {"A": (make_account(rng), "NR_KONTA")}),
        (" Mieszkam przy {D} i hałas jest nie do zniesienia.", {"D": (make_address(rng), "ADRES")}),
        ("\n{N}\n{D}", {"N": name, "D": (make_address(rng), "ADRES")}),
        ("\nAdres do korespondencji: {D}", {"D": (make_address(rng), "ADRES")}),
        ("\nzam. {D}", {"D": (make_address(rng), "ADRES")}),
        # Identifiers typed apart or glued to their label, e-mails spelt out, a name shortened to its initial.
        (rng.choice((" Mój PESEL: {S}.", "\nPESEL {S}", "\npesel{S}", "\nPESEL:{S}")),
         {"S": (written_apart(rng, make_pesel(rng)) if rng.random() < 0.7 else make_pesel(rng), "PESEL")}),
        (rng.choice(("\nNIP: {T}", "\nNIP{T}")), {"T": (written_apart(rng, make_nip(rng).removeprefix("PL")
                                                                      .replace("-", "").replace(" ", "")), "NIP")}),
        ("\nREGON: {R}", {"R": (written_apart(rng, make_regon(rng)), "REGON")}),
        (rng.choice((" Proszę pisać na {E}.", "\n{E}", "\nKontakt: {E}")), {"E": (make_obfuscated_email(rng), "EMAIL")}),
        (rng.choice(("\n\nZ poważaniem\n{N}", " Wniosek podpisał {N}.", "\n{N}, " + rng.choice(_ROLES))),
         {"N": (f"{first[0]}. {_person(rng)[1]}", "OSOBA")}),
    )
    template, values = rng.choice(blocks)
    if template.startswith(" ") and not b.ends_sentence():
        template = "\n" + template[1:]  # a sentence does not continue a signature line
    b.template(template, values)


def make_pii_corpus(n: int = 600, seed: int = 20231115) -> list[Example]:
    """`n` comments; about one in eight has no personal data at all."""
    rng = random.Random(seed)
    examples = []
    for _ in range(n):
        b = _Builder()
        if rng.random() < 0.25:
            b.text(rng.choice(("Szanowni Państwo,\n", "Dzień dobry,\n", "Szanowna Pani Prezydent,\n", "Witam,\n")))
        for i in range(rng.randrange(1, 4)):
            sentence = rng.choice(_BODY)
            b.text(" " if i else "")
            b.template(sentence, {"K": (_keep_item(rng), KEEP)})
        if rng.random() < 0.875:
            for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
                _pii_block(rng, b)
        if rng.random() < 0.1:  # a bare first name signing off after the last sentence
            closing = rng.choice((" Pozdrawiam, ", "\nDziękuję. ", " Z góry dziękuję, "))
            b.text(closing if b.ends_sentence() else "\n" + closing.lstrip())
            b.item(rng.choice(_WOMEN[:12] + _MEN[:12]), "OSOBA")
        examples.append(Example("".join(b.parts), tuple(b.spans)))
    return examples


# --- scoring -----------------------------------------------------------------------------------------------------


@dataclass
class TypeScore:
    gold: int = 0
    found: int = 0  # gold spans fully covered by predicted spans of the same type
    leaked: int = 0  # gold spans with some character not covered by any predicted span
    predicted: int = 0
    correct: int = 0  # predicted spans overlapping a gold span of the same type

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 1.0

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0


def _covered(span: GoldSpan, predicted: list, kind: str | None) -> bool:
    chars = set(range(span.start, span.end))
    for p in predicted:
        if kind is None or p.kind == kind:
            chars -= set(range(p.start, p.end))
    return not chars


def evaluate(examples: list[Example], find: Callable[[str], list]) -> tuple[dict[str, TypeScore], float, list]:
    """(per-type scores, share of non-personal items left intact, the damaged non-personal items)."""
    scores: dict[str, TypeScore] = {}
    keep_total, damaged = 0, []
    for ex in examples:
        predicted = find(ex.text)
        for span in ex.spans:
            if span.kind == KEEP:
                keep_total += 1
                if any(p.start < span.end and span.start < p.end for p in predicted):
                    damaged.append(ex.text[span.start : span.end])
                continue
            score = scores.setdefault(span.kind, TypeScore())
            score.gold += 1
            score.found += _covered(span, predicted, span.kind)
            score.leaked += not _covered(span, predicted, None)
        for p in predicted:
            score = scores.setdefault(p.kind, TypeScore())
            score.predicted += 1
            score.correct += any(
                g.kind == p.kind and g.start < p.end and p.start < g.end for g in ex.spans
            )
    intact = 1 - len(damaged) / keep_total if keep_total else 1.0
    return scores, intact, damaged
