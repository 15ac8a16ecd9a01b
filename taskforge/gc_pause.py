"""Cyclic garbage collection paused while a big graph is read and built.

A 10,000-job graph allocates some 80,000 container objects (driver records, rows,
pairs, JSON dicts) that all outlive the request's build: the collections their
allocation sets off walk them again and again and free nothing (a tenth of the
server's CPU for a graph query). Reference counting still frees everything else
meanwhile; cyclic garbage made by other requests waits until the last holder leaves.

The pause spans awaits, so reads of concurrent requests overlap: it is counted, and
collection resumes when the last holder leaves (if it was on when the first came).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

_holders = 0
_resume = False


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    global _holders, _resume
    if _holders == 0:
        _resume = gc.isenabled()
        gc.disable()
    _holders += 1
    try:
        yield
    finally:
        _holders -= 1
        if _holders == 0 and _resume:
            gc.enable()
