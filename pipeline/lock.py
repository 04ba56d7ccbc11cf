"""One run at a time: an exclusive lock on the output folder (and on the state file), held for the whole run.

The lock is `flock` on a small file, so the kernel releases it when its holder dies, even by `kill -9`: a lock file
that still names a holder while nobody holds the lock is a stale lock of a killed run, taken over at once. The file
names its holder (pid, host, start time) so a second run can say who is working.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

LOCK_NAME = ".uwagi.lock"


class LockHeld(Exception):
    """Another run holds the lock (exit code 3)."""


@dataclass(frozen=True)
class Lock:
    path: Path
    # The holder a killed run left in the file, or None: the run took over a stale lock.
    stale: dict[str, object] | None


def _holder(text: str) -> dict[str, object] | None:
    try:
        holder = json.loads(text)
    except ValueError:
        return None
    return holder if isinstance(holder, dict) else None


def describe(holder: dict[str, object] | None) -> str:
    if not holder:
        return "właściciel nieznany"
    return f"pid {holder.get('pid')}, komputer {holder.get('host')}, od {holder.get('started')}"


def _open_locked(path: Path) -> int:
    """An open descriptor of the lock file `path`, flocked; LockHeld naming its holder when another run has it."""
    while True:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
            os.close(fd)
            raise LockHeld(f"inny przebieg już pracuje ({describe(holder)}); blokada {path}") from None
        # A run that created the folder removes it, lock file and all, when it leaves it empty: a lock taken on the
        # removed file guards nothing, so it is taken again on the file now at that path.
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


@contextmanager
def hold(path: Path) -> Iterator[Lock]:
    """Take the lock file `path` or raise LockHeld naming its holder; released (and emptied) on exit."""
    fd = _open_locked(path)
    try:
        stale = _holder(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
        me = {"pid": os.getpid(), "host": socket.gethostname(),
              "started": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode(), 0)
        os.fsync(fd)
        try:
            yield Lock(path, stale)
        finally:
            os.ftruncate(fd, 0)  # an empty file is a lock nobody held when it was released
    finally:
        os.close(fd)  # closing releases the flock


@contextmanager
def hold_run(out_dir: Path, state: Path | None) -> Iterator[list[Lock]]:
    """The locks of one run: its output folder's (created if needed; removed again when the run left it empty) and,
    with a state, the state file's, so two runs cannot share either."""
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        locks = [stack.enter_context(hold(out_dir / LOCK_NAME))]
        if created:
            # Only the holder may remove the folder, and before it lets the lock go: a run turned away (exit 3) by a
            # run that has not written anything yet would otherwise delete that run's folder from under it.
            stack.callback(_remove_if_empty, out_dir)
        if state is not None:
            locks.append(stack.enter_context(hold(state.with_name(state.name + ".lock"))))
        yield locks


def _remove_if_empty(out_dir: Path) -> None:
    if {p.name for p in out_dir.iterdir()} <= {LOCK_NAME}:
        (out_dir / LOCK_NAME).unlink(missing_ok=True)
        out_dir.rmdir()
