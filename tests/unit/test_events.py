"""Typed events: every type decodes what the writers stored before events were typed and
encodes it back unchanged; a batch's rows, relayed as JSON and expanded, decode to the
events written."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from taskforge.domain import events
from taskforge.domain.enums import DependencyStatus, JobStatus, ScheduleStatus, WorkflowStatus
from tests import stored_format

ORG, FLOW = uuid.uuid4(), uuid.uuid4()
STORED = stored_format.rows(ORG, FLOW)
SINGLE = [
    (type_, payload)
    for row in STORED
    for payload in stored_format.payloads(row)
    for type_ in [row[1]]
]


def test_every_event_type_has_a_stored_example() -> None:
    assert {type_ for _, type_, _, _ in STORED} == set(events.BY_TYPE)
    assert len(events.BY_TYPE) == len(events.EVENT_TYPES)  # no type name given twice


@pytest.mark.parametrize(
    ("type_", "payload"), SINGLE, ids=[f"{t}-{i}" for i, (t, _) in enumerate(SINGLE)]
)
def test_a_stored_payload_decodes_and_encodes_back_unchanged(
    type_: str, payload: dict[str, Any]
) -> None:
    event = events.decode(type_, ORG, json.loads(json.dumps(payload)))
    assert type(event).type == type_ and event.organization_id == ORG
    assert event.topic == next(t for t, y, _, _ in STORED if y == type_)
    assert event.payload() == payload
    assert list(event.payload()) == list(payload)  # the same key order as before
    [row] = events.encode([event])
    assert row == {
        "organization_id": ORG,
        "topic": event.topic,
        "type": type_,
        "payload": payload,
        "span": 1,
    }


def test_decoded_events_carry_typed_fields() -> None:
    by_type: dict[str, list[events.Event]] = {}
    for type_, payload in SINGLE:
        by_type.setdefault(type_, []).append(events.decode(type_, ORG, payload))
    moved = by_type["job.status_changed"][1]
    assert isinstance(moved, events.JobStatusChanged)
    assert moved.job_id == uuid.UUID(stored_format.JOB) and moved.workflow_id == FLOW
    assert moved.status is JobStatus.PROCESSING and moved.previous_status is JobStatus.PENDING
    assert moved.workflow is not None and moved.workflow.status is WorkflowStatus.RUNNING
    assert moved.workflow.stats.counts[JobStatus.PROCESSING] == 1
    [released] = by_type["jobs.released"]
    assert isinstance(released, events.JobsReleased)
    assert released.dependency_status is DependencyStatus.SATISFIED
    assert released.job_ids == (uuid.UUID(stored_format.JOB), uuid.UUID(stored_format.OTHER_JOB))
    fired = by_type["schedule.fired"][0]
    assert isinstance(fired, events.ScheduleFired)
    assert fired.occurrence == datetime(2026, 12, 1, 10, tzinfo=UTC)
    assert fired.status is ScheduleStatus.ACTIVE and fired.manual is False
    deleted = by_type["job.deleted"][0]
    assert isinstance(deleted, events.JobDeleted) and isinstance(deleted, events.JobStatusChanged)


def test_events_are_frozen_and_slotted() -> None:
    for cls in events.EVENT_TYPES:
        assert dataclasses.is_dataclass(cls) and "__slots__" in cls.__dict__
    event = events.ApiKeyCreated(ORG, uuid.uuid4())
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.api_key_id = uuid.uuid4()  # type: ignore[misc]
    assert not hasattr(event, "__dict__")


def relayed(rows: list[dict[str, Any]], first_seq: int = 1) -> list[dict[str, Any]]:
    """What subscribers receive for these rows: stamped, sent as JSON, expanded."""
    out, seq = [], first_seq
    for row in rows:
        message = {
            "seq": seq,
            "span": row["span"],
            "organizationId": str(row["organization_id"]),
            "topic": row["topic"],
            "type": row["type"],
            "payload": row["payload"],
            "createdAt": "2026-12-01T10:00:00+00:00",
        }
        out += events.expand(json.loads(json.dumps(message)))
        seq += row["span"]
    return out


def test_a_batch_round_trips_through_rows_and_the_relay() -> None:
    written = [events.decode(type_, ORG, payload) for type_, payload in SINGLE]
    received = relayed(events.encode(written))
    decoded = [events.delivered(m) for m in received]
    assert [d.event for d in decoded] == written
    assert [d.seq for d in decoded] == list(range(1, len(written) + 1))
    assert events.delivered(received[0]) is decoded[0]  # decoded once, kept


def test_one_workflow_state_is_stored_once_for_a_run() -> None:
    state = events.WorkflowState(
        WorkflowStatus.RUNNING, events.WorkflowStats.decode(stored_format.STATS)
    )

    def changed(status: JobStatus, workflow: events.WorkflowState | None) -> events.Event:
        return events.JobStatusChanged(
            ORG, uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), FLOW, "t", status, None, None, workflow
        )

    batch = [changed(JobStatus.PENDING, state), changed(JobStatus.PROCESSING, state)]
    [row] = events.encode(batch)
    assert row["span"] == 2 and row["payload"]["workflow"] == {
        "status": "RUNNING",
        "stats": stored_format.STATS,
    }
    assert all("workflow" not in p for p in row["payload"]["events"])
    assert [events.delivered(m).event for m in relayed([row])] == batch
    mixed = [changed(JobStatus.PENDING, state), changed(JobStatus.PENDING, None)]
    [listed] = events.encode(mixed)
    assert isinstance(listed["payload"], list)
    assert [events.delivered(m).event for m in relayed([listed])] == mixed


def test_job_events_without_a_state_take_their_workflows_as_encoded() -> None:
    """``encode``'s ``workflows``: the state of the events' workflows, stored as if each
    event carried its own; an event's own state wins, other workflows' events get none."""
    state = events.WorkflowState(
        WorkflowStatus.RUNNING, events.WorkflowStats.decode(stored_format.STATS)
    )
    own = events.WorkflowState(WorkflowStatus.PAUSED, state.stats)

    def changed(
        workflow_id: uuid.UUID | None, workflow: events.WorkflowState | None = None
    ) -> events.Event:
        return events.JobStatusChanged(
            ORG,
            uuid.uuid4(),
            uuid.uuid4(),
            uuid.uuid4(),
            workflow_id,
            "t",
            JobStatus.PENDING,
            None,
            None,
            workflow,
        )

    bare = [changed(FLOW), changed(FLOW)]
    [row] = events.encode(bare, {FLOW: state})
    carried = [dataclasses.replace(e, workflow=state) for e in bare]
    assert row == events.encode(carried)[0]
    assert [events.delivered(m).event for m in relayed([row])] == carried
    other, alone = changed(uuid.uuid4()), changed(None)
    mixed = [changed(FLOW, own), other, alone]
    rows = events.encode(mixed, {FLOW: state})
    assert [events.delivered(m).event for m in relayed(rows)] == mixed
