"""What each column of an export holds: the comment's text parts, the id, personal data, the part of the document.

Polish consultation forms split a comment over several columns ("Treść uwagi", "Proponowane brzmienie zapisu",
"Uzasadnienie"); each is a *part* kept in its own field (`text_comment`, `text_current`, `text_proposal`,
`text_justification`). Text columns are found by header (folded, exact or as its first words: "Treść uwagi do
§ 5") and, where no header names one, by content: long, varied, sentence-like cells. A column whose cells are
mostly names, e-mails, dates or numbers is never text, whatever its header says. A column naming the part of the
document a comment is about ("Część dokumentu (§)", "Dotyczy (§, ust.)", "Rozdział/paragraf") is the provision
column: it feeds `cited_provisions` as a § in the text does.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from pipeline.clean import fold
from pipeline.columns import TEXT_PART_COLUMNS
from pipeline.pii_columns import detect_pii_columns

# Text part -> the folded headers that name it, most specific first.
PART_HEADERS: dict[str, tuple[str, ...]] = {
    "text_proposal": ("proponowane brzmienie", "proponowany zapis", "propozycja zapisu", "propozycja zmiany",
                      "propozycja zmian", "propozycja brzmienia", "nowe brzmienie"),
    "text_current": ("obecny zapis", "obecne brzmienie", "dotychczasowy zapis", "dotychczasowe brzmienie",
                     "zapis w projekcie"),
    "text_justification": ("uzasadnienie",),
    # "Treść uwagi do § 5" is found by its first words.
    "text_comment": ("tresc uwagi", "tresc", "uwagi ogolne", "uwaga", "uwagi", "komentarz", "opis", "text",
                     "comment"),
}
# Every known text header, most specific first (the readers use them to find the header row).
TEXT_HEADERS = tuple(sorted({h for hs in PART_HEADERS.values() for h in hs}, key=lambda h: (-len(h), h)))

_REPEAT_SUFFIX = re.compile(r"_\d+$")
_PROVISION_HEADER = re.compile(
    r"^(?:(?:czesc|fragment|jednostka redakcyjna|miejsce|punkt) (?:dokumentu|projektu|programu|uchwaly)|"
    r"dotyczy|rozdzial|paragraf|przepis|artykul|nr paragrafu|numer paragrafu|jednostka redakcyjna)\b"
)
_EMAIL = re.compile(r"^\S+@\S+\.\w+$")
_DATE = re.compile(r"^\d{1,4}[-./]\d{1,2}[-./]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_NUMBER = re.compile(r"^[-+]?\d+(?:[.,]\d+)?$")
_NAME = re.compile(r"^[A-ZĄĆĘŁŃÓŚŹŻ][a-ząćęłńóśźż]+(?:[- ][A-ZĄĆĘŁŃÓŚŹŻ][a-ząćęłńóśźż]+){1,2}$")
_WORD = re.compile(r"[^\W\d_]{2,}")
# Content test: most cells are sentences of several words, and they differ from each other.
_MIN_SENTENCE_WORDS = 5
_MIN_MEDIAN_WORDS = 6
_MIN_SENTENCE_SHARE = 0.6
_MIN_DISTINCT_SHARE = 0.6
_NOT_TEXT_SHARE = 0.8  # of filled cells that are names/e-mails/dates/numbers for a column to be no text


@dataclass
class ColumnRoles:
    """The role of an export's columns: text columns with their part, id, personal-data and provision columns."""

    text: dict[str, str] = field(default_factory=dict)  # column -> part (`text_proposal`, ...)
    id: str | None = None
    personal: list[str] = field(default_factory=list)
    provision: str | None = None
    text_by_content: list[str] = field(default_factory=list)  # text columns found by their cells, not their header

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """One line for staff on stderr: which columns were taken for what."""
        def names(columns: Sequence[str]) -> str:
            return ", ".join(f"„{c}”" for c in columns) or "brak"

        found = f" (rozpoznane po treści: {names(self.text_by_content)})" if self.text_by_content else ""
        return (f"treść: {names(list(self.text))}{found}; identyfikator: "
                f"{names([self.id] if self.id else [])}; dane osobowe: {names(self.personal)}; część dokumentu: "
                f"{names([self.provision] if self.provision else [])}")


