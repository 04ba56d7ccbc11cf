"""Number detectors: bank accounts, PESEL, NIP, REGON, identity card and passport numbers, with their checksums.

A number counts as an identifier only when its checksum holds or when the writer labelled it ("PESEL 52091407318"):
a labelled number is personal data even when mistyped, an unlabelled one that fails its checksum is just a number.
Each validator takes the number as written (spaces, dashes and a `PL` prefix are ignored) and returns whether it is
a well-formed identifier of that kind.
"""

from __future__ import annotations

import re

from pipeline.redact.scan import Scan

_NOT_DIGIT = re.compile(r"\D")

_PESEL_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
_NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)
_REGON9_WEIGHTS = (8, 9, 2, 3, 4, 5, 6, 7)
_REGON14_WEIGHTS = (2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8)
# PESEL encodes the century in the month: +80 for 1800s, +0 for 1900s, +20, +40, +60 for 2000s..2200s.
_CENTURY_OFFSETS = {0: 1900, 20: 2000, 40: 2100, 60: 2200, 80: 1800}


def digits_only(number: str) -> str:
    return _NOT_DIGIT.sub("", number)


def _weighted_sum(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights))


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def pesel_check_digit(first10: str) -> int:
    return (10 - _weighted_sum(first10, _PESEL_WEIGHTS) % 10) % 10


def is_valid_pesel(number: str) -> bool:
    """11 digits, a real birth date and the check digit."""
    d = digits_only(number)
    if len(d) != 11:
        return False
    month_code, day = int(d[2:4]), int(d[4:6])
    offset = month_code // 20 * 20
    month = month_code - offset
    if not 1 <= month <= 12:
        return False
    year = _CENTURY_OFFSETS[offset] + int(d[0:2])
    if not 1 <= day <= _days_in_month(year, month):
        return False
    return pesel_check_digit(d[:10]) == int(d[10])


def nip_check_digit(first9: str) -> int:
    """10 means no valid NIP starts with these nine digits."""
    return _weighted_sum(first9, _NIP_WEIGHTS) % 11


def is_valid_nip(number: str) -> bool:
    """10 digits (optionally `PL` and dashes); tax-office prefixes never start with 0."""
    d = digits_only(number)
    if len(d) != 10 or d[0] == "0":
        return False
    check = nip_check_digit(d[:9])
    return check != 10 and check == int(d[9])


def regon_check_digit(body: str) -> int:
    weights = _REGON9_WEIGHTS if len(body) == 8 else _REGON14_WEIGHTS
    return _weighted_sum(body, weights) % 11 % 10


def is_valid_regon(number: str) -> bool:
    """9-digit REGON, or 14-digit REGON of a local unit (whose first nine digits are a REGON too)."""
    d = digits_only(number)
    if len(d) == 9:
        return regon_check_digit(d[:8]) == int(d[8])
    if len(d) == 14:
        return is_valid_regon(d[:9]) and regon_check_digit(d[:13]) == int(d[13])
    return False


def iban_check_digits(country: str, bban: str) -> str:
    """The two IBAN check digits for a country code and domestic account number."""
    rearranged = bban + _letters_to_digits(country) + "00"
    return f"{98 - int(rearranged) % 97:02d}"


def _letters_to_digits(text: str) -> str:
    return "".join(str(ord(c) - 55) if c.isalpha() else c for c in text.upper())


def is_valid_nrb(number: str) -> bool:
    """Polish account number: 26 digits (NRB), with or without `PL`, valid under IBAN mod 97."""
    d = digits_only(number)
    if len(d) != 26:
        return False
    return int(d[2:] + _letters_to_digits("PL") + d[:2]) % 97 == 1


def _document_valid(number: str, pattern: str, weights: tuple[int, ...]) -> bool:
    """Letters count as A=10 … Z=35; the weighted sum of all characters, check digit included, ends in 0."""
    code = number.replace(" ", "").replace("-", "").upper()
    if not re.fullmatch(pattern, code):
        return False
    values = [ord(c) - 55 if c.isalpha() else int(c) for c in code]
    return sum(w * v for w, v in zip(weights, values)) % 10 == 0


def is_valid_id_card(number: str) -> bool:
    """Polish identity card (dowód osobisty): three letters, then six digits, the first a check digit."""
    return _document_valid(number, r"[A-Z]{3}\d{6}", (7, 3, 1, 9, 7, 3, 1, 7, 3))


def is_valid_passport(number: str) -> bool:
    """Polish passport: two letters, then seven digits, the first a check digit."""
    return _document_valid(number, r"[A-Z]{2}\d{7}", (7, 3, 9, 1, 7, 3, 1, 7, 3))


# --- detectors ---------------------------------------------------------------------------------------------------

