"""jobs(workflowId, createdAfter/Before, finishedAfter/Before) over GraphQL on both
databases: inclusive After and exclusive Before bounds, paging with the filters, another
tenant's workflow NOT_FOUND, bad bounds BAD_USER_INPUT."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from taskforge.domain.enums import WorkerType
from taskforge.services import executions, jobs, workers, workflows
from taskforge.services.workers import QueueWeight
from tests.conftest import admin_of, new_org
from tests.helpers import GraphQLClient, asgi_client

JOBS = """query($first: Int!, $after: String, $wf: ID, $ca: DateTime, $cb: DateTime,
  $fa: DateTime, $fb: DateTime, $q: ID, $status: [JobStatus!]) {
  jobs(first: $first, after: $after, workflowId: $wf, createdAfter: $ca, createdBefore: $cb,
       finishedAfter: $fa, finishedBefore: $fb, queueId: $q, status: $status) {
    totalCount edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }"""
T0 = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)


def iso(at: datetime) -> str:
    return at.isoformat()


@pytest.fixture
async def gql(runtime, org):
    async with asgi_client(runtime, org.api_key.secret) as client:
        yield client


async def listed(gql: GraphQLClient, **variables: Any) -> list[str]:
    """Every page's ids, in order, two at a time (the cursor carries the filters on)."""
    ids: list[str] = []
    after = None
    while True:
        data = await gql.ok(JOBS, {"first": 2, "after": after, **variables})
        page = data["jobs"]
        ids += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            assert page["totalCount"] == len(ids)
            return ids
        after = page["pageInfo"]["endCursor"]


@pytest.fixture
async def timeline(svc, org, admin) -> dict[str, Any]:
    """Jobs created an hour apart (T0, T0+1h, ... T0+4h, newest listed first); those
    at T0+1h and T0+3h finished 30 min after they were created; a workflow of two jobs
    at T0+2h."""
    now = [T0]
    svc.clock = lambda: now[0]
    worker = await workers.register(
        svc, admin, "w", WorkerType.GENERAL, [QueueWeight(org.queue.id, 1)]
    )
    made: dict[str, Any] = {}
    for hour in range(5):
        now[0] = T0 + timedelta(hours=hour)
        if hour == 2:
            wf = await workflows.create(
                svc,
                admin,
                org.project.id,
                {
                    "name": "wf",
                    "jobs": [{"name": "a", "job_type": "t"}, {"name": "b", "job_type": "t"}],
                },
            )
            made["workflow"] = wf.id
            continue
        # the ones that finish go first (the claim takes the highest priority)
        priority = 9 if hour in (1, 3) else 5
        new = jobs.NewJob(queue_id=org.queue.id, job_type="t", priority=priority)
        [job] = await jobs.enqueue(svc, admin, [new])
        made[f"h{hour}"] = str(job.id)
        if hour in (1, 3):
            [claimed] = await executions.claim(svc, admin, worker.id, None, 1)
            now[0] += timedelta(minutes=30)
            await executions.complete(svc, admin, [(claimed.execution_id, None)])
    wf_jobs = await jobs.list_jobs(svc, admin, first=10, after=None, workflow_id=made["workflow"])
    made["wf_jobs"] = sorted(str(j.id) for j in wf_jobs.items)
    return made


async def test_created_bounds(gql, timeline) -> None:
    t = timeline
    every = await listed(gql)
    assert every[:2] == [t["h4"], t["h3"]] and every[-1] == t["h0"] and len(every) == 6
    # After inclusive, Before exclusive: a job created exactly at a bound is in [after,
    # and out of before)
    window = await listed(gql, ca=iso(T0 + timedelta(hours=1)), cb=iso(T0 + timedelta(hours=3)))
    assert window[0] in t["wf_jobs"] and window[2:] == [t["h1"]] and len(window) == 3
    assert await listed(gql, ca=iso(T0 + timedelta(hours=4))) == [t["h4"]]
    assert await listed(gql, cb=iso(T0 + timedelta(hours=1))) == [t["h0"]]
    # with another filter
    assert await listed(gql, cb=iso(T0 + timedelta(hours=3)), status=["SUCCEEDED"]) == [t["h1"]]


async def test_finished_bounds(gql, timeline) -> None:
    t = timeline
    finished = await listed(gql, fa=iso(T0))
    assert finished == [t["h3"], t["h1"]]  # only jobs that ended, newest finished first
    end_of_h1 = T0 + timedelta(hours=1, minutes=30)
    assert await listed(gql, fa=iso(end_of_h1)) == [t["h3"], t["h1"]]
    assert await listed(gql, fa=iso(end_of_h1 + timedelta(microseconds=1))) == [t["h3"]]
    assert await listed(gql, fb=iso(end_of_h1)) == []
    assert await listed(gql, fb=iso(end_of_h1 + timedelta(microseconds=1))) == [t["h1"]]
    assert await listed(gql, fa=iso(T0), ca=iso(T0 + timedelta(hours=2))) == [t["h3"]]


async def test_a_finished_bound_lists_newest_finished_first(gql, svc, org, admin) -> None:
    """Jobs created at T0..T0+3h, finished in another order, two at the same instant:
    with a finished bound the pages (and their cursors) go by finished time, newest
    first, then id."""
    now = [T0]
    svc.clock = lambda: now[0]
    worker = await workers.register(
        svc, admin, "w", WorkerType.GENERAL, [QueueWeight(org.queue.id, 1)]
    )
    made = []
    for hour in range(4):
        now[0] = T0 + timedelta(hours=hour)
        [job] = await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")])
        made.append(str(job.id))
    now[0] = T0 + timedelta(hours=4)
    claimed = {
        str(c.job.id): c.execution_id
        for c in await executions.claim(svc, admin, worker.id, None, 4)
    }
    for hour, ending in ((5, [2]), (6, [0, 3]), (7, [1])):
        now[0] = T0 + timedelta(hours=hour)
        await executions.complete(svc, admin, [(claimed[made[i]], None) for i in ending])
    tied = sorted((made[0], made[3]), reverse=True)  # by id, newest first
    assert await listed(gql, fa=iso(T0)) == [made[1], *tied, made[2]]
    assert await listed(gql, fb=iso(T0 + timedelta(hours=7))) == [*tied, made[2]]
    # a created bound only filters
    assert await listed(gql, fa=iso(T0), ca=iso(T0 + timedelta(hours=1))) == [
        made[1],
        made[3],
        made[2],
    ]
    # without a finished bound: by creation
    assert await listed(gql, status=["SUCCEEDED"]) == made[::-1]
    # a page ends inside the tie: the next starts after it, by id
    page = (await gql.ok(JOBS, {"first": 2, "fa": iso(T0)}))["jobs"]
    rest = await gql.ok(JOBS, {"first": 5, "fa": iso(T0), "after": page["pageInfo"]["endCursor"]})
    assert [e["node"]["id"] for e in rest["jobs"]["edges"]] == [tied[1], made[2]]


async def test_workflow_filter_pages(gql, timeline, svc, org) -> None:
    t = timeline
    ids = await listed(gql, wf=str(t["workflow"]))
    assert sorted(ids) == t["wf_jobs"]
    # with the queue and a time bound too
    both = await listed(gql, wf=str(t["workflow"]), q=str(org.queue.id), ca=iso(T0))
    assert both == ids
    assert await listed(gql, wf=str(t["workflow"]), cb=iso(T0 + timedelta(hours=2))) == []


async def test_a_bigger_workflow_pages_by_cursor(gql, svc, org, admin) -> None:
    names = [f"j{i}" for i in range(7)]
    wf = await workflows.create(
        svc,
        admin,
        org.project.id,
        {"name": "many", "jobs": [{"name": n, "job_type": "t"} for n in names]},
    )
    await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")] * 3)
    ids = await listed(gql, wf=str(wf.id))
    assert len(ids) == len(set(ids)) == 7
    page = await gql.ok(JOBS, {"first": 3, "wf": str(wf.id)})
    assert [e["node"]["id"] for e in page["jobs"]["edges"]] == ids[:3]
    rest = await gql.ok(
        JOBS, {"first": 10, "wf": str(wf.id), "after": page["jobs"]["pageInfo"]["endCursor"]}
    )
    assert [e["node"]["id"] for e in rest["jobs"]["edges"]] == ids[3:]


async def test_another_tenants_or_unknown_workflow_is_not_found(gql, svc) -> None:
    globex = await new_org(svc, "Globex")
    theirs = await workflows.create(
        svc,
        admin_of(globex),
        globex.project.id,
        {"name": "x", "jobs": [{"name": "a", "job_type": "t"}]},
    )
    for wf in (str(theirs.id), str(uuid.uuid4())):
        body = await gql.raw(JOBS, {"first": 5, "wf": wf})
        [error] = body["errors"]
        assert error["extensions"]["code"] == "NOT_FOUND"
        assert error["message"] == f"workflow {wf} not found"
    assert await gql.error(JOBS, {"first": 5, "wf": "not-a-uuid"}) == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("after", "before", "field"),
    [("ca", "cb", "createdAfter"), ("fa", "fb", "finishedAfter")],
)
async def test_bounds_out_of_order_are_bad_input(gql, after, before, field) -> None:
    for gap in (timedelta(0), timedelta(hours=-1)):
        body = await gql.raw(JOBS, {"first": 5, after: iso(T0), before: iso(T0 + gap)})
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["field"] == field
    # a time without its offset
    body = await gql.raw(JOBS, {"first": 5, before: "2030-01-01T00:00:00"})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def forged(at: str) -> str:
    """A cursor as the server writes them, of a time no job can have."""
    return base64.urlsafe_b64encode(f"{at}|{uuid.uuid4()}".encode()).decode()


# aware, parseable, and beyond what the timestamp columns bind (year 1 at +14:00 is
# before year 1 in UTC); a naive time
FORGED_TIMES = ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2030-01-01T00:00:00")


@pytest.mark.parametrize("at", FORGED_TIMES)
async def test_a_forged_cursor_is_bad_input(gql, at) -> None:
    body = await gql.raw(JOBS, {"first": 5, "after": forged(at)})
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "after"
    assert body["data"] is None
