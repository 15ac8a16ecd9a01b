"""Schedules over GraphQL: create, read with upcoming runs, preview, summary, codes."""

from __future__ import annotations

from datetime import timedelta

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


POLICIES = """id overlapPolicy jitter pauseAfterFailures consecutiveFailures pausedReason
  skippedCount bufferedOccurrence nextRunAt nextOccurrenceAt upcomingRuns(count: 2)"""
BACKFILL = """mutation($id: ID!, $from: DateTime!, $to: DateTime!) {
  backfillSchedule(id: $id, from: $from, to: $to) {
    occurrences created alreadyFired firstRunAt lastRunAt schedule { id runsCount } } }"""


async def test_policies_are_set_read_and_changed(gql, org) -> None:
    made = await gql.ok(
        f"mutation($input: ScheduleInput!) {{ createSchedule(input: $input) {{ {POLICIES} }} }}",
        {
            "input": job_input(
                org,
                expression="@daily",
                overlapPolicy="BUFFER_ONE",
                jitter=600,
                pauseAfterFailures=3,
            )
        },
    )
    s = made["createSchedule"]
    assert (s["overlapPolicy"], s["jitter"], s["pauseAfterFailures"]) == ("BUFFER_ONE", 600, 3)
    assert (s["consecutiveFailures"], s["pausedReason"], s["skippedCount"]) == (0, None, 0)
    assert s["bufferedOccurrence"] is None
    # midnight New York, fired up to ten minutes later
    assert s["nextOccurrenceAt"][11:16] in {"04:00", "05:00"}
    assert s["nextOccurrenceAt"] <= s["nextRunAt"] and s["upcomingRuns"][0] == s["nextRunAt"]
    update = f"""mutation($id: ID!, $input: ScheduleInput!) {{
      updateSchedule(id: $id, input: $input) {{ {POLICIES} }} }}"""
    kept = await gql.ok(update, {"id": s["id"], "input": {"jitter": 0}})
    assert kept["updateSchedule"]["pauseAfterFailures"] == 3  # absent: kept
    assert kept["updateSchedule"]["nextRunAt"] == kept["updateSchedule"]["nextOccurrenceAt"]
    off = await gql.ok(update, {"id": s["id"], "input": {"pauseAfterFailures": None}})
    assert off["updateSchedule"]["pauseAfterFailures"] is None  # null: off
    flow = await gql.ok(
        "mutation($input: ScheduleInput!) { createSchedule(input: $input) { overlapPolicy } }",
        {
            "input": {
                "name": "flow",
                "type": "RECURRING",
                "expression": "1h",
                "projectId": str(org.project.id),
                "workflowDefinition": {"name": "f", "jobs": [{"name": "a", "job_type": "t"}]},
            }
        },
    )
    assert flow["createSchedule"]["overlapPolicy"] == "SKIP"
    preview = await gql.ok('{ previewSchedule(type: CRON, expression: "@weekly", count: 2) }')
    assert all(r.endswith("T00:00:00+00:00") for r in preview["previewSchedule"])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"jitter": -1}, "jitter"),
        ({"jitter": 86_401}, "jitter"),
        ({"pauseAfterFailures": 0}, "pauseAfterFailures"),
        ({"pauseAfterFailures": 1001}, "pauseAfterFailures"),
        ({"expression": "@fortnightly"}, "expression"),
    ],
)
async def test_bad_policies_are_bad_user_input(gql, org, changes, field) -> None:
    body = await gql.raw(CREATE, {"input": job_input(org, **changes)})
    extensions = body["errors"][0]["extensions"]
    assert extensions["code"] == "BAD_USER_INPUT" and extensions["field"] == field
    assert (await gql.ok("{ schedules { totalCount } }"))["schedules"]["totalCount"] == 0


async def test_an_unknown_overlap_policy_is_refused(gql, org) -> None:
    body = await gql.raw(CREATE, {"input": job_input(org, overlapPolicy="SOMETIMES")})
    assert body["errors"][0]["extensions"]["code"] in (
        "BAD_USER_INPUT",
        "GRAPHQL_VALIDATION_FAILED",
    )
    assert "OverlapPolicy" in body["errors"][0]["message"]


async def test_backfill_over_graphql(gql, runtime, org, other_org) -> None:
    made = await gql.ok(CREATE, {"input": job_input(org, expression="0 * * * *")})
    sid = made["createSchedule"]["id"]
    now = runtime.services.clock()
    hour = now.replace(minute=0, second=0, microsecond=0)
    window = {"id": sid, "from": (hour - timedelta(hours=3)).isoformat(), "to": hour.isoformat()}
    report = (await gql.ok(BACKFILL, window))["backfillSchedule"]
    assert (report["occurrences"], report["created"], report["alreadyFired"]) == (4, 4, 0)
    assert report["firstRunAt"] <= report["lastRunAt"] and report["schedule"]["id"] == sid
    again = (await gql.ok(BACKFILL, window))["backfillSchedule"]
    assert (again["created"], again["alreadyFired"], again["firstRunAt"]) == (0, 4, None)
    future = {**window, "to": (now + timedelta(hours=1)).isoformat()}
    body = await gql.raw(BACKFILL, future)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == "to"
    async with asgi_client(runtime, other_org.api_key.secret) as other:
        assert await other.error(BACKFILL, window) == "NOT_FOUND"
    created = await gql.ok(
        'mutation { createApiKey(name: "read", permissions: ["scheduled_job:read"]) { secret } }'
    )
    async with asgi_client(runtime, created["createApiKey"]["secret"]) as reader:
        assert await reader.error(BACKFILL, window) == "FORBIDDEN"
