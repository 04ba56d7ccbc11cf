"""Proof that py3langid's byte automaton forgets after `langid_windows.WINDOW` bytes, for `PROVEN_TRANSITIONS`.

    .venv/bin/python bench/langid_window.py

Follows, for every byte string, the set of states the automaton can be in after it when it may start in any state:
a string whose set is one state leaves it there whatever came before, and so does every longer string that ends with
it. The strings still holding two or more states are extended by every byte until none is left; the length at which
that happens is the window. About 40 s of CPU; prints the window and the transitions' fingerprint to put in
`pipeline/langid_windows.py` (a new py3langid model needs this run again).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.clean import language_identifier  # noqa: E402
from pipeline.langid_windows import transitions_fingerprint  # noqa: E402


def forgetting_length(identifier) -> int:
    """The least n such that every string of n bytes leads every state to one state."""
    item = {2: np.uint16, 4: np.uint32, 8: np.uint64}[identifier.tk_nextmove.itemsize]
    next_state = np.frombuffer(identifier.tk_nextmove, dtype=item).astype(np.int64)
    row_start = np.asarray(identifier._rowbase, dtype=np.int64)
    undecided = [np.arange(len(row_start))]
    length = 0
    while undecided:
        length += 1
        undecided = [after for states in undecided for byte in range(256)
                     if len(after := np.unique(next_state[row_start[states] + byte])) > 1]
        print(f"strings of {length} bytes that leave two or more states: {len(undecided)}", flush=True)
    return length


if __name__ == "__main__":
    identifier = language_identifier()
    print(f"window {forgetting_length(identifier)}, transitions {transitions_fingerprint(identifier):#010x}")
