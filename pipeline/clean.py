"""Cleaning stage: repair and normalise comment text, add a folded matching key and the language.

Pure functions over strings plus one table-level stage; no I/O.
"""

from __future__ import annotations

import html
import itertools
import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING

import ftfy
import pandas as pd
from ftfy.badness import is_bad

from pipeline.columns import TEXT_PART_COLUMNS
from pipeline.config import Config
from pipeline.distinct import map_distinct
from pipeline.stage import stage

if TYPE_CHECKING:
    from pipeline.langid_windows import WindowedIdentifier

# Polish letters that NFKD does not decompose (ł) or that we want folded explicitly.
_FOLD_TABLE = str.maketrans({"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ø": "o", "Ø": "O"})
_POLISH_LETTERS = re.compile(r"[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]")
# A word as str.split() cuts it (regex whitespace is str.isspace(), as split's) up to its first Polish letter; the
# lookbehind lets a match start only where a word does.
_POLISH_WORD = re.compile(r"(?<!\S)[^\sąćęłńóśźżĄĆĘŁŃÓŚŹŻ]*[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]")
_BLOCK_TAGS = re.compile(r"(?i)<\s*(br|/p|p|/div|div|/li|li|/tr|tr|/h[1-6])\b[^>]*>")
# A tag needs its name right after "<", so "a < b oraz c > d" is left alone.
_TAGS = re.compile(r"(?s)<(?:/?[a-zA-Z][a-zA-Z0-9]*\b[^<>]{0,500}|!--.*?--)>")
_SCRIPT = re.compile(r"(?is)<(script|style)\b.*?</\1\s*>")
_LOOKS_HTML = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*\b[^<>]*>|&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);")
_SPACES = re.compile(r"[^\S\n]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_WORD = re.compile(r"\w+", re.UNICODE)
# ftfy leaves alone text made only of these characters in which its mojibake heuristic (`is_bad`) finds nothing:
# none of them is changed by its character fixes (quotes, ligatures, widths, line breaks, control characters), they
# are NFC already, and without "Ã" or "Â" no line can look bad when the whole text does not. Checking costs a regex
# or two; ftfy costs about a millisecond per comment, most of the cleaning time.
_PLAIN = re.compile(r"[\t\n -~ąćęłńóśźżĄĆĘŁŃÓŚŹŻ–—…«»§°€]*")
# Within `_PLAIN`'s characters, every sequence `is_bad` finds holds one of these (ftfy 6's pattern matches at most
# three plain characters; tests/test_clean.py checks every such sequence): most Polish comments have none, and are
# spared ftfy's heuristic, which was about half of cleaning's time.
_PLAIN_MAYBE_BAD = re.compile(r"[ĄĆĘŁŃŚŹŻ€«»]")
# Curly double quotes („Polish”, “English”) are what keeps most lines that ftfy would see out of `_PLAIN`. Of ftfy's
# fixes only `uncurl_quotes` changes them (to '"'), and in its heuristic they are punctuation that can make a bad
# sequence of at most three characters, like the telltale characters above: so for a line of `_QUOTED` that does not
# look bad, and whose straightened form (a `_PLAIN` line) does not look bad either, ftfy gives that straightened form.
_CURLY_DOUBLE_QUOTES = "“”„‟"  # ftfy's DOUBLE_QUOTE_RE, [\u201c-\u201f]
_QUOTED = re.compile(f"[\\t\\n -~ąćęłńóśźżĄĆĘŁŃÓŚŹŻ–—…«»§°€{_CURLY_DOUBLE_QUOTES}]*")
_QUOTED_MAYBE_BAD = re.compile(f"[ĄĆĘŁŃŚŹŻ€«»{_CURLY_DOUBLE_QUOTES}]")
# ftfy's segments: it fixes each line (up to and with its line break) on its own.
_LINES = re.compile(r"[^\n]*\n|[^\n]+")


def _looks_bad(text: str, telltales: re.Pattern[str]) -> bool:
    """`is_bad(text)` for a text of `_PLAIN`'s characters with `_PLAIN_MAYBE_BAD` as `telltales` (of `_QUOTED`'s
    with `_QUOTED_MAYBE_BAD`). A match there is at most three characters, one of them a telltale one, and the
    pattern reads no context beyond what it matches (its one anchor, "^", opens an alternative that needs "Ã" or
    "Â"), so it is found in the two characters either side of such a character: the heuristic reads a few
    characters per telltale one instead of the whole letter (a twentieth)."""
    return any(is_bad(text[max(0, m.start() - 2):m.end() + 2]) for m in telltales.finditer(text))


def ftfy_fixed(text: str) -> str:
    """`ftfy.fix_text(text, normalization="NFC", unescape_html=False)`, ftfy itself run only on the lines no cheap
    check can answer for (Cyrillic, emoji, mojibake): about one line in twenty of the comments that are not plain."""
    if _PLAIN.fullmatch(text) and not _looks_bad(text, _PLAIN_MAYBE_BAD):
        return text
    # A whole text of `_QUOTED` that passes the checks has every line pass them: each line's windows lie within the
    # text's (and the heuristic's pattern, reading no context, finds in a window what it finds in a part of it).
    straight = _straightened(text)
    return straight if straight is not None else "".join(map(_fixed_line, _LINES.findall(text)))


def _straightened(text: str) -> str | None:
    """ftfy's answer for a text of `_QUOTED` characters that does not look bad, nor does its straightened form; else
    None."""
    if _QUOTED.fullmatch(text) and not _looks_bad(text, _QUOTED_MAYBE_BAD):
        straight = _straight(text)
        if not _looks_bad(straight, _PLAIN_MAYBE_BAD):
            return straight
    return None


def _straight(text: str) -> str:
    """`text` with each curly double quote made '"' (`str.replace` per quote: a look-up per character through
    `str.translate` took ten times as long)."""
    for quote in _CURLY_DOUBLE_QUOTES:
        if quote in text:
            text = text.replace(quote, '"')
    return text


def _fixed_line(line: str) -> str:
    straight = _straightened(line)
    return straight if straight is not None else ftfy.fix_text(line, normalization="NFC", unescape_html=False)


_ENTITY = re.compile(r"&(?:[a-zA-Z][a-zA-Z0-9]*|#\d+|#[xX][0-9a-fA-F]+);")


def unescape_entities(text: str) -> str:
    """HTML entities a web form stored for the characters typed (`&quot;` for `"`), decoded; anything else as
    written. Only complete entities: `html.unescape` alone would also turn `&not` in `&notatka` into `¬`."""
    for _ in range(2):  # double-escaped by some forms: "&amp;quot;"
        decoded = _ENTITY.sub(lambda m: html.unescape(m.group()), text)
        if decoded == text:
            break
        text = decoded
    return text


def strip_html(text: str) -> str:
    """Unescape entities and drop tags, turning block-level tags into line breaks."""
    # Every tag opens with "<" and every entity with "&": two scans in C spare most comments the regex's search.
    if ("<" not in text and "&" not in text) or not _LOOKS_HTML.search(text):
        return text
    text = _SCRIPT.sub(" ", text)
    text = _BLOCK_TAGS.sub("\n", text)
    text = _TAGS.sub(" ", text)
    return unescape_entities(text)


def _tidy_lines(text: str) -> bool:
    """Whether no line of `text` has spacing to collapse or strip: its only whitespace is single spaces between
    words and line breaks. Every other whitespace character is unprintable, so substring tests and `isprintable`,
    a few passes in C, tell most comments apart without a regex per line."""
    return ("  " not in text and " \n" not in text and "\n " not in text and text[:1] != " " and text[-1:] != " "
            and text.replace("\n", "").isprintable())


def normalize_whitespace(text: str) -> str:
    """Collapse runs of spaces inside lines, keep paragraph breaks (at most one blank line)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    if not _tidy_lines(text):
        text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return (_MANY_NEWLINES.sub("\n\n", text) if "\n\n\n" in text else text).strip()


def clean_text(text: str) -> str:
    """Repair mojibake, strip HTML, NFC-normalise and tidy whitespace."""
    if not text:
        return ""
    text = strip_html(ftfy_fixed(text))
    text = unicodedata.normalize("NFC", text)
    return normalize_whitespace(text)


def strip_diacritics(text: str) -> str:
    """'Współpraca' -> 'Wspolpraca'; case is kept."""
    return text.translate(_STRIP_TABLE)


class _StripTable(dict):
    """str.translate table giving, per character, its NFKD decomposition (after `_FOLD_TABLE`) without combining
    marks, filled on demand.

    Valid because NFKD decomposes a string character by character and then only reorders adjacent combining marks,
    all of which are dropped. `str.translate` looks each character up in C; decomposing a long text and testing each
    of its characters in Python took a quarter more in `features._glossary_language`.
    """

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFKD", chr(code).translate(_FOLD_TABLE))
        self[code] = value = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        return value


_STRIP_TABLE = _StripTable()


class _FoldTable(dict):
    """str.translate table giving, per character, its diacritic-free case fold (filled on demand); with `words`,
    each character of the fold that is no word character (`\\W`) made a space.

    Valid because NFKD decomposition and case folding both map a string character by character; a table lookup
    is about 20x faster than normalising long texts, which matters when clustering a million comments.
    """

    def __init__(self, words: bool):
        super().__init__()
        self.words = words

    def __missing__(self, code: int) -> str:
        value = strip_diacritics(chr(code)).casefold()
        self[code] = value = _NON_WORD.sub(" ", value) if self.words else value
        return value


_NON_WORD = re.compile(r"\W")
_FOLD_CHARS, _FOLD_WORDS = _FoldTable(words=False), _FoldTable(words=True)
# A text of ASCII, Polish letters and the punctuation Polish texts use (nearly every comment) folds by `str.lower()`
# and a replacement per letter whose fold is not its lower case: C scans, about twice as fast as `str.translate`,
# which looks every character up in the table. Each of these characters lowers to one character.
_LOWERED_CHARS = "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ„”“‘’–—…«»§°€"
_LOWERED_TEXT = re.compile(f"[\\x00-\\x7f{_LOWERED_CHARS}]*")
_AFTER_LOWER = {c.lower(): c.translate(_FOLD_CHARS) for c in _LOWERED_CHARS
                if c.translate(_FOLD_CHARS) != c.lower()}


def fold_chars(text: str) -> str:
    """Lower case without diacritics, punctuation and spacing kept: 'Współpraca, ŁÓDŹ' -> 'wspolpraca, lodz'."""
    if _LOWERED_TEXT.fullmatch(text) is None:
        return text.translate(_FOLD_CHARS)
    text = text.lower()  # ASCII's case fold is its lower case
    for letter, folded in _AFTER_LOWER.items():
        if letter in text:
            text = text.replace(letter, folded)
    return text


def _byte_fold_table() -> bytes:
    """The `str.translate` table `_FOLD_WORDS` for `_LOWERED_TEXT`'s characters, as a table of their Windows-1250
    bytes (one byte each, Polish letters included) to the ASCII byte each folds to, a space for one that folds to
    none but spaces (`…` to three)."""
    table = bytearray(range(256))
    for char in [*map(chr, range(128)), *_LOWERED_CHARS]:
        folded = char.translate(_FOLD_WORDS)
        table[char.encode("cp1250")[0]] = ord(" " if folded.isspace() else folded)
    return bytes(table)


_FOLD_BYTES = _byte_fold_table()
# The Windows-1250 bytes of `_LOWERED_TEXT`'s characters: the encoding is one byte per character and one character per
# byte, so a text encodes to these bytes alone exactly when it is of those characters.
_LOWERED_BYTES = bytes(range(128)) + _LOWERED_CHARS.encode("cp1250")
_SPACE_RUN = re.compile(b"  +")


def windows_1250(text: str) -> bytes | None:
    """The text's Windows-1250 bytes (one a character), or None when a character of it is not in Windows-1250."""
    try:
        return text.encode("cp1250")
    except UnicodeEncodeError:
        return None


def _folded_bytes(raw: bytes | None) -> bytes | None:
    """`text.translate(_FOLD_WORDS)` as ASCII bytes, for a text of `_LOWERED_TEXT` (else None), given its
    `windows_1250` bytes `raw`: those through `_FOLD_BYTES`. Encoding and then deleting the expected bytes
    (`bytes.translate`) tells such a text in two passes in C, a third of the time `_LOWERED_TEXT.fullmatch` takes."""
    return None if raw is None or raw.translate(None, _LOWERED_BYTES) else raw.translate(_FOLD_BYTES)


def _folded_runs(text: str, raw: bytes | None) -> list[str]:
    """The runs of word characters of `fold_chars(text)`, "_" included (`raw`: the text's `windows_1250`)."""
    # The table turns every other character into a space and `split` drops those (no word character is a space), a
    # third faster than finding the runs. A text of `_LOWERED_TEXT` goes through a byte table (`bytes.translate`),
    # twice as fast again as looking each character up in `_FOLD_WORDS`.
    folded = _folded_bytes(raw)
    return text.translate(_FOLD_WORDS).split() if folded is None else folded.decode("ascii").split()


def fold(text: str) -> str:
    """Matching key: lower case, no diacritics, words joined by single spaces, no punctuation."""
    folded = _folded_bytes(windows_1250(text))
    if folded is None:
        return " ".join(text.translate(_FOLD_WORDS).split()).replace("_", " ")
    # Its only bytes are word characters and spaces, so collapsing the runs of spaces joins its words as `split`
    # and `join` would, without a string per word.
    return _SPACE_RUN.sub(b" ", folded).strip().replace(b"_", b" ").decode("ascii")


def fold_split(text: str, encoded: bytes | None = None) -> tuple[str, list[str]]:
    """`fold(text)` and its words, `fold(text).split()`: the runs `fold` joins, unless one holds a "_". `encoded`:
    the text's `windows_1250` bytes when the caller has them (triage reads them again), else None."""
    runs = _folded_runs(text, windows_1250(text) if encoded is None else encoded)
    folded = " ".join(runs)
    if "_" not in folded:
        return folded, runs
    folded = folded.replace("_", " ")
    return folded, folded.split()


# Classify's features, corrections' fingerprint and clustering's core (most cores are the whole text) fold the same
# comment one stage after another, a chunk of rows at a time: the last comments' folds are kept for the next stage.
# Bounded in count and in length, so a worker keeps at most about 60 MB of them (Polish text, two bytes a character).
_REMEMBERED_FOLDS = 2_048
_REMEMBERED_CHARS = 10_000


@lru_cache(maxsize=_REMEMBERED_FOLDS)
def _remembered_fold(text: str) -> str:
    return fold(text)


def fold_comment(text: str) -> str:
    """`fold` of a whole comment's text, done once for the stages that each ask for it in turn."""
    return _remembered_fold(text) if len(text) <= _REMEMBERED_CHARS else fold(text)


def has_polish_letters(text: str) -> bool:
    return bool(_POLISH_LETTERS.search(text))


def polish_word_count(text: str, stop_at: int | None = None) -> int:
    """How many of `text.split()`'s words have a Polish letter, counted in one pass of a regex; no further than
    `stop_at` when given (whether a text has that many, without reading the rest of it)."""
    if stop_at is None:
        return len(_POLISH_WORD.findall(text))
    return sum(1 for _ in itertools.islice(_POLISH_WORD.finditer(text), stop_at))


_LANGS = ("pl", "uk", "en", "ru", "de", "cs", "sk")
_identifier = None


def language_identifier() -> "WindowedIdentifier":
    """py3langid's model restricted to `_LANGS`, loaded on first use (0.5 s of CPU, 73 MB), then kept."""
    global _identifier
    if _identifier is None:
        from py3langid.langid import MODEL_FILE

        from pipeline.langid_windows import WindowedIdentifier

        _identifier = WindowedIdentifier.from_model_file(MODEL_FILE)
        _identifier.set_languages(list(_LANGS))
    return _identifier


def detect_language(text: str) -> str:
    """pl, uk, en or other. Short texts and any text with Polish letters count as Polish,
    because detectors are unreliable below a few words and Polish letters are decisive."""
    return _language(text, language_identifier().classify(text)[0]) if _needs_model(text) else "pl"


def detect_languages(texts: list[str]) -> list[str]:
    """`detect_language` of each text, each distinct text once, py3langid's features of all of them counted together
    (`WindowedIdentifier.classify_many`: the same answers, a third of the CPU)."""
    asked = [text for text in dict.fromkeys(texts) if _needs_model(text)]
    found = dict(zip(asked, language_identifier().classify_many(asked)))
    return [_language(text, found[text][0]) if text in found else "pl" for text in texts]


# A text of fewer words counts as Polish: the detector is unreliable on them.
_MODEL_WORDS = 4


def _needs_model(text: str) -> bool:
    # The first `_MODEL_WORDS` words found, not every word listed: a text without Polish letters is often a long
    # letter in English.
    return bool(text.strip()) and not has_polish_letters(text) and sum(
        1 for _ in itertools.islice(_WORD.finditer(text), _MODEL_WORDS)) == _MODEL_WORDS


def _language(text: str, lang: str) -> str:
    """The answer for a text py3langid calls `lang`."""
    # Russian and Ukrainian share most letters; Ukrainian-only letters decide, Russian-only ones too.
    if lang in ("uk", "ru"):
        if re.search(r"[іїєґІЇЄҐ]", text):
            return "uk"
        return "uk" if lang == "uk" else "other"
    if lang in ("pl", "en"):
        return lang
    # Czech/Slovak confusion with Polish typed without diacritics is common.
    return "pl" if lang in ("cs", "sk") and not re.search(r"[ěřůťďňĚŘŮŤĎŇ]", text) else "other"


def comment_body(df: pd.DataFrame) -> list[str]:
    """Per row, what the sender wrote: the text parts joined without the headers that label them in `text`, so a
    header ("Treść uwagi:") never reaches the classifier or clustering; `text` where no part is filled (a record
    that could not be split into fields)."""
    texts = df["text"].fillna("").astype(str).tolist()
    parts = [df[c].fillna("").astype(str).tolist() for c in TEXT_PART_COLUMNS if c in df.columns]
    if not parts:
        return texts
    return ["\n\n".join(p for p in row if p.strip()) or text for text, row in zip(texts, zip(*parts))]


@stage("clean", requires=("text",), assigns=("text_clean", "lang"))
def clean(df: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """Stage: add `text_clean` and `lang` (redaction, when configured, runs after this in `redact`)."""
    out = df.copy(deep=False)  # copy-on-write: the columns set below never reach `df`, and the text is not copied
    cleaned = map_distinct(clean_text, comment_body(out))
    out["text_clean"] = cleaned
    out["lang"] = detect_languages(cleaned)
    return out
