"""Idempotency key rules: what a key may be, and a fingerprint that is the same for the
same request however its JSON is ordered, and differs for any other input."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskforge.domain import idempotency
from taskforge.domain.errors import InvalidInput
from taskforge.services.jobs import NewJob

QUEUE = uuid.UUID(int=7)


def test_keys_are_taken_as_given_or_refused_naming_the_field() -> None:
    assert idempotency.key(None) is None
    assert idempotency.key(" padded ") == " padded "  # compared exactly
    assert idempotency.key("k" * idempotency.MAX_KEY) == "k" * idempotency.MAX_KEY
    for bad in ("", " \t", "k" * (idempotency.MAX_KEY + 1), "a\x00b", "\ud800"):
        with pytest.raises(InvalidInput) as refused:
            idempotency.key(bad)
        assert refused.value.details["field"] == "idempotencyKey"


def test_scopes_name_their_queue_or_schedule() -> None:
    assert idempotency.queue_scope(QUEUE) == f"queue:{QUEUE}"
    assert idempotency.schedule_scope(QUEUE) == f"schedule:{QUEUE}"
    assert len(idempotency.schedule_scope(uuid.uuid4())) <= 64  # the column's width


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(st.dictionaries(st.text(max_size=4), json_values, max_size=6))
def test_a_payload_in_any_key_order_is_one_request(payload: dict[str, object]) -> None:
    shuffled = dict(reversed(list(payload.items())))
    a = NewJob(QUEUE, "t", payload, idempotency_key="k")
    b = NewJob(QUEUE, "t", shuffled, idempotency_key="k")
    assert idempotency.fingerprint(a) == idempotency.fingerprint(b)


def test_every_input_of_a_job_changes_its_fingerprint() -> None:
    base = NewJob(QUEUE, "t", {"a": 1}, 5, datetime(2030, 1, 1, tzinfo=UTC), 3, "k")
    others = [
        NewJob(QUEUE, "u", {"a": 1}, 5, datetime(2030, 1, 1, tzinfo=UTC), 3, "k"),
        NewJob(QUEUE, "t", {"a": 2}, 5, datetime(2030, 1, 1, tzinfo=UTC), 3, "k"),
        NewJob(QUEUE, "t", {"a": 1.5}, 5, datetime(2030, 1, 1, tzinfo=UTC), 3, "k"),
        NewJob(QUEUE, "t", {"a": 1}, 6, datetime(2030, 1, 1, tzinfo=UTC), 3, "k"),
        NewJob(QUEUE, "t", {"a": 1}, 5, datetime(2030, 1, 2, tzinfo=UTC), 3, "k"),
        NewJob(QUEUE, "t", {"a": 1}, 5, None, 3, "k"),
        NewJob(QUEUE, "t", {"a": 1}, 5, datetime(2030, 1, 1, tzinfo=UTC), None, "k"),
    ]
    prints = {idempotency.fingerprint(j) for j in [base, *others]}
    assert len(prints) == len(others) + 1
    assert all(len(p) == 64 for p in prints)


def test_values_json_does_not_know_still_have_a_fingerprint() -> None:
    class Opaque:
        def __str__(self) -> str:
            return "opaque"

    assert idempotency.fingerprint({"x": Opaque()}) == idempotency.fingerprint({"x": "opaque"})


def test_a_reused_key_is_a_conflict_naming_the_field() -> None:
    error = idempotency.reused("k" * 300, 24.0)
    assert error.code == "CONFLICT" and error.details == {"field": "idempotencyKey"}
    assert "24 hours" in error.message and len(error.message) < 250
