"""Decoding: the bytes of a text export -> text, in whichever encoding Polish offices save it.

UTF-8 (with or without BOM), UTF-16 (with or without BOM), cp1250 and ISO-8859-2, also mixed line by line; binary
content is refused rather than read as noise.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import UserError

_CANDIDATE_ENCODINGS = ["utf_8", "cp1250", "iso8859_2"]
_POLISH = set("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ")
# Text has at most a stray control character; random bytes have 10% of them.
_BINARY_SAMPLE, _BINARY_SHARE, _BINARY_MIN = 10_000, 0.05, 16


def decode_bytes(data: bytes, path: Path, encoding: str | None = None) -> tuple[str, str]:
    """Decode a text file; returns (text, encoding). UTF-8 (with or without BOM), cp1250 and ISO-8859-2."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise UserError(f"nieznane kodowanie {encoding!r}", path=path) from None
        except UnicodeDecodeError as exc:
            raise UserError(
                f"plik nie jest w kodowaniu {encoding} (bajt {exc.start}, wiersz {_line_of(data, exc.start)})",
                path=path,
            ) from None
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data, "utf-8-sig", path), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export
        return _strict(data, "utf-16", path), "utf-16"
    # Without a BOM, UTF-16 shows itself by a NUL in every other byte (the high byte of ASCII letters).
    for encoding, highs in (("utf-16-le", data[1::2]), ("utf-16-be", data[0::2])):
        if len(data) % 2 == 0 and highs.count(0) > len(highs) * 0.3 and _decodes(data, encoding):
            return data.decode(encoding), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    mixed = _decode_mixed(data)
    if mixed:
        return mixed
    from charset_normalizer import from_bytes

    # A lenient threshold: comments dense in ą, ś, ź read as "chaotic" to the detector's default of 0.2.
    detected = [m.encoding for m in from_bytes(data, cp_isolation=_CANDIDATE_ENCODINGS, threshold=0.6)]
    # cp1250 and ISO-8859-2 differ exactly on ą ś ź Ą Ś Ź, and short files fool statistical detectors, so between
    # those two the decoding that yields more Polish letters (and no C1 control characters) wins.
    candidates = [enc for enc in ("cp1250", "iso8859_2") if _decodes(data, enc)]
    if not candidates:
        raise UserError(
            "nie udało się rozpoznać kodowania pliku (oczekiwano UTF-8, cp1250 lub ISO-8859-2)", path=path
        )
    best = max(candidates, key=lambda enc: (_polish_score(data, enc), enc in detected))
    return data.decode(best), best


def _decode_mixed(data: bytes) -> tuple[str, str] | None:
    """Lines in UTF-8 among lines in cp1250 or ISO-8859-2: two exports pasted together, or mojibake saved in cp1250
    ("WspĂłĹ‚praca" there is the UTF-8 bytes of "Współpraca"). Decoded whole in either encoding, one part would be
    mojibake, so each line is decoded in its own. UTF-8 is recognised by Polish letters it yields: one-byte Polish
    text practically never decodes as UTF-8 into them."""
    lines = data.splitlines(keepends=True)
    in_utf8, other = False, []
    for i, line in enumerate(lines):
        try:
            decoded = line.decode("utf-8")
        except UnicodeDecodeError:
            other.append(i)
            continue
        in_utf8 = in_utf8 or any(ch in _POLISH for ch in decoded)
    rest = b"".join(lines[i] for i in other)
    candidates = [enc for enc in ("cp1250", "iso8859_2") if _decodes(rest, enc)]
    if not in_utf8 or not candidates:
        return None
    single = max(candidates, key=lambda enc: _polish_score(rest, enc))
    legacy = set(other)
    text = "".join(line.decode(single if i in legacy else "utf-8") for i, line in enumerate(lines))
    return text, f"utf-8+{single}"


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _strict(data: bytes, encoding: str, path: Path) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UserError(
            f"niepoprawne bajty {encoding.upper().removesuffix('-SIG')} (bajt {exc.start}, wiersz "
            f"{_line_of(data, exc.start)})", path=path
        ) from None


def check_text(text: str, path: Path) -> None:
    """Refuse binary content (an image, a .doc renamed .csv) instead of reading noise as comments. Binary formats
    hold NUL bytes among many control characters; a text with odd control characters but no NUL is still read."""
    sample = text[:_BINARY_SAMPLE]
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\r\n\v\f")
    if "\x00" in sample and controls >= max(_BINARY_MIN, len(sample) * _BINARY_SHARE):
        raise UserError("plik zawiera znaki binarne: to nie jest tekst CSV ani JSON Lines w obsługiwanym kodowaniu "
                        "(UTF-8, UTF-16, cp1250, ISO-8859-2)", path=path)


def _polish_score(data: bytes, encoding: str) -> int:
    text = data.decode(encoding, errors="replace")
    controls = sum(1 for ch in text if "\x80" <= ch <= "\x9f" or ch == "\ufffd")
    return sum(1 for ch in text if ch in _POLISH) - 5 * controls


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1
