"""Events stored before events were typed still reach subscribers: rows written in that
format (tests/stored_format.py: every event type, every row shape) with plain Core
inserts are replayed, and streamed live, through subscriptions on both databases."""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert

from taskforge.domain import events
from taskforge.persistence.tables import Event
from taskforge.realtime import streams
from taskforge.runtime import Runtime
from taskforge.services import workflows
from tests import stored_format
from tests.conftest import admin_of, make_settings, new_org
from tests.helpers import events_settled, served, subscribe, wait_for_subscribers

STATUS = """subscription($after: ID) { jobStatusChanged(after: $after) {
  eventId jobId queueId projectId workflowId jobType status previousStatus reason } }"""
PROGRESS = """subscription($id: ID!, $after: ID) {
  workflowProgress(workflowId: $id, after: $after) {
  eventId workflowId jobId jobStatus previousJobStatus reason workflowStatus
  stats { total completed completionPercentage counts { status count } } } }"""
TICKS = """subscription($after: ID) { schedulerTicks(after: $after) {
  eventId scheduleId occurrence firedAt jobId workflowId nextRunAt manual } }"""


@pytest.fixture
async def rt(database_url, tmp_path):
    runtime = Runtime.create(make_settings(database_url, tmp_path))
    await runtime.start(migrate=False, engines=False)
    yield runtime
    await runtime.stop()


async def write_stored_format(rt: Runtime, org: uuid.UUID, flow: uuid.UUID) -> None:
    rows = [
        {
            "organization_id": org,
            "topic": topic,
            "type": type_,
            "payload": payload,
            "span": span,
            "created_at": datetime.now(UTC),
        }
        for topic, type_, payload, span in stored_format.rows(org, flow)
    ]
    async with rt.db.write() as session:
        await session.execute(insert(Event.__table__), rows)


def expected(org: uuid.UUID, flow: uuid.UUID) -> list[tuple[str, dict[str, Any]]]:
    """(type, payload) of each stored event, in id order."""
    return [
        (row[1], payload)
        for row in stored_format.rows(org, flow)
        for payload in stored_format.payloads(row)
    ]


async def next_data(sub: Any, field: str) -> dict[str, Any]:
    msg = await sub.next()
    assert msg["type"] == "next", msg
    return dict(msg["payload"]["data"][field])


async def test_stored_rows_replay_through_subscriptions(rt) -> None:
    org = await new_org(rt.services)
    org_id = org.organization.id
    definition = {"name": "one", "jobs": [{"name": "a", "job_type": "t"}]}
    wf = await workflows.create(rt.services, admin_of(org), org.project.id, definition)
    await events_settled(rt)
    after = rt.tail.position
    async with served(rt) as base, subscribe(base, org.api_key.secret, STATUS) as live:
        await wait_for_subscribers(rt, 1)
        await write_stored_format(rt, org_id, wf.id)
        await events_settled(rt, timeout=10)
        wanted = expected(org_id, wf.id)
        ids = range(after + 1, after + 1 + len(wanted))
        status_changes = [
            (i, p) for i, (t, p) in zip(ids, wanted, strict=True) if t == "job.status_changed"
        ]

        # every type decodes, in order, with consecutive ids, to what was stored
        replay = streams.events(rt.tail, rt.db, org_id, set(events.BY_TYPE), after=after)
        async with contextlib.aclosing(replay) as stream:
            got = [events.delivered(await anext(stream)) for _ in wanted]
        assert [(d.event.type, d.event.payload()) for d in got] == wanted
        assert [d.seq for d in got] == list(ids)

        # the live stream read the same rows as the relay published them
        for seq, payload in status_changes:
            assert await next_data(live, "jobStatusChanged") == graphql_status(seq, payload)

        async with subscribe(base, org.api_key.secret, STATUS, {"after": str(after)}) as sub:
            for seq, payload in status_changes:
                assert await next_data(sub, "jobStatusChanged") == graphql_status(seq, payload)

        variables = {"id": str(wf.id), "after": str(after)}
        async with subscribe(base, org.api_key.secret, PROGRESS, variables) as sub:
            progress = [
                (i, t, p)
                for i, (t, p) in zip(ids, wanted, strict=True)
                if t in {"job.status_changed", "workflow.status_changed"}
                and p["workflowId"] == str(wf.id)
            ]
            for seq, type_, payload in progress:
                got_progress = await next_data(sub, "workflowProgress")
                assert got_progress == graphql_progress(seq, type_, payload)

        async with subscribe(base, org.api_key.secret, TICKS, {"after": str(after)}) as sub:
            for seq, payload in [
                (i, p) for i, (t, p) in zip(ids, wanted, strict=True) if t == "schedule.fired"
            ]:
                assert await next_data(sub, "schedulerTicks") == {
                    "eventId": str(seq),
                    "scheduleId": payload["scheduleId"],
                    "occurrence": payload["occurrence"],
                    "firedAt": payload["firedAt"],
                    "jobId": payload["jobId"],
                    "workflowId": payload["workflowId"],
                    "nextRunAt": payload["nextRunAt"],
                    "manual": payload["manual"],
                }
            await sub.nothing_for(0.2)


def graphql_status(seq: int, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "eventId": str(seq),
        **{k: payload[k] for k in ("jobId", "queueId", "projectId", "workflowId", "jobType")},
        "status": payload["status"],
        "previousStatus": payload["previousStatus"],
        "reason": payload["reason"],
    }


def graphql_progress(seq: int, type_: str, payload: dict[str, Any]) -> dict[str, Any]:
    is_job = type_ == "job.status_changed"
    flow = payload["workflow"] if is_job else payload
    stats = flow["stats"]
    return {
        "eventId": str(seq),
        "workflowId": payload["workflowId"],
        "jobId": payload["jobId"] if is_job else None,
        "jobStatus": payload["status"] if is_job else None,
        "previousJobStatus": payload["previousStatus"] if is_job else None,
        "reason": payload["reason"] if is_job else None,
        "workflowStatus": flow["status"],
        "stats": {
            "total": stats["total"],
            "completed": stats["completed"],
            "completionPercentage": stats["completionPercentage"],
            "counts": [{"status": s, "count": n} for s, n in stats["counts"].items()],
        },
    }
