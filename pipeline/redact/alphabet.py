"""Letter classes of the alphabets comments are written in (Polish, Western European, Cyrillic) and the
capitalised words built from them, shared by the address and person detectors."""

from __future__ import annotations

UP = "A-ZĄĆĘŁŃÓŚŹŻÀ-ÖØ-ÞА-ЯЁІЇЄҐ"
LO = "a-ząćęłńóśźżß-öø-ÿа-яёіїєґ"
# A capitalised word and an all-capitals one after their first capital: a pattern that opens with `[{UP}]` and
# checks what precedes it by a look-behind after that letter lets the regex engine skip in C to the next capital.
CAP_TAIL = rf"[{LO}'’]+(?:-[{UP}][{LO}'’]+)?"
ALLCAPS_TAIL = rf"[{UP}]+(?:-[{UP}]{{2,}})?"
CAP = rf"[{UP}]{CAP_TAIL}"
ALLCAPS = rf"[{UP}]{ALLCAPS_TAIL}"
WORD_CHARS = rf"{UP}{LO}0-9_"
