"""Checksum validators for Polish identifiers: PESEL, NIP, REGON (9 and 14 digits), bank accounts (NRB/IBAN), and
identity card and passport numbers.

Each takes the number as written (spaces, dashes and a `PL` prefix are ignored) and returns whether it is a
well-formed identifier of that kind. A number that fails its checksum is treated as an ordinary number.
"""

from __future__ import annotations

import re

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
    code = number.replace(" ", "").upper()
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