NUM_START = r"(?<![\w/,+-])(?<!\d\.)"
NUM_END = r"(?![\w/]|[.,-]\d)"
# Between the digits of an identifier typed from a card: a space, a dash or a dot, alone or spaced ("44 - 05").
_SEP = r"(?:[ ]?[.\-–][ ]?|[ ])"
# 26 digits grouped any way ("61 1090 ...", "6110 9010 ...", "61.1090..."); the mod-97 check decides.
_ACCOUNT = re.compile(rf"{NUM_START}(?:PL[ ]?)?\d(?:[ .-]?\d){{25}}{NUM_END}", re.IGNORECASE)
_LABELLED = {
    # Up to two words may sit between label and number ("NIP fundacji: ..."), but not another register's label;
    # the number may be glued to the label ("pesel44051401359") and its digits grouped any way.
    kind: re.compile(
        rf"\b{label}(?![^\W\d_])(?:[ ]+(?!KRS|NIP|REGON|PESEL|PL\b)[^\W\d]+(?!\w)){{0,2}}[ ]*[:.\-–]?[ ]*"
        rf"(?P<num>{number}){NUM_END}",
        re.IGNORECASE,
    )
    for kind, label, number in (
        ("PESEL", "PESEL", rf"\d(?:{_SEP}?\d){{10}}"),
        ("NIP", r"NIP(?:[ -]?UE)?", rf"(?:PL[ ]?)?\d(?:{_SEP}?\d){{9}}"),
        ("REGON", "REGON", rf"\d(?:{_SEP}?\d){{13}}|\d(?:{_SEP}?\d){{8}}"),
    )
}
# An unlabelled PESEL: eleven digits, or grouped by its birth date with one kind of separator ("44 05 14 01 359",
# "440514-01359"); only the checksum and a real date make it one.
_PESEL = re.compile(
    rf"{NUM_START}(?:\d{{11}}|\d\d([ .-])\d\d\1\d\d\1(?:\d{{5}}|\d\d\1\d{{3}})|\d{{6}}[ -]\d{{5}}){NUM_END}"
)
_NIP = re.compile(
    rf"{NUM_START}(?:PL[ ]?)?(?:\d{{3}}([ .-])\d{{3}}\1\d{{2}}\1\d{{2}}|\d{{3}}([ .-])\d{{2}}\2\d{{2}}\2\d{{3}}|\d{{10}})"
    rf"{NUM_END}"
)
_REGON14 = re.compile(rf"{NUM_START}\d{{14}}{NUM_END}")
# Identity card (ABA 300000) and passport (ZS 0000177) numbers: capital letters, then digits; checksummed.
_SIX_DIGITS = re.compile(r"\d\d{5}")  # opens with a class, which the engine scans for in C
_DOCUMENT = re.compile(rf"(?<![\w/-])(?:[A-Z]{{3}}[ -]?\d{{6}}|[A-Z]{{2}}[ -]?\d{{7}}){NUM_END}")
# A number right after these is a register or document number, not a phone.
NOT_PERSONAL_BEFORE = re.compile(
    r"(?:\b(?:KRS|REGON|NIP|PESEL|sygn|sygnatura|poz|ISBN|ISSN|konta|rachunku|faktury|umowy|decyzji|sprawy|"
    r"uchwały|uchwała|zarządzenia|zarządzenie|kwota|kwotę|kwoty|budżet|budżetu|koszt|kosztem|wartość|suma)"
    r"\b|\bDz\.\s?U\.?|§)[\W\d]{0,4}$",
    re.IGNORECASE,
)


def find_accounts(scan: Scan) -> None:
    """Bank account numbers (26 digits, `PL` optional) that pass the IBAN check."""
    if not scan.has_digit_run:
        return
    for m in _ACCOUNT.finditer(scan.work):
        if is_valid_nrb(m.group()):
            scan.add(m.start(), m.end(), "NR_KONTA")


def find_labelled(scan: Scan) -> None:
    """Numbers the writer labelled PESEL, NIP or REGON, whether their checksum holds or not."""
    if not scan.has_digit_run or not ("pesel" in scan.lower or "nip" in scan.lower or "regon" in scan.lower):
        return
    for kind, pattern in _LABELLED.items():
        for m in pattern.finditer(scan.work):
            scan.add(m.start("num"), m.end("num"), kind)


def find_checksummed(scan: Scan) -> None:
    """Unlabelled PESEL, NIP and 14-digit REGON numbers whose checksum holds, unless a register or amount precedes."""
    if not scan.has_digit_run:
        return
    for pattern, kind, valid in (
        (_PESEL, "PESEL", is_valid_pesel),
        (_NIP, "NIP", is_valid_nip),
        (_REGON14, "REGON", is_valid_regon),
    ):
        for m in pattern.finditer(scan.work):
            if valid(m.group()) and not NOT_PERSONAL_BEFORE.search(scan.masked(m.start() - 30, m.start())):
                scan.add(m.start(), m.end(), kind)


def find_documents(scan: Scan) -> None:
    """Identity card (ABA 300000) and passport (ZS 0000177) numbers whose check digit holds."""
    if not scan.has_digit or not _SIX_DIGITS.search(scan.work):
        return
    for m in _DOCUMENT.finditer(scan.work):
        if is_valid_id_card(m.group()) or is_valid_passport(m.group()):
            scan.add(m.start(), m.end(), "DOKUMENT")
