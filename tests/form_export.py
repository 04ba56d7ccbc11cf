"""A consultation form's XLSX export as a Gdańsk official downloads it (issue 14), built from fixed rows.

Title row above the header `Lp. | Data | Imię i nazwisko | Nazwa organizacji | E-mail | Część dokumentu (§) |
Treść uwagi | Proponowane brzmienie zapisu | Uzasadnienie`; 36 comments: 24 written one by one (one holding only a
proposed wording, one with HTML entities left by the form), 8 letters of one campaign (the template, three senders
adding a sentence of their own), and 4 senders who sent their own comment twice (one copy adding only
"Pozdrawiam,"). `python -m tests.form_export` rewrites `tests/data/form_export.xlsx` from these
rows; `tests/test_form_export.py` checks the committed file still holds them. Names, e-mails and organisations are
invented; the texts were written for these tests (CC0).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

HEADERS = ("Lp.", "Data", "Imię i nazwisko", "Nazwa organizacji", "E-mail", "Część dokumentu (§)", "Treść uwagi",
           "Proponowane brzmienie zapisu", "Uzasadnienie")
TITLE = "Zestawienie uwag zgłoszonych w konsultacjach projektu Programu współpracy na 2024 rok"
PATH = Path(__file__).parent / "data" / "form_export.xlsx"

# (name, organisation, part of the document, comment, proposed wording, justification)
_UNIQUE = [
    ("Anna Nowak", "Stowarzyszenie Przystań", "§ 5 ust. 2",
     "Termin składania ofert w otwartych konkursach jest zbyt krótki dla małych organizacji.",
     "Oferty składa się w terminie nie krótszym niż 30 dni od dnia ogłoszenia konkursu.",
     "Małe stowarzyszenia działają społecznie i nie są w stanie przygotować oferty w dwa tygodnie."),
    ("Piotr Wiśniewski", "Fundacja Zielony Brzeg", "§ 7",
     "Brakuje w programie zadań związanych z ochroną zieleni miejskiej i edukacją ekologiczną.",
     "", "Mieszkańcy coraz częściej zgłaszają potrzebę działań na rzecz zieleni w dzielnicach."),
    ("Katarzyna Wójcik", "", "§ 12 ust. 1",
     "", "W § 12 ust. 1 dodaje się pkt 4 w brzmieniu: „4) wspieranie wolontariatu osób starszych”.", ""),
    ("Tomasz Kamiński", "Klub Sportowy Orzeł", "",
     "Prosimy o zwiększenie puli środków na małe granty, bo w zeszłym roku zabrakło pieniędzy już w maju.",
     "", "Zapotrzebowanie na małe granty rośnie od trzech lat."),
    ("Magdalena Lewandowska", "Fundacja Dobre Miejsce", "rozdział III",
     "Wolontariusze powinni mieć zapewnione szkolenia z pierwszej pomocy finansowane przez miasto.",
     "Miasto finansuje szkolenia z pierwszej pomocy dla wolontariuszy organizacji.",
     "Wolontariusze pracujący z dziećmi muszą umieć udzielić pierwszej pomocy."),
    ("Paweł Zieliński", "", "",
     "Konsultacje trwały za krótko, a spotkanie odbyło się w godzinach pracy, więc nie mogłem przyjść.",
     "", ""),
    ("Agnieszka Szymańska", "Stowarzyszenie Razem dla Oruni", "§ 9",
     "Program nie mówi, jak miasto sprawdzi, czy współpraca przyniosła efekty. Potrzebne są mierniki.",
     "Do programu dodaje się wskaźniki oceny realizacji wraz z wartościami docelowymi.",
     "Bez mierników nie da się ocenić, czy program coś zmienił."),
    ("Michał Dąbrowski", "", "",
     "Proszę o uwzględnienie organizacji pomagających uchodźcom w sytuacjach kryzysowych, np. przy kolejnej "
     "fali przyjazdów z Ukrainy.", "", "Doświadczenia z 2022 roku pokazały, że potrzebny jest stały mechanizm."),
    ("Ewa Kowalczyk", "Fundacja Sztuka Ulicy", "§ 6 ust. 3",
     "Lokale miejskie dla organizacji powinny być udostępniane na preferencyjnych warunkach.",
     "Organizacje mogą najmować lokale miejskie ze stawką czynszu obniżoną o 80%.", ""),
    ("Jan Grabowski", "", "",
     "Dobrze, że program przewiduje regranting, ale operator powinien być wybierany na trzy lata.", "",
     "Roczny wybór operatora utrudnia planowanie."),
    ("Zofia Pawlak", "Stowarzyszenie Seniorzy w Akcji", "",
     "Seniorzy potrzebują wsparcia w korzystaniu z generatora wniosków, prosimy o dyżury konsultacyjne.", "", ""),
    ("Krzysztof Michalski", "", "§ 4",
     "Zasada jawności powinna obejmować publikowanie składu komisji konkursowych przed oceną ofert.",
     "Skład komisji konkursowej publikuje się w BIP nie później niż 7 dni przed posiedzeniem.",
     "Organizacje chcą wiedzieć, kto oceni ich oferty."),
    ("Barbara Król", "Fundacja Mały Krok", "",
     "Zgłaszamy potrzebę wieloletnich umów na zadania z zakresu wsparcia rodzin, co najmniej trzyletnich.", "",
     "Praca z rodzinami wymaga ciągłości, roczne umowy ją przerywają."),
    ("Marek Wieczorek", "", "",
     "Rada Działalności Pożytku Publicznego powinna publikować protokoły z posiedzeń w ciągu 14 dni.", "", ""),
    ("Joanna Jankowska", "Gdańska Sieć Sąsiedzka", "§ 10 ust. 2",
     "W programie nie ma nic o centrach sąsiedzkich, które prowadzą organizacje w dzielnicach.",
     "Miasto wspiera prowadzenie centrów sąsiedzkich przez organizacje pozarządowe.", ""),
    ("Adam Mazur", "", "",
     "Program powinien zakładać coroczną ewaluację z udziałem organizacji, a jej wyniki powinny być jawne.", "",
     "Ewaluacja prowadzona tylko przez urzędników nie pokazuje problemów organizacji."),
    ("Natalia Krawczyk", "Stowarzyszenie Młodzi Gdańsk", "",
     "Proponujemy osobny konkurs na inicjatywy młodzieżowe z uproszczoną ofertą.", "", ""),
    ("Robert Kaczmarek", "", "§ 8",
     "Wkład własny w konkursach powinien móc być wniesiony w całości pracą wolontariuszy.",
     "Wkład własny może mieć w całości postać pracy społecznej członków i wolontariuszy.", ""),
    ("Aleksandra Piotrowska", "Fundacja Zdrowa Głowa", "",
     "Brakuje wsparcia dla organizacji zajmujących się zdrowiem psychicznym dzieci i młodzieży.", "",
     "Kolejki do psychiatrów dziecięcych są bardzo długie, organizacje mogą pomóc."),
    ("Grzegorz Grabowski", "", "",
     "Organizacja spotkań konsultacyjnych wyłącznie online wyklucza osoby starsze.", "", ""),
    ("Monika Nowakowska", "Stowarzyszenie Kultura Dostępna", "§ 11",
     "Należy dodać zadanie dotyczące dostępności wydarzeń kulturalnych dla osób z niepełnosprawnościami.",
     "", "Wydarzenia finansowane przez miasto powinny być dostępne dla wszystkich."),
    ("Łukasz Wójtowicz", "", "",
     "Szkolenia dla organizacji z rozliczania dotacji powinny odbywać się także wieczorami.", "", ""),
    ("Dorota Sikora", "Fundacja &quot;Nasza Przyszłość&quot;", "",
     "Prosimy o doprecyzowanie zapisów o &quot;inicjatywie lokalnej&quot;, bo mieszkańcy ich nie rozumieją.",
     "", ""),
    ("Tadeusz Baran", "", "",
     "Miasto powinno uruchomić fundusz wkładów własnych dla organizacji, które zdobywają granty z UE.", "",
     "Bez takiego funduszu małe organizacje nie sięgają po środki europejskie."),
]

_CAMPAIGN = (
    "Jako mieszkańcy Gdańska sprzeciwiamy się zmniejszeniu środków na świetlice środowiskowe prowadzone przez "
    "organizacje pozarządowe. Świetlice są dla wielu dzieci jedynym miejscem bezpiecznej opieki po lekcjach. "
    "Wnosimy o utrzymanie finansowania świetlic co najmniej na poziomie z 2023 roku oraz o umowy trzyletnie."
)
_CAMPAIGN_SENDERS = [
    ("Halina Kubiak", ""), ("Ryszard Ostrowski", "Moja córka chodzi do świetlicy na Przymorzu od czterech lat."),
    ("Elżbieta Duda", ""), ("Wojciech Lis", "Pracuję jako wolontariusz w świetlicy na Stogach."),
    ("Irena Wróbel", ""), ("Jerzy Górski", "Bez świetlicy mój syn zostawałby sam w domu do wieczora."),
    ("Teresa Pietrzak", ""), ("Stanisław Jabłoński", ""),
]
# Rows of _UNIQUE whose sender sent the comment again (index -> what the second copy adds at its end).
_SENT_TWICE = {3: "", 5: "", 9: "\n\nPozdrawiam,", 15: ""}


def rows() -> list[tuple[object, ...]]:
    """The 36 data rows in the order of the export (Lp. 1..36)."""
    records: list[tuple[str, str, str, str, str, str]] = []
    for i, record in enumerate(_UNIQUE):
        records.append(record)
        if i in _SENT_TWICE:
            name, org, part, comment, proposal, reason = record
            records.append((name, org, part, comment + _SENT_TWICE[i], proposal, reason))
        if i % 3 == 2 and len(_CAMPAIGN_SENDERS) > (i // 3):
            name, own = _CAMPAIGN_SENDERS[i // 3]
            records.append((name, "", "", _CAMPAIGN + (f" {own}" if own else ""), "", ""))
    out = []
    for lp, (name, org, part, comment, proposal, reason) in enumerate(records, start=1):
        email = ".".join(_ascii(name).lower().split()) + "@example.pl"
        date = datetime(2023, 10, 2 + lp % 20, 9 + lp % 8, 15)
        out.append((lp, date, name, org, email, part, comment, proposal, reason))
    return out


def _ascii(text: str) -> str:
    return text.translate(str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ"))


def write(path: Path = PATH) -> Path:
    """Write the export as the form does: the title in A1, the header in row 3, numbers and dates as such."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Uwagi"
    ws.append([TITLE])
    ws.append([])
    ws.append(list(HEADERS))
    for row in rows():
        ws.append(list(row))
    for cell in ws["B"][3:]:
        cell.number_format = "yyyy-mm-dd hh:mm"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


if __name__ == "__main__":
    print(write())
