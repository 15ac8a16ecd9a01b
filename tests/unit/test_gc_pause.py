"""The counted pause of cyclic collection around big graph reads."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

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
