"""Schedule.runs over GraphQL on both databases: occurrences newest first, fired and
backfilled (a waiting one has no firedAt and no run yet), their jobs and workflows,
paging, bad input, tenancy and a fixed number of statements for a page of schedules."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from taskforge.domain.enums import OverlapPolicy, ScheduleKind
from taskforge.services import backfill, jobs, schedule_history, scheduler, schedules
from taskforge.services.schedules import ScheduleSpec
from tests.conftest import admin_of, new_org
from tests.helpers import GraphQLClient, asgi_client
from tests.integration.test_execution import Clock
from tests.integration.test_job_filters import FORGED_TIMES, forged
from tests.integration.test_queue_stats import request_reads
from tests.integration.test_schedule_policies import FLOW, START, at
from tests.integration.test_schedules import job_spec, run_until
from tests.integration.test_workflow_data import statements

RUNS = """query($id: ID!, $first: Int!, $after: String) { schedule(id: $id) {
  runs(first: $first, after: $after) {
    edges { cursor node { occurrence firedAt job { id status } workflow { id status } } }
    pageInfo { hasNextPage endCursor } } } }"""


def iso(value: Any) -> str:
    return str(value.isoformat())


@pytest.fixture
def clock(svc):
    c = Clock(svc)
    c.now = START
    return c


@pytest.fixture
async def gql(runtime, org):
    async with asgi_client(runtime, org.api_key.secret) as client:
        yield client


async def runs(
    gql: GraphQLClient, schedule_id: Any, first: int = 20, after: str | None = None
) -> Any:
    data = await gql.ok(RUNS, {"id": str(schedule_id), "first": first, "after": after})
    return data["schedule"]["runs"]


async def test_fired_and_backfilled_occurrences_newest_first(gql, svc, org, admin, clock) -> None:
    s = await schedules.create(svc, admin, job_spec(org, expression="0 * * * *"))
    await run_until(svc, clock, at(11, 1), step=60)  # the timetable fires 10:00 and 11:00
    fired_at = clock.now
    await backfill.backfill(svc, admin, s.id, at(5), at(8))  # four occurrences wait
    await scheduler.tick(svc)  # the first backfilled one (05:00) fires, at once
    got = await runs(gql, s.id)
    nodes = [e["node"] for e in got["edges"]]
    assert [n["occurrence"] for n in nodes] == [iso(at(h)) for h in (11, 10, 8, 7, 6, 5)]
    # waiting backfilled occurrences: no firedAt, no run yet
    assert [n["firedAt"] is None for n in nodes] == [False, False, True, True, True, False]
    assert [n["job"] is None for n in nodes] == [False, False, True, True, True, False]
    assert nodes[-1]["firedAt"] == iso(clock.now)
    assert nodes[0]["firedAt"] <= iso(fired_at) and nodes[0]["job"]["status"] == "PENDING"
    assert all(n["workflow"] is None for n in nodes)
    assert got["pageInfo"]["hasNextPage"] is False
    # a deleted job leaves its occurrence without one
    await jobs.delete(svc, admin, uuid.UUID(nodes[0]["job"]["id"]))
    assert (await runs(gql, s.id, 1))["edges"][0]["node"]["job"] is None


async def test_a_workflow_schedule_names_its_runs(gql, svc, org, admin, clock) -> None:
    spec = ScheduleSpec(
        name="wf",
        kind=ScheduleKind.CRON,
        expression="*/30 * * * *",
        workflow_definition=FLOW,
        project_id=org.project.id,
        overlap_policy=OverlapPolicy.ALLOW_ALL,  # the first run is still live at 10:00
    )
    s = await schedules.create(svc, admin, spec)
    await run_until(svc, clock, at(10, 1), step=60)
    nodes = [e["node"] for e in (await runs(gql, s.id))["edges"]]
    assert [n["occurrence"] for n in nodes] == [iso(at(10)), iso(at(9, 30))]
    assert all(n["job"] is None and n["workflow"]["status"] == "RUNNING" for n in nodes)
    assert len({n["workflow"]["id"] for n in nodes}) == 2


async def test_pages_follow_the_cursor(gql, svc, org, admin, clock) -> None:
    s = await schedules.create(svc, admin, job_spec(org, expression="*/10 * * * *"))
    await run_until(svc, clock, at(10, 1), step=60)  # 09:10 ... 10:00: six occurrences
    seen, after = [], None
    while True:
        page = await runs(gql, s.id, 4, after)
        seen += [e["node"]["occurrence"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    assert seen == [iso(at(10) - timedelta(minutes=10 * i)) for i in range(6)]
    empty = await runs(gql, s.id, 0)
    assert empty["edges"] == [] and empty["pageInfo"]["hasNextPage"] is True


async def test_bad_paging_is_bad_input(gql, svc, org, admin) -> None:
    s = await schedules.create(svc, admin, job_spec(org))
    for first, after in ((-1, None), (svc.settings.limits.page_size + 1, None), (5, "garbage")):
        body = await gql.raw(RUNS, {"id": str(s.id), "first": first, "after": after})
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["field"] == ("first" if after is None else "after")


@pytest.mark.parametrize("when", FORGED_TIMES)
async def test_a_forged_cursor_fails_its_field_alone(gql, svc, org, admin, clock, when) -> None:
    """A cursor of a time out of range is BAD_USER_INPUT on its own field, before the
    batch of pages is read: the other schedule's runs, asked for alongside, do not fail
    with it (the schedules are non-null, so the data is null either way)."""
    first = await schedules.create(svc, admin, job_spec(org, name="a"))
    second = await schedules.create(svc, admin, job_spec(org, name="b"))
    await run_until(svc, clock, at(9, 6), step=60)
    query = """query($a: ID!, $b: ID!, $after: String) {
      a: schedule(id: $a) { runs(first: 5, after: $after) { edges { node { occurrence } } } }
      b: schedule(id: $b) { runs(first: 5) { edges { node { occurrence } } } } }"""
    body = await gql.raw(query, {"a": str(first.id), "b": str(second.id), "after": forged(when)})
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "after"
    assert error["path"] == ["a", "runs"]
    ok = await gql.ok(query, {"a": str(first.id), "b": str(second.id)})
    assert ok["b"]["runs"]["edges"] == [{"node": {"occurrence": iso(at(9, 5))}}]


async def test_another_tenants_schedule_is_not_found(gql, svc, org, admin, clock) -> None:
    globex = await new_org(svc, "Globex")
    theirs = await schedules.create(svc, admin_of(globex), job_spec(globex))
    mine = await schedules.create(svc, admin, job_spec(org))
    await run_until(svc, clock, at(9, 6), step=60)
    assert await gql.error(RUNS, {"id": str(theirs.id), "first": 5}) == "NOT_FOUND"
    # the service reads only the caller's rows, whatever schedule it is asked for
    [page] = await schedule_history.pages(svc, admin_of(globex), [(mine.id, 5, None)])
    assert page.items == [] and not page.has_next
    [page] = await schedule_history.pages(svc, admin, [(mine.id, 5, None)])
    assert [r.occurrence for r in page.items] == [at(9, 5)]


async def test_a_page_of_schedules_reads_runs_in_fixed_statements(
    runtime, gql, svc, org, admin, clock
) -> None:
    query = (
        "{ schedules(first: 50) { edges { node { name runs(first: 3) { edges { node "
        "{ occurrence firedAt job { id } workflow { id } } } } } } } }"
    )

    async def reads(n: int) -> int:
        made = len((await schedules.list_schedules(svc, admin, first=100, after=None)).items)
        for i in range(made, n):
            spec = job_spec(org, expression="*/5 * * * *", name=f"j{i}")
            if i % 2:
                spec = ScheduleSpec(
                    name=f"w{i}",
                    kind=ScheduleKind.CRON,
                    expression="*/5 * * * *",
                    workflow_definition=FLOW,
                    project_id=org.project.id,
                )
            await schedules.create(svc, admin, spec)
        await run_until(svc, clock, clock.now + timedelta(minutes=10), step=60)
        await gql.ok("{ viewer { permissions } }")  # the key is known: no lookup
        with statements(runtime) as seen:
            data = await gql.ok(query)
        edges = data["schedules"]["edges"]
        assert len(edges) == n
        assert all(e["node"]["runs"]["edges"] for e in edges)
        return len(request_reads(seen))

    few = await reads(2)
    many = await reads(8)
    # schedules page, runs, their jobs, their workflows
    assert few == many == 4, (few, many)
