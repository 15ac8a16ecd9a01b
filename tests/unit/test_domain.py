from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskforge.domain import validation
from taskforge.domain.enums import JobStatus
from taskforge.domain.errors import InvalidInput, InvalidTransition
from taskforge.domain.inputs import EARLIEST, LATEST
from taskforge.domain.jobs import TERMINAL, can_transition, check_transition
from taskforge.domain.queues import QueueSettings, RetryPolicy, validate_settings
from taskforge.domain.tenancy import grants, validate_permissions
from taskforge.services import pagination


@pytest.mark.parametrize("value", ["", "   ", "x" * 201])
def test_bad_names_are_rejected(value: str) -> None:
    with pytest.raises(InvalidInput):
        validation.name(value)


@pytest.mark.parametrize("value", ["nope", "a@b", "@example.com", "a b@example.com"])
def test_bad_emails_are_rejected(value: str) -> None:
    with pytest.raises(InvalidInput):
        validation.email(value)


def test_email_is_normalised() -> None:
    assert validation.email("  Ada@Example.COM ") == "ada@example.com"


@given(st.integers())
def test_priority_range(value: int) -> None:
    if 0 <= value <= 9:
        assert validation.priority(value) == value
    else:
        with pytest.raises(InvalidInput):
            validation.priority(value)


def test_payload_limit_counts_serialised_bytes() -> None:
    validation.json_payload({"a": "x" * 10}, max_bytes=20)
    with pytest.raises(InvalidInput) as exc:
        validation.json_payload({"a": "x" * 100}, max_bytes=20)
    assert exc.value.details["limit"] == 20


@pytest.mark.parametrize("job_type", ["", "has space", "x" * 201, "semi;colon"])
def test_bad_job_types(job_type: str) -> None:
    with pytest.raises(InvalidInput):
        validation.job_type(job_type)


def test_terminal_jobs_cannot_be_cancelled() -> None:
    for status in TERMINAL:
        assert not can_transition(status, JobStatus.CANCELLED)
        with pytest.raises(InvalidTransition):
            check_transition("j", status, JobStatus.CANCELLED)
    for status in (JobStatus.PENDING, JobStatus.SCHEDULED, JobStatus.PROCESSING):
        assert can_transition(status, JobStatus.CANCELLED)


def test_only_processing_jobs_succeed() -> None:
    allowed = {s for s in JobStatus if can_transition(s, JobStatus.SUCCEEDED)}
    assert allowed == {JobStatus.PROCESSING}


def test_permissions() -> None:
    assert grants(frozenset({"admin"}), "jobs:write")
    assert grants(frozenset({"jobs:read"}), "jobs:read")
    assert not grants(frozenset({"jobs:read"}), "jobs:write")
    with pytest.raises(InvalidInput):
        validate_permissions(["jobs:read", "root"])
    with pytest.raises(InvalidInput):
        validate_permissions([])


def test_queue_settings_validation_and_round_trip() -> None:
    s = QueueSettings(RetryPolicy(max_attempts=5, base_delay=2, multiplier=3, max_delay=60), 30)
    assert QueueSettings.from_json(s.to_json()) == s
    with pytest.raises(InvalidInput):
        validate_settings(QueueSettings(RetryPolicy(max_attempts=0)))
    with pytest.raises(InvalidInput):
        validate_settings(QueueSettings(RetryPolicy(base_delay=10, max_delay=5)))
    with pytest.raises(InvalidInput):
        validate_settings(QueueSettings(timeout_seconds=0))


# the times a record can hold: every timestamp taken in is checked against this range
STORABLE = st.datetimes(
    min_value=EARLIEST.replace(tzinfo=None),
    max_value=LATEST.replace(tzinfo=None) - timedelta(microseconds=1),
    timezones=st.just(UTC),
)


@given(STORABLE, st.uuids())
def test_cursor_round_trip(at: datetime, ident) -> None:  # type: ignore[no-untyped-def]
    assert pagination.decode(pagination.encode(at, ident)) == (at, ident)


# out of the range in UTC whatever their offset (at most 14 hours)
OFFSET = timedelta(hours=14)


@given(
    st.one_of(
        st.datetimes(max_value=EARLIEST.replace(tzinfo=None) - OFFSET - timedelta(microseconds=1)),
        st.datetimes(min_value=LATEST.replace(tzinfo=None) + OFFSET),
    ),
    st.sampled_from([UTC, timezone(OFFSET), timezone(-OFFSET)]),
    st.uuids(),
)
def test_a_cursor_of_a_time_no_record_holds_is_bad_input(  # type: ignore[no-untyped-def]
    at: datetime, zone, ident
) -> None:
    """A forged cursor's time outside the storable range (e.g. year 1 at +14:00, before
    year 1 in UTC) is refused before it reaches a database bind."""
    with pytest.raises(InvalidInput):
        pagination.decode(pagination.encode(at.replace(tzinfo=zone), ident))


@pytest.mark.parametrize("cursor", ["", "!!!", "bm90LWEtY3Vyc29y"])
def test_garbage_cursor(cursor: str) -> None:
    with pytest.raises(InvalidInput):
        pagination.decode(cursor)
