"""Letter classes of the alphabets comments are written in (Polish, Western European, Cyrillic) and the
capitalised words built from them, shared by the address and person detectors."""

from __future__ import annotations

UP = "A-ZĄĆĘŁŃÓŚŹŻÀ-ÖØ-ÞА-ЯЁІЇЄҐ"
LO = "a-ząćęłńóśźżß-öø-ÿа-яёіїєґ"
CAP = rf"[{UP}][{LO}'’]+(?:-[{UP}][{LO}'’]+)?"
ALLCAPS = rf"[{UP}]{{2,}}(?:-[{UP}]{{2,}})?"
WORD_CHARS = rf"{UP}{LO}0-9_"
