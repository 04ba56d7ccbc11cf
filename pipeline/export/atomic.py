"""Atomic writes of files and folders: a crash never leaves a half-written file or folder under the final name."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.errors import UserError


_WHY_NOT = {errno.ENOENT: "ścieżka nie istnieje", errno.EACCES: "brak uprawnień", errno.EPERM: "brak uprawnień",
            errno.EROFS: "dysk tylko do odczytu", errno.ENOSPC: "brak miejsca na dysku",
            errno.ENOTDIR: "część ścieżki jest plikiem"}


def check_out_dir(path: Path) -> Path:
    """Say in one line, before any work is done, why `path` cannot become the output folder; create nothing yet
    (a run that fails on its input leaves no empty folder behind)."""
    if path.exists() and not path.is_dir():
        raise UserError("to jest plik, a wynik zapisuje się do katalogu; podaj katalog", path=path)
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir():
        raise UserError(f"nie można utworzyć katalogu: {existing} jest plikiem", path=path)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"brak uprawnień do zapisu w {existing}", path=path)
    return path


def _umask() -> int:
    umask = os.umask(0)  # the only way to read it is to set it
    os.umask(umask)
    return umask


@contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path in the same folder; on success it replaces `final` in one rename."""
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        why = _WHY_NOT.get(exc.errno or 0, exc.strerror or type(exc).__name__)
        raise UserError(f"nie można utworzyć katalogu ({why})", path=final.parent) from None
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp creates 0600 files; outputs are shared with colleagues, so honour the umask like open() does.
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, final)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_atomic(final: Path, writer: Callable[[Path], None]) -> Path:
    with atomic_path(final) as tmp:
        writer(tmp)
    return final


def write_text_atomic(final: Path, text: str) -> Path:
    return write_atomic(final, lambda p: p.write_text(text, encoding="utf-8"))


def write_dir_atomic(final: Path, writer: Callable[[Path], None]) -> Path:
    """Fill a temporary sibling folder, then rename it into place: a crash never leaves half a model. `final`
    must not exist or be empty (the caller checks)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        writer(tmp)
        # mkdtemp makes a private 0700 folder; a model folder is shared like any output.
        os.chmod(tmp, 0o777 & ~_umask())
        if final.exists():
            final.rmdir()
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return final
