"""Python's cyclic garbage collector held off while a writer builds millions of small objects.

xlsxwriter keeps every cell of a workbook as a tuple until the file is closed: a sheet of 50,000 comments is about
a million of them, each counted by the collector, whose full passes (every live object of the process, the
pipeline's own included) then ran ever more often as the cells piled up: about a tenth of the workbook's CPU. The
cells hold no reference cycles, so there is nothing for the collector to find among them.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The block without the cyclic collector (reference counting still frees what is dropped); as it was after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
