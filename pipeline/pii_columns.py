"""Input columns that hold personal data, found by their header ("Imię i nazwisko", "E-mail", "Telefon") or named
by the user (`--pii-col`). Ingest uses it to keep such columns out of `research.*`; it reads headers only, never
the comments."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.clean import fold
from pipeline.errors import UserError

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
