"""Cyclic garbage collection paused while a big graph is read, built and sent.

A 10,000-job graph allocates some 80,000 container objects (driver records, rows,
pairs, JSON dicts) that all live until its response is encoded: the collections their
allocation sets off walk them again and again and free nothing. Pausing only around
the read and the build was not enough: collection counts the objects allocated while
it is paused, so the first allocation after it resumed walked them all at once (20-28
ms per graph query). So inside a scope (an HTTP request: ``GraphQLView`` opens one) a
read holds the pause until the scope ends, by when the response is encoded and the
graph's objects are freed by reference counting, which goes on meanwhile; cyclic
garbage made by other requests waits until the last holder leaves.

Pauses span awaits, so those of concurrent requests overlap: they are counted, and
collection resumes when the last holder leaves (if it was on when the first came). A
pause older than ``LONGEST`` takes no new holders, so overlapping requests cannot keep
collection off for good.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Iterator
from contextvars import ContextVar

# A pause joins one under way only while that one is younger than this: graph queries
# overlapping without end would otherwise keep collection off for good.
LONGEST = 1.0  # seconds

_holders = 0
_resume = False
_since = 0.0


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """Collection paused for the block (unless a pause has already lasted ``LONGEST``:
    then the block takes none, and collection resumes when the holders leave)."""
    global _holders, _resume, _since
    if _holders == 0:
        _resume, _since = gc.isenabled(), time.monotonic()
        gc.disable()
    elif time.monotonic() - _since > LONGEST:
        yield
        return
    _holders += 1
    try:
        yield
    finally:
        _holders -= 1
        if _holders == 0 and _resume:
            gc.enable()


class _Scope:
    """A unit of work (a request) whose reads hold the pause until it ends."""

    __slots__ = ("holds",)

    def __init__(self) -> None:
        self.holds: contextlib.AbstractContextManager[None] | None = None


_scope: ContextVar[_Scope | None] = ContextVar("gc_pause_scope", default=None)


@contextlib.contextmanager
def scope() -> Iterator[None]:
    """A unit of work (a request): pauses taken in it with ``paused`` last until it
    ends. Tasks it starts (graphql-core gathers fields in tasks) share it."""
    current = _Scope()
    token = _scope.set(current)
    try:
        yield
    finally:
        _scope.reset(token)
        if current.holds is not None:
            current.holds.__exit__(None, None, None)


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Collection paused for the block, and on until the end of the enclosing scope if
    there is one (the block's objects live until then)."""
    current = _scope.get()
    if current is None:
        with collection_paused():
            yield
        return
    if current.holds is None:
        current.holds = collection_paused()
        current.holds.__enter__()
    yield
