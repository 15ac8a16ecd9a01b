"""The counted pause of cyclic collection around big graph reads, and its scopes."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest

from taskforge import gc_pause
from taskforge.gc_pause import collection_paused


@pytest.fixture(autouse=True)
def _collection_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_collection_resumes_when_the_last_of_overlapping_holders_leaves() -> None:
    # two requests' reads overlap across awaits: the first to leave must not resume it
    first, second = collection_paused(), collection_paused()
    first.__enter__()
    assert not gc.isenabled()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_pause_leaves_collection_off_if_it_was_off_and_survives_errors() -> None:
    gc.disable()
    with collection_paused():
        pass
    assert not gc.isenabled()
    gc.enable()
    with pytest.raises(ValueError), collection_paused():
        raise ValueError
    assert gc.isenabled()


def test_inside_a_scope_a_pause_lasts_until_the_scope_ends() -> None:
    # a graph's rows live until its response is encoded: resuming collection when the
    # read ends would walk them all at the next allocation
    with gc_pause.scope():
        with gc_pause.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
        with gc_pause.paused():  # a second read of the request holds nothing more
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
    with gc_pause.paused():  # outside a scope: for the block
        assert not gc.isenabled()
    assert gc.isenabled()


async def test_a_scope_is_shared_by_the_tasks_it_starts() -> None:
    async def read() -> None:
        with gc_pause.paused():
            await asyncio.sleep(0)

    with gc_pause.scope():
        await asyncio.gather(read(), read())  # graphql-core runs fields as tasks
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_scope_without_a_pause_changes_nothing() -> None:
    with gc_pause.scope():
        assert gc.isenabled()
    assert gc.isenabled()


def test_a_long_pause_takes_no_new_holders(monkeypatch: pytest.MonkeyPatch) -> None:
    # graph queries overlapping without end must not keep collection off for good
    now = [100.0]
    monkeypatch.setattr(gc_pause.time, "monotonic", lambda: now[0])
    first = collection_paused()
    first.__enter__()
    now[0] += gc_pause.LONGEST / 2
    with collection_paused():  # joins a young pause
        pass
    assert not gc.isenabled()
    now[0] += gc_pause.LONGEST
    late = collection_paused()
    late.__enter__()  # too late to join: holds nothing
    first.__exit__(None, None, None)
    assert gc.isenabled()
    late.__exit__(None, None, None)
    assert gc.isenabled()
