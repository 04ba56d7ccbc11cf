"""Errors a user can fix: the CLI prints them as one line and exits with code 2."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any


class UserError(Exception):
    """Bad input or usage. The message names the file and, where it applies, the row and column."""

    def __init__(self, message: str, *, path: object = None, row: int | None = None, column: str | None = None):
        self.path, self.row, self.column = path, row, column
        where = []
        if path is not None:
            where.append(str(path))
        if row is not None:
            where.append(f"wiersz {row}")
        if column is not None:
            where.append(f"kolumna {column!r}")
        text = f"{', '.join(where)}: {message}" if where else message
        super().__init__(" ".join(text.split()))  # one line, even when it quotes a cell with line breaks


def plural(n: int, one: str, few: str, many: str) -> str:
    """`n` with the Polish form of its noun: 1 wiersz, 3 wiersze, 5 wierszy, 22 wiersze, 12 wierszy."""
    form = one if n == 1 else few if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14) else many
    return f"{n} {form}"


_TOML_PROBLEMS = {
    "Invalid statement": "niepoprawny zapis", "Invalid value": "niepoprawna wartość",
    "Expected '=' after a key in a key/value pair": "po kluczu brak „=”",
    "Unterminated string": "niezamknięty napis", "Illegal character": "niedozwolony znak",
    "Expected ']' at the end of a table declaration": "brak „]” na końcu nagłówka tabeli",
    "Expected ']]' at the end of an array declaration": "brak „]]” na końcu nagłówka tablicy",
    "Cannot overwrite a value": "wartość podana drugi raz", "Cannot declare": "powtórzona deklaracja",
}


def toml_error(exc: ValueError, path: object) -> UserError:
    """tomllib's English message ("Invalid value (at line 3, column 9)") as a UserError naming the row."""
    text = str(exc)
    where = re.search(r" \(at line (\d+), column (\d+)\)$", text)
    problem = text[: where.start()] if where else text
    problem = next((polish + problem[len(english):] for english, polish in _TOML_PROBLEMS.items()
                    if problem.startswith(english)), problem)
    if where:
        return UserError(f"błędny plik TOML: {problem} (znak {where.group(2)})", path=path, row=int(where.group(1)))
    return UserError(f"błędny plik TOML: {problem}", path=path)


def read_toml(path: Path | str, what: str) -> dict[str, Any]:
    """The parsed TOML file; a missing, unreadable or malformed one is a UserError naming it. `what` is the file's
    kind in the genitive, as staff read it: "taksonomii", "reguł triażu"."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"nie ma takiego pliku {what}", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"nie można odczytać pliku {what}: {exc}", path=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise toml_error(exc, path) from None
