"""The event tail's dispatch: routed feeds get only their own workflow's or job's
events, filters run before anything is buffered, and a failing filter harms no one."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from taskforge.realtime.tail import EventTail

ORG, OTHER = uuid.uuid4(), uuid.uuid4()
STATUS = "job.status_changed"


def event(seq: int, workflow: str | None, job: str, org: uuid.UUID = ORG, **payload: Any) -> Any:
    return {
        "seq": seq,
        "organizationId": str(org),
        "type": STATUS,
        "payload": {"workflowId": workflow, "jobId": job, "status": "PENDING", **payload},
    }


def drain(feed: Any) -> list[int]:
    got = []
    while not feed._queue.empty():
        got.append(feed._queue.get_nowait()["seq"])
    return got


def test_routed_feeds_get_only_their_own_events() -> None:
    tail = EventTail(db=None, broker=None, poll_interval=1.0)  # type: ignore[arg-type]
    w1, w2, job = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    flow1, _ = tail.attach(ORG, {STATUS}, route=("workflowId", w1))
    flow2, _ = tail.attach(ORG, {STATUS}, route=("workflowId", w2))
    one_job, _ = tail.attach(ORG, {STATUS}, route=("jobId", job))
    firehose, _ = tail.attach(ORG, {STATUS})
    pending_only, _ = tail.attach(ORG, {STATUS}, accept=lambda e: e["payload"]["x"] == 1)
    elsewhere, _ = tail.attach(OTHER, {STATUS}, route=("workflowId", w1))
    assert tail.subscribers == 6

    tail._dispatch(event(1, w1, str(uuid.uuid4()), x=1))
    tail._dispatch(event(2, w2, job, x=2))
    tail._dispatch(event(3, None, str(uuid.uuid4()), x=1))
    tail._dispatch(event(4, w1, str(uuid.uuid4()), org=OTHER, x=1))

    assert drain(flow1) == [1]
    assert drain(flow2) == [2]
    assert drain(one_job) == [2]
    assert drain(firehose) == [1, 2, 3]
    assert drain(pending_only) == [1, 3]  # filtered before buffering
    assert drain(elsewhere) == [4]  # another tenant's same workflow id: its own only

    for feed in (flow1, flow2, one_job, firehose, pending_only, elsewhere):
        tail.detach(feed)
    assert tail.subscribers == 0 and not tail._routed and not tail._feeds


def test_a_failing_filter_stops_only_its_own_feed(caplog: pytest.LogCaptureFixture) -> None:
    tail = EventTail(db=None, broker=None, poll_interval=1.0)  # type: ignore[arg-type]
    broken, _ = tail.attach(ORG, {STATUS}, accept=lambda e: e["payload"]["missing"])
    fine, _ = tail.attach(ORG, {STATUS})
    tail._dispatch(event(1, None, str(uuid.uuid4())))
    assert drain(broken) == [] and drain(fine) == [1]
    assert tail.position == 1
    assert "subscription filter failed" in caplog.text


def test_routes_are_payload_fields_the_tail_knows() -> None:
    tail = EventTail(db=None, broker=None, poll_interval=1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        tail.attach(ORG, {STATUS}, route=("queueId", "q"))
