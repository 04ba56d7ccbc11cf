"""Contact detectors: e-mail addresses (also spelt out: "jan(at)example.pl", "anna nowak (at) gmail (dot) com",
"jan kropka kowalski małpa wp kropka pl") and Polish phone numbers."""

from __future__ import annotations

import re

from pipeline.redact.numbers import NOT_PERSONAL_BEFORE, NUM_END, NUM_START, digits_only
from pipeline.redact.people import first_names
from pipeline.redact.scan import Scan

# "@" and "." spelt out to hide an address from robots: in brackets, or as a bare Polish word between spaces.
_AT = r"(?:[ ]?[(\[{](?:at|małpa|malpa)[)\]}][ ]?|[ ](?:małpa|malpa)[ ])"
_DOT = r"(?:\.|[ ]?[(\[{](?:dot|kropka)[)\]}][ ]?|[ ](?:dot|kropka)[ ])"
_EMAIL = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    rf"|[\w+-]+(?:{_DOT}[\w+-]+)*{_AT}[\w-]+(?:{_DOT}[\w-]+)+",
    re.IGNORECASE,
)
# One of these is in every address `_EMAIL` finds: "@", or "at" closed by any of the brackets `_AT` allows ("(at]"
# too), or "małpa"/"malpa".
_EMAIL_HINTS = ("@", "at)", "at]", "at}", "małpa", "malpa")
# The word before a spelt-out address: "anna nowak (at) gmail (dot) com" puts the first name outside the user part.
_WORD_BEFORE = re.compile(r"(?<![\w.@-])([^\W\d_]+)[ ]$")
_SEP = r"[ .-]"
_PHONE = re.compile(
    rf"""{NUM_START}
    (?:(?:\+|00)[ ]?48[ .-]?|\([ ]?(?:\+|00)?48[ ]?\)[ ]?|48[ -](?=\d{{3}}[ -]?\d{{3}}[ -]?\d{{3}}(?!\d)))?
    (?P<national>
        \([ ]?0?\d{{2}}[ ]?\)[ ]?-?[ ]?(?:\d{{3}}{_SEP}?\d{{2}}{_SEP}?\d{{2}}|\d{{2}}{_SEP}?\d{{2}}{_SEP}?\d{{3}})
      | 0?\d{{2}}{_SEP}\d{{3}}{_SEP}\d{{2}}{_SEP}\d{{2}}
      | 0?\d{{2}}{_SEP}\d{{2}}{_SEP}\d{{2}}{_SEP}\d{{3}}
      | 0?\d{{2}}{_SEP}\d{{7}}
      | \d{{3}}{_SEP}\d{{2}}{_SEP}\d{{2}}{_SEP}\d{{2}}
      | \d{{3}}{_SEP}?\d{{3}}{_SEP}?\d{{3}}
    ){NUM_END}""",
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
_AMOUNT_AFTER = re.compile(
    r"[ ]*(?:zł|zl\b|złotych|złote|PLN|EUR|euro|€|USD|\$|%|proc|osób|os\.|mieszkańców|uczestników|tys|mln|mld|"
    r"m2|m²|m\b|km|ha|szt|egz|r\.|rok)",
    re.IGNORECASE,
)


def find_emails(scan: Scan) -> None:
    """E-mail addresses, also those spelt out with "(at)", "małpa", "(dot)" or "kropka", with a first name written
    before a spelt-out one."""
    if not scan.mentions(_EMAIL_HINTS):
        return
    nominative, _ = first_names()
    for m in _EMAIL.finditer(scan.work):
        start = m.start()
        offset = max(0, start - 41)  # the 40 characters read, and the one before them that the look-behind needs
        before = _WORD_BEFORE.search(scan.masked(offset, start), max(0, start - 40) - offset)
        if "@" not in m.group() and before and before.group(1).capitalize() in nominative:
            start = offset + before.start(1)
        scan.add(start, m.end(), "EMAIL")


def find_phones(scan: Scan) -> None:
    """Polish phone numbers with a personal prefix (mobile, area code), not amounts or register numbers."""
    if not scan.has_digit_run:
        return
    work = scan.work
    for m in _PHONE.finditer(work):
        digits = digits_only(m.group("national"))
        if len(digits) == 10 and digits.startswith("0"):
            digits = digits[1:]
        if len(digits) != 9 or digits[:2] not in _PHONE_PREFIXES:
            continue
        if NOT_PERSONAL_BEFORE.search(work[max(0, m.start() - 30) : m.start()]):
            continue
        if _AMOUNT_AFTER.match(work, m.end()):
            continue
        scan.add(m.start(), m.end(), "TELEFON")
