"""Schedules over GraphQL: create, read with upcoming runs, preview, summary, codes."""

from __future__ import annotations

import pytest

from tests.helpers import asgi_client

CREATE = """mutation($input: ScheduleInput!) { createSchedule(input: $input) {
  id type status nextRunAt runsCount timezone misfirePolicy upcomingRuns(count: 3) } }"""


@pytest.fixture
async def gql(runtime, org):
    async with asgi_client(runtime, org.api_key.secret) as client:
        yield client


def job_input(org, **kw):
    return {
        "name": "nightly",
        "type": "CRON",
        "expression": "30 2 * * *",
        "timezone": "America/New_York",
        "queueId": str(org.queue.id),
        "jobType": "report",
        **kw,
    }


async def test_create_read_update_trigger(gql, org) -> None:
    made = (await gql.ok(CREATE, {"input": job_input(org)}))["createSchedule"]
    assert made["status"] == "ACTIVE" and made["misfirePolicy"] == "FIRE_ONCE"
    runs = made["upcomingRuns"]
    assert len(runs) == 3 and runs[0] == made["nextRunAt"]
    # 02:30 New York is 06:30 or 07:30 UTC depending on DST, never anything else
    assert all(r[11:16] in {"06:30", "07:30"} for r in runs)
    updated = await gql.ok(
        'mutation($id: ID!) { updateSchedule(id: $id, input: {expression: "0 */6 * * *",'
        ' timezone: "UTC"}) { nextRunAt upcomingRuns(count: 2) } }',
        {"id": made["id"]},
    )
    first, second = updated["updateSchedule"]["upcomingRuns"]
    assert first[11:16] in {"00:00", "06:00", "12:00", "18:00"}
    assert first == updated["updateSchedule"]["nextRunAt"] and second > first
    triggered = await gql.ok(
        "mutation($id: ID!) { triggerSchedule(id: $id) { runsCount lastRunAt } }",
        {"id": made["id"]},
    )
    assert triggered["triggerSchedule"]["runsCount"] == 1
    listed = await gql.ok(
        '{ jobs(jobType: "report") { totalCount } schedules(status: [ACTIVE]) { totalCount }'
        " scheduleSummary { total active paused dueNow } }"
    )
    assert listed["jobs"]["totalCount"] == 1
    assert listed["schedules"]["totalCount"] == 1
    assert listed["scheduleSummary"] == {"total": 1, "active": 1, "paused": 0, "dueNow": 0}
    paused = await gql.ok(
        "mutation($id: ID!) { pauseSchedule(id: $id) { status upcomingRuns } }",
        {"id": made["id"]},
    )
    assert paused["pauseSchedule"] == {"status": "PAUSED", "upcomingRuns": []}
    again = await gql.error(
        "mutation($id: ID!) { pauseSchedule(id: $id) { id } }", {"id": made["id"]}
    )
    assert again == "CONFLICT"


async def test_preview_for_forms(gql) -> None:
    data = await gql.ok('query { previewSchedule(type: RECURRING, expression: "15m", count: 4) }')
    runs = data["previewSchedule"]
    assert len(runs) == 4
    cron = await gql.ok(
        'query { previewSchedule(type: CRON, expression: "0 9 * * MON-FRI",'
        ' timezone: "Europe/London", count: 5) }'
    )
    assert all(r[11:13] in {"08", "09"} for r in cron["previewSchedule"])


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"expression": "30 25 * * *"}, "hour"),
        ({"timezone": "Nowhere/City"}, "timezone"),
        ({"type": "RECURRING", "expression": "every day"}, "interval"),
        ({"type": "ONCE", "expression": "2001-01-01T00:00:00Z"}, "future"),
        ({"priority": -1}, "priority"),
        ({"jobType": None}, "target"),
    ],
)
async def test_bad_schedules_are_bad_user_input(gql, org, changes, needle) -> None:
    body = await gql.raw(CREATE, {"input": job_input(org, **changes)})
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert needle in error["message"].lower()
    assert (await gql.ok("{ schedules { totalCount } }"))["schedules"]["totalCount"] == 0


async def test_schedule_permissions(gql, runtime, org) -> None:
    created = await gql.ok(
        'mutation { createApiKey(name: "jobs", permissions: ["jobs:write"]) { secret } }'
    )
    async with asgi_client(runtime, created["createApiKey"]["secret"]) as limited:
        assert await limited.error(CREATE, {"input": job_input(org)}) == "FORBIDDEN"
        assert await limited.error("{ schedules { totalCount } }") == "FORBIDDEN"


@pytest.mark.parametrize("payload", [[1, {"a": 2}], "text", 7, None])
async def test_a_schedule_fires_any_payload_a_job_takes(gql, org, payload) -> None:
    """enqueueJob takes any JSON payload; a schedule fires its job with the same."""
    made = (await gql.ok(CREATE, {"input": job_input(org, payload={})}))["createSchedule"]
    await gql.ok(
        "mutation($id: ID!, $p: JSON) { updateSchedule(id: $id, input: {payload: $p}) { id } }",
        {"id": made["id"], "p": payload},
    )
    await gql.ok("mutation($id: ID!) { triggerSchedule(id: $id) { id } }", {"id": made["id"]})
    jobs = await gql.ok('{ jobs(jobType: "report") { edges { node { payload } } } }')
    assert [e["node"]["payload"] for e in jobs["jobs"]["edges"]] == [payload or {}]
