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


@contextmanager
def hold(path: Path) -> Iterator[Lock]:
    """Take the lock file `path` or raise LockHeld naming its holder; released (and emptied) on exit."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
            raise LockHeld(f"inny przebieg już pracuje ({describe(holder)}); blokada {path}") from None
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
    try:
        with ExitStack() as stack:
            locks = [stack.enter_context(hold(out_dir / LOCK_NAME))]
            if state is not None:
                locks.append(stack.enter_context(hold(state.with_name(state.name + ".lock"))))
            yield locks
    finally:
        if created and {p.name for p in out_dir.iterdir()} <= {LOCK_NAME}:
            (out_dir / LOCK_NAME).unlink(missing_ok=True)
            out_dir.rmdir()
