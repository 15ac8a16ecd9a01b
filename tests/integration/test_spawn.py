"""Jobs a running workflow job adds to its own workflow (spawnJobs, ctx.spawn) on both
backends: they join the graph, the stats and the live events, run at once, hold the
spawner's downstream, and are refused outside a workflow, past a lease, past the
workflow's job limit, and across tenants. Then the SDK's ctx.spawn with a real server."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from taskforge.domain.errors import Conflict, InvalidInput, NotFound
from taskforge.persistence.tables import Event, Job, JobDependency
from taskforge.services import executions, jobs, workflow_reads, workflows
from taskforge.services.spawning import Spawn, spawn
from taskforge.worker.client import Client
from taskforge.worker.runner import Settings, Worker
from tests.conftest import admin_of
from tests.helpers import asgi_client, served
from tests.integration.workflow_driver import run, statuses, worker_for, workflow_status
from tests.stored_format import payloads

PIPELINE = {
    "name": "crawl",
    "jobs": [
        {"name": "crawl", "job_type": "t"},
        {"name": "index", "job_type": "t", "depends_on": ["crawl"]},
    ],
}


async def claimed_named(svc: Any, admin: Any, worker: uuid.UUID, name: str) -> Any:
    claimed = await executions.claim(svc, admin, worker, None, 10)
    assert [c.job.name for c in claimed] == [name]
    return claimed[0]


async def test_spawned_jobs_run_at_once_and_hold_the_downstream(svc, org, admin) -> None:
    wf = await workflows.create(svc, admin, org.project.id, PIPELINE, start=True)
    w = await worker_for(svc, admin, org.queue.id)
    crawl = await claimed_named(svc, admin, w, "crawl")
    made = await spawn(
        svc,
        admin,
        crawl.execution_id,
        [Spawn("t", {"url": "a"}, name="page-a"), Spawn("t", {"url": "b"})],
    )
    assert made[0].name == "page-a" and made[1].name.startswith("t-")
    assert all(j.workflow_id == wf.id and j.status.value == "PENDING" for j in made)
    assert made[1].payload == {"url": "b"}
    # claimable while the spawner still runs; index waits for them too
    claimed = await executions.claim(svc, admin, w, None, 10)
    assert sorted(c.job.name for c in claimed) == sorted(j.name for j in made)
    await executions.complete(svc, admin, [(crawl.execution_id, None)])
    assert await executions.claim(svc, admin, w, None, 10) == []  # index waits
    await executions.complete(svc, admin, [(claimed[0].execution_id, None)])
    assert await executions.claim(svc, admin, w, None, 10) == []
    await executions.complete(svc, admin, [(claimed[1].execution_id, None)])
    assert await run(svc, admin, w) == [["index"]]
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"
    counts = (await workflow_reads.counts_of(svc, admin, [wf.id]))[wf.id]
    assert sum(counts.values()) == 4
    # the graph: crawl -> each spawned (PARALLEL, resolved) -> index
    jobs_of, edges = await workflow_reads.graph_of(svc, admin, wf.id)
    ids = {j.name: j.id for j in jobs_of}
    pairs = {(e.parent_job_id, e.child_job_id, e.dependency_type) for e in edges}
    for job in made:
        assert (ids["crawl"], str(job.id), "PARALLEL") in pairs
        assert (str(job.id), ids["index"], "SEQUENTIAL") in pairs
    # and the live events: each spawned job's creation, with the workflow's stats
    async with svc.read() as session:
        rows = await session.execute(
            select(Event.type, Event.organization_id, Event.payload, Event.span).where(
                Event.type == "job.status_changed"
            )
        )
        changes = [p for row in rows for p in payloads(tuple(row))]
    created = [c for c in changes if c["jobId"] == str(made[0].id) and c["previousStatus"] is None]
    assert len(created) == 1 and created[0]["workflow"]["stats"]["total"] == 4


async def test_a_failed_spawned_job_fails_the_downstream(svc, org, admin) -> None:
    wf = await workflows.create(svc, admin, org.project.id, PIPELINE, start=True)
    w = await worker_for(svc, admin, org.queue.id)
    crawl = await claimed_named(svc, admin, w, "crawl")
    await spawn(svc, admin, crawl.execution_id, [Spawn("t", name="bad")])
    await executions.complete(svc, admin, [(crawl.execution_id, None)])
    await run(svc, admin, w, {"bad": "fail"})
    assert await statuses(svc, admin, wf.id) == {
        "crawl": "SUCCEEDED",
        "bad": "FAILED",
        "index": "CANCELLED",
    }


async def test_a_mapped_child_spawns_and_its_template_waits(svc, org, admin) -> None:
    definition = {
        "name": "m",
        "jobs": [
            {"name": "each", "job_type": "t", "map_over": "input.items"},
            {"name": "after", "job_type": "t", "depends_on": ["each"]},
        ],
    }
    wf = await workflows.create(
        svc, admin, org.project.id, definition, start=True, input={"items": [1]}
    )
    w = await worker_for(svc, admin, org.queue.id)
    child = await claimed_named(svc, admin, w, "each[0]")
    await spawn(svc, admin, child.execution_id, [Spawn("t", name="extra")])
    await executions.complete(svc, admin, [(child.execution_id, None)])
    assert await run(svc, admin, w) == [["extra"], ["after"]]
    assert (await statuses(svc, admin, wf.id))["each"] == "SUCCEEDED"


async def test_spawning_is_refused_outside_a_running_workflow_job(
    svc, org, other_org, admin
) -> None:
    await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")])
    w = await worker_for(svc, admin, org.queue.id)
    [claimed] = await executions.claim(svc, admin, w, None, 10)
    with pytest.raises(InvalidInput) as e:
        await spawn(svc, admin, claimed.execution_id, [Spawn("t")])
    assert e.value.details["field"] == "executionId" and "not in a workflow" in e.value.message
    await executions.complete(svc, admin, [(claimed.execution_id, None)])

    wf = await workflows.create(svc, admin, org.project.id, PIPELINE, start=True)
    crawl = await claimed_named(svc, admin, w, "crawl")
    # another tenant's worker: the attempt is not found
    with pytest.raises(NotFound):
        await spawn(svc, admin_of(other_org), crawl.execution_id, [Spawn("t")])
    with pytest.raises(NotFound):
        await spawn(svc, admin, uuid.uuid4(), [Spawn("t")])
    bad = [
        ([Spawn("no spaces")], "jobs[0].jobType"),
        ([Spawn("@workflow")], "jobs[0].jobType"),
        ([Spawn("t", queue="nowhere")], "jobs[0].queue"),
        ([Spawn("t", name="crawl")], "jobs[0].name"),  # taken in the workflow
        ([Spawn("t", name="x"), Spawn("t", name="x")], "jobs"),
        ([], "jobs"),
    ]
    for wanted, field in bad:
        with pytest.raises(InvalidInput) as e:
            await spawn(svc, admin, crawl.execution_id, wanted)
        assert e.value.details["field"] == field, (wanted, e.value)
    await executions.complete(svc, admin, [(crawl.execution_id, None)])
    # the lease has ended: the attempt is no longer the caller's
    with pytest.raises(Conflict, match="no longer running"):
        await spawn(svc, admin, crawl.execution_id, [Spawn("t")])
    assert sorted(await statuses(svc, admin, wf.id)) == ["crawl", "index"]


async def test_spawning_past_the_workflow_limit_is_refused(svc, org, admin, monkeypatch) -> None:
    monkeypatch.setattr(svc.settings.limits, "workflow_jobs", 3)
    wf = await workflows.create(svc, admin, org.project.id, PIPELINE, start=True)
    w = await worker_for(svc, admin, org.queue.id)
    crawl = await claimed_named(svc, admin, w, "crawl")
    with pytest.raises(InvalidInput) as e:
        await spawn(svc, admin, crawl.execution_id, [Spawn("t"), Spawn("t")])
    assert e.value.details["field"] == "jobs" and "TASKFORGE_LIMIT_WORKFLOW_JOBS" in e.value.message
    assert "over the limit of 3" in e.value.message
    await spawn(svc, admin, crawl.execution_id, [Spawn("t")])  # 3: within it
    async with svc.read() as session:
        n = len(list(await session.scalars(select(Job.id).where(Job.workflow_id == wf.id))))
        edges = list(await session.scalars(select(JobDependency)))
    assert n == 3 and {e.organization_id for e in edges} == {org.organization.id}


SPAWN = """mutation($e: ID!, $jobs: [SpawnJobInput!]!) {
  spawnJobs(executionId: $e, jobs: $jobs) { id name status workflowId } }"""


async def test_spawn_jobs_over_graphql(runtime, svc, org, other_org, admin) -> None:
    await workflows.create(svc, admin, org.project.id, PIPELINE, start=True)
    w = await worker_for(svc, admin, org.queue.id)
    crawl = await claimed_named(svc, admin, w, "crawl")
    variables = {"e": str(crawl.execution_id), "jobs": [{"jobType": "t", "name": "g"}]}
    async with asgi_client(runtime, other_org.api_key.secret) as theirs:
        body = await theirs.raw(SPAWN, variables)
    assert {e["extensions"]["code"] for e in body["errors"]} == {"NOT_FOUND"}
    async with asgi_client(runtime, org.api_key.secret) as gql:
        [made] = (await gql.ok(SPAWN, variables))["spawnJobs"]
        assert (made["name"], made["status"]) == ("g", "PENDING")
        body = await gql.raw(SPAWN, {**variables, "jobs": [{"jobType": "t", "queue": "zzz"}]})
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "jobs[0].queue"


async def test_ctx_spawn_from_a_handler(runtime, org) -> None:
    svc, admin = runtime.services, admin_of(org)
    definition = {
        "name": "sdk",
        "jobs": [
            {"name": "crawl", "job_type": "crawl"},
            {"name": "index", "job_type": "index", "depends_on": ["crawl"]},
        ],
    }
    wf = await workflows.create(svc, admin, org.project.id, definition, start=True)
    seen: list[Any] = []

    async def crawl(payload: dict[str, Any], ctx: Any) -> dict[str, Any]:
        ids = [await ctx.spawn("page", {"url": u}, name=f"page-{u}") for u in "ab"]
        return {"spawned": ids}

    async def page(payload: dict[str, Any], ctx: Any) -> dict[str, Any]:
        await asyncio.sleep(0.2)  # the downstream must wait for it
        return {"url": payload["url"]}

    async def index(payload: dict[str, Any], ctx: Any) -> None:
        seen.append(await statuses(svc, admin, wf.id))

    async with served(runtime) as base:
        client = Client(f"http://{base}", org.api_key.secret)
        worker = Worker(
            client,
            {"crawl": crawl, "page": page, "index": index},
            [(str(org.queue.id), 1)],
            Settings(concurrency=4, poll_interval=0.1),
        )
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        for _ in range(200):
            if await workflow_status(svc, admin, wf.id) != "RUNNING":
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(running, 10)
        await client.close()
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"
    [when_index_ran] = seen
    assert when_index_ran["page-a"] == when_index_ran["page-b"] == "SUCCEEDED"