def base_header(name: str) -> str:
    """The header as the file wrote it: a repeated "Treść uwagi" is named "Treść uwagi_2" on reading."""
    return _REPEAT_SUFFIX.sub("", str(name))


def header_key(name: str) -> str:
    """The folded header as the file wrote it."""
    return fold(base_header(name))


def part_of(header: str) -> str | None:
    """The text part a header names ("Proponowane brzmienie zapisu" -> `text_proposal`), or None."""
    key = header_key(header)
    best: tuple[int, str] | None = None
    for part, names in PART_HEADERS.items():
        for name in names:
            if (key == name or key.startswith(name + " ")) and (best is None or len(name) > best[0]):
                best = (len(name), part)
    return best[1] if best else None


def is_provision_header(header: str) -> bool:
    """Whether a header names the part of the document a comment is about."""
    return str(header).strip() in ("§", "§§") or (
        part_of(header) is None and bool(_PROVISION_HEADER.match(header_key(header))))


def _filled(values: Sequence[object]) -> list[str]:
    return [s for s in (str(v).strip() for v in values) if s]


def not_text(values: Sequence[object]) -> bool:
    """Whether the filled cells are mostly names, e-mails, dates or numbers: such a column is never comment text."""
    cells = _filled(values)
    if not cells:
        return False
    odd = sum(bool(_EMAIL.match(c) or _DATE.match(c) or _NUMBER.match(c) or _NAME.match(c)) for c in cells)
    return odd >= _NOT_TEXT_SHARE * len(cells)


def category_like(values: Sequence[object]) -> bool:
    """Whether the filled cells are a few short values repeated (a "comment_type" column of "propozycja",
    "pytanie"): a header that only starts with a text header then names a category, not text."""
    cells = _filled(values)
    return bool(cells) and all(len(c.split()) <= 2 for c in cells) and len(set(cells)) <= len(cells) / 2


def sentence_like(values: Sequence[object]) -> bool:
    """Whether the filled cells read as comments: several words each, mostly distinct."""
    cells = _filled(values)
    if len(cells) < 2 or not_text(cells):
        return False
    words = [len(_WORD.findall(c)) for c in cells]
    return (statistics.median(words) >= _MIN_MEDIAN_WORDS
            and sum(w >= _MIN_SENTENCE_WORDS for w in words) >= _MIN_SENTENCE_SHARE * len(cells)
            and len(set(cells)) >= _MIN_DISTINCT_SHARE * len(cells))


def detect_roles(columns: dict[str, Sequence[object]], *, text_cols: Sequence[str] = (), id_col: str | None = None,
                 pii_cols: Sequence[str] = ()) -> ColumnRoles:
    """Roles of a table's columns (name -> cells). Explicit `text_cols` are taken as given (each part named by its
    header, `text_comment` when the header names none); without them every column with a text header whose cells
    are not names, e-mails, dates or numbers, and, when no header names one, every column whose cells read as
    comments and whose header is not personal data or the provision."""
    names = list(columns)
    personal = detect_pii_columns(names, [c for c in pii_cols if c in columns])
    provision = next((c for c in names if is_provision_header(c) and c not in text_cols), None)
    roles = ColumnRoles(id=id_col if id_col in columns else None, personal=personal, provision=provision)
    if text_cols:
        roles.text = {c: part_of(c) or "text_comment" for c in text_cols}
        return roles
    found = {c: part for c in names if (part := part_of(c)) and not not_text(columns[c])
             and (header_key(c) in TEXT_HEADERS or not category_like(columns[c]))}
    # A header that only starts like a text header ("Uwagi urzędu") is text when no header names its part
    # exactly: beside "Treść uwagi" it is the office's own column, not the sender's words.
    exact = {part for c, part in found.items() if header_key(c) in TEXT_HEADERS}
    roles.text = {c: part for c, part in found.items() if header_key(c) in TEXT_HEADERS or part not in exact}
    if not roles.text:
        skip = set(personal) | {provision, id_col}
        roles.text_by_content = [c for c in names if c not in skip and sentence_like(columns[c])]
        roles.text = {c: "text_comment" for c in roles.text_by_content}
    return roles
