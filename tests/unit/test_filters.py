"""Subscription filters: the pre-check on the relayed dict agrees with the typed filter on
every event kind, and what it rejects is never decoded."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest

from taskforge.domain import events
from taskforge.domain.enums import DependencyStatus, JobStatus
from taskforge.realtime import filters
from tests import stored_format

ORG, FLOW, OTHER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
QUEUE, JOB = uuid.UUID(stored_format.QUEUE), uuid.UUID(stored_format.JOB)
SCHEDULE = uuid.UUID(stored_format.SCHEDULE)


def variants(type_: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The stored payload, and copies moved along each field a filter reads: every status,
    dependency status, another queue, workflow (or none), job and schedule."""
    out = [payload]
    if "status" in payload and type_ in filters.JOB_EVENTS:
        out += [{**payload, "status": s.value} for s in JobStatus]
    if "dependencyStatus" in payload:
        out += [{**payload, "dependencyStatus": s.value} for s in DependencyStatus]
    if "queueId" in payload:
        out += [{**p, "queueId": str(OTHER)} for p in list(out)]
        # another spelling of the same id: the typed filter parses it, so must the check
        out += [{**payload, "queueId": payload["queueId"].upper()}]
    if "workflowId" in payload:
        out += [{**p, "workflowId": w} for p in list(out) for w in (str(FLOW), str(OTHER), None)]
        out += [{**payload, "workflowId": str(FLOW).upper()}]
    if "jobId" in payload:
        out += [{**payload, "jobId": str(OTHER)}]
    if "scheduleId" in payload:
        out += [{**payload, "scheduleId": str(OTHER)}]
    if "executionId" in payload:
        out += [{**payload, "executionId": str(OTHER)}]
        out += [{**payload, "executionId": payload["executionId"].upper()}]
    return out


def relayed(seq: int, type_: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "seq": seq,
        "organizationId": str(ORG),
        "topic": "t",
        "type": type_,
        "payload": copy.deepcopy(payload),
        "createdAt": stored_format.AT,
    }


def decodes(message: dict[str, Any]) -> bool:
    try:
        events.decode(message["type"], ORG, message["payload"])
    except (KeyError, TypeError, ValueError):  # e.g. a workflow event without its workflow
        return False
    return True


MESSAGES = [
    relayed(seq, type_, payload)
    for seq, (type_, payload) in enumerate(
        (
            (row[1], variant)
            for row in stored_format.rows(ORG, FLOW)
            for stored in stored_format.payloads(row)
            for variant in variants(row[1], stored)
        ),
        start=1,
    )
    if decodes(relayed(seq, type_, payload))
]

FILTERS: dict[str, filters.Filter] = {
    "jobStatus": filters.job_status(None, None, None, None),
    "jobStatus job": filters.job_status(JOB, None, None, None),
    "jobStatus other job": filters.job_status(OTHER, None, None, None),
    "jobStatus queue": filters.job_status(None, QUEUE, None, None),
    "jobStatus other queue": filters.job_status(None, OTHER, None, None),
    "jobStatus workflow": filters.job_status(None, None, FLOW, None),
    "jobStatus statuses": filters.job_status(
        None, None, None, [JobStatus.FAILED, JobStatus.PENDING]
    ),
    "jobStatus all": filters.job_status(JOB, QUEUE, FLOW, [JobStatus.SUCCEEDED]),
    "workflowProgress": filters.workflow_progress(FLOW),
    "workflowProgress other": filters.workflow_progress(OTHER),
    "schedulerTicks": filters.scheduler_ticks(None),
    "schedulerTicks one": filters.scheduler_ticks(SCHEDULE),
    "schedulerTicks other": filters.scheduler_ticks(OTHER),
    "jobsAvailable": filters.jobs_available(None),
    "jobsAvailable queue": filters.jobs_available([QUEUE]),
    "jobsAvailable other": filters.jobs_available([OTHER]),
    "jobsAvailable both": filters.jobs_available([OTHER, QUEUE]),
    "executionLogs": filters.execution_logs(uuid.UUID(stored_format.EXECUTION)),
    "executionLogs other": filters.execution_logs(OTHER),
}


def test_the_messages_cover_every_event_kind() -> None:
    assert {m["type"] for m in MESSAGES} == set(events.BY_TYPE)


@pytest.mark.parametrize("name", list(FILTERS))
def test_the_pre_check_agrees_with_the_typed_filter(name: str) -> None:
    accept = FILTERS[name]
    relayed_filter = filters.accepting(accept)
    passed = rejected_early = 0
    for message in MESSAGES:
        typed = accept(events.decode(message["type"], ORG, message["payload"]))
        fresh = copy.deepcopy(message)
        assert relayed_filter(fresh) is typed, (name, message)
        if not accept.may_pass(message):
            assert not typed, (name, message)  # it only rejects what the typed one would
            rejected_early += 1
        passed += typed
    assert passed  # every filter lets something through
    assert rejected_early  # and turns something away without decoding it


@pytest.mark.parametrize(
    ("name", "type_", "field", "value"),
    [
        ("jobsAvailable", "job.status_changed", "status", "PROCESSING"),
        ("jobsAvailable", "job.status_changed", "status", "SUCCEEDED"),
        ("jobsAvailable", "jobs.released", "dependencyStatus", "WAITING"),
        ("jobsAvailable other", "job.status_changed", "status", "PENDING"),
        ("jobsAvailable", "workflow.status_changed", "status", "RUNNING"),
        ("jobStatus statuses", "job.status_changed", "status", "PROCESSING"),
        ("jobStatus other queue", "job.status_changed", "status", "PENDING"),
        ("workflowProgress other", "job.status_changed", "status", "PENDING"),
        ("schedulerTicks", "schedule.updated", "status", "ACTIVE"),
    ],
)
def test_what_the_pre_check_rejects_is_never_decoded(
    name: str, type_: str, field: str, value: str
) -> None:
    message = next(
        m
        for m in MESSAGES
        if m["type"] == type_
        and m["payload"].get(field) == value
        and not FILTERS[name](events.decode(type_, ORG, m["payload"]))
    )
    message = copy.deepcopy(message)
    message.pop(events.TYPED, None)
    assert not filters.accepting(FILTERS[name])(message)
    assert events.TYPED not in message  # decided on the relayed dict alone


def test_accepted_events_are_decoded_once_for_every_subscriber() -> None:
    message = copy.deepcopy(
        next(
            m
            for m in MESSAGES
            if m["type"] == "job.status_changed" and m["payload"]["status"] == "PENDING"
        )
    )
    subscribers = [filters.accepting(FILTERS["jobsAvailable"]) for _ in range(3)]
    assert all(accept(message) for accept in subscribers)
    typed = message[events.TYPED]
    assert all(accept(message) for accept in subscribers)
    assert message[events.TYPED] is typed


def test_the_queue_of_a_signal_is_read_without_decoding() -> None:
    for message in (m for m in MESSAGES if m["type"] in filters.JOBS_AVAILABLE):
        fresh = copy.deepcopy(message)
        queue = filters.queue_of(fresh)
        assert events.TYPED not in fresh
        event = events.decode(message["type"], ORG, message["payload"])
        assert isinstance(
            event, events.JobStatusChanged | events.JobsReleased | events.QueueResumed
        )
        assert queue == event.queue_id
