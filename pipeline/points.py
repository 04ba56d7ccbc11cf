"""Numbered points of a cover letter ("Uwaga nr 1", "1.", "Ad. § 5"): where each one starts and ends.

Organisations often send one letter with several comments, each opening a line with its number. Split on those
openings, each point becomes a comment of its own (`uwagi run --split-points`).
"""

from __future__ import annotations

import re

# A point opens a line: "Uwaga nr 3", "Uwaga 3:", "3." or "3)" followed by text; or "Ad 3", "Ad. § 5", "Ad. art. 7".
_POINT = re.compile(
    r"^[ \t]*(?:uwaga\s+(?:nr\.?\s*)?(?P<uwaga>\d+)\b|(?P<number>\d{1,3})[.)](?=[ \t]+\S)"
    r"|(?P<ad>ad\.?[ \t]*(?:§|art\.|pkt|ust\.)?[ \t]*\d+\b))",
    re.IGNORECASE | re.MULTILINE,
)


def split_points(text: str) -> list[tuple[int, int]]:
    """(start, end) of each part of `text`: what precedes the first point (the greeting, if any) and the first
    point, then each further point up to the next one. Empty when the letter has fewer than two points: it stays
    one comment. Numbered openings count only while their numbers run 1, 2, 3…, so a date or an amount at a
    line's start does not split; "Ad. § 5" names a provision, so it always opens a point."""
    kept: list[int] = []
    expected = 1
    for match in _POINT.finditer(text):
        number = match.group("uwaga") or match.group("number")
        if number is None:
            kept.append(match.start())
        elif int(number) == expected:
            kept.append(match.start())
            expected += 1
    if len(kept) < 2:
        return []
    # A greeting above the first point stays a part of its own: it may say who writes and about what.
    bounds = [0, *(kept if text[: kept[0]].strip() else kept[1:]), len(text)]
    return list(zip(bounds, bounds[1:]))
