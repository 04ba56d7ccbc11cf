"""Errors a user can fix: the CLI prints them as one line and exits with code 2."""

from __future__ import annotations


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
