"""Data between workflow steps over the API and the worker SDK, on both backends: input
on createWorkflow and startWorkflow, its errors' codes and paths, Workflow.input,
Job.parentOutputs (batched), ClaimedJob.parentOutputs, tenancy, and ctx.parents through
the worker channel and the GraphQL runner."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from taskforge.services import auth, executions, jobs, workflow_reads, workflows
from taskforge.worker.channel import ChannelWorker
from taskforge.worker.client import Client
from taskforge.worker.runner import Settings, Worker
from tests.helpers import asgi_client, served
from tests.integration.test_worker_channel import channel
from tests.integration.test_workflow_data import EXTRACTED, ROWS, etl, parent_reads
from tests.integration.workflow_driver import run, step, worker_for

CREATE = """mutation($p: ID!, $d: JSON!, $s: Boolean!, $i: JSON) {
  createWorkflow(input: {projectId: $p, definition: $d, start: $s, input: $i}) {
    id status input } }"""
START = """mutation($id: ID!, $i: JSON) { startWorkflow(id: $id, input: $i) { status input } }"""
JOBS = """query($id: ID!) { workflow(id: $id) { input jobs { id name payload parentOutputs } } }"""


@pytest.fixture
async def gql(runtime, org):
    async with asgi_client(runtime, org.api_key.secret) as client:
        yield client


async def create(gql, org, definition, start=True, run_input=None) -> dict[str, Any]:
    variables = {"p": str(org.project.id), "d": definition, "s": start, "i": run_input}
    return (await gql.ok(CREATE, variables))["createWorkflow"]  # type: ignore[no-any-return]


async def test_input_through_create_and_start(gql, org) -> None:
    wf = await create(gql, org, etl(), start=False, run_input={"date": "2030-01-01"})
    assert wf["status"] == "PENDING" and wf["input"] == {"date": "2030-01-01"}
    body = await gql.raw(START, {"id": wf["id"], "i": {"date": "not a date"}})
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "input",
        "jsonPath": "$.date",
    }
    assert "input does not match input_schema at $.date" in error["message"]
    started = (await gql.ok(START, {"id": wf["id"], "i": {"date": "2030-03-04"}}))["startWorkflow"]
    assert started == {"status": "RUNNING", "input": {"date": "2030-03-04"}}
    data = await gql.ok(JOBS, {"id": wf["id"]})
    extract = next(j for j in data["workflow"]["jobs"] if j["name"] == "extract")
    assert extract["payload"]["day"] == "2030-03-04"


@pytest.mark.parametrize(
    ("definition", "run_input", "field"),
    [
        (etl(), {"limit": 3}, "input"),  # date required
        (etl(), [1, 2], "input"),
        ({**etl(), "input_schema": {"type": "nope"}}, None, "input_schema"),
        (etl(load={"x": "{{ parents.extrct.output.rows }}"}), None, "jobs[1].payload"),
        (etl(load={"x": "{{ imput.x }}"}), None, "jobs[1].payload"),  # a likely typo
        (etl(load={"x": "{{ input. }}"}), None, "jobs[1].payload"),
    ],
)
async def test_bad_input_and_references_are_bad_user_input(
    gql, org, definition, run_input, field
) -> None:
    variables = {"p": str(org.project.id), "d": definition, "s": True, "i": run_input}
    [error] = (await gql.raw(CREATE, variables))["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == field


async def test_input_over_the_payload_limit(gql, org, runtime) -> None:
    blob = "x" * runtime.settings.limits.payload_bytes
    variables = {"p": str(org.project.id), "d": etl(), "s": False, "i": {"blob": blob}}
    [error] = (await gql.raw(CREATE, variables))["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "input"}
    assert "over the limit of" in error["message"]


async def test_parent_outputs_are_batched_and_stay_in_the_tenant(
    gql, org, other_org, runtime, svc, admin
) -> None:
    wf = await create(gql, org, etl(), run_input={"date": "2030-01-02", "limit": 1})
    w = await worker_for(svc, admin, org.queue.id)
    await run(svc, admin, w, {"extract": EXTRACTED, "load": {"loaded": 2}})
    with parent_reads() as reads:
        data = await gql.ok(JOBS, {"id": wf["id"]})
    by_name = {j["name"]: j for j in data["workflow"]["jobs"]}
    assert by_name["extract"]["parentOutputs"] == {}
    assert by_name["load"]["parentOutputs"] == {"extract": EXTRACTED}
    assert by_name["load"]["payload"]["rows"] == ROWS
    assert by_name["report"]["parentOutputs"] == {"load": {"loaded": 2}}
    assert reads == [3]  # one statement for the workflow's jobs (a DataLoader)

    # another tenant: the job is NOT_FOUND, its parents' outputs never reach it
    load_id = by_name["load"]["id"]
    async with asgi_client(runtime, other_org.api_key.secret) as other:
        query = "query($id: ID!) { job(id: $id) { parentOutputs } }"
        assert await other.error(query, {"id": load_id}) == "NOT_FOUND"
    plain = await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")])
    data = await gql.ok(
        "query($id: ID!) { job(id: $id) { parentOutputs } }", {"id": str(plain[0].id)}
    )
    assert data["job"]["parentOutputs"] == {}


CLAIM = """mutation($w: ID!) { claimJobs(workerId: $w, limit: 10) {
  jobId payload parentOutputs job { name } } }"""


async def test_claimed_jobs_carry_their_parents_outputs(gql, org, runtime, svc, admin) -> None:
    await create(gql, org, etl(), run_input={"date": "2030-01-02", "limit": 1})
    # a worker's key: the claim's permission is enough to read its parents' outputs
    key = await auth.create_api_key(svc, admin, "worker", ["workers"])
    w = await worker_for(svc, admin, org.queue.id)
    async with asgi_client(runtime, key.secret) as worker:
        [extract] = (await worker.ok(CLAIM, {"w": str(w)}))["claimJobs"]
        assert extract["parentOutputs"] == {}
        await executions.complete(
            svc, admin, [(c.execution_id, EXTRACTED) for c in await held(svc, admin, w)]
        )
        [load] = (await worker.ok(CLAIM, {"w": str(w)}))["claimJobs"]
    assert load["job"]["name"] == "load"
    assert load["parentOutputs"] == {"extract": EXTRACTED}
    assert load["payload"]["first"] == 7


async def test_a_claim_reads_parents_only_when_they_are_selected(
    gql, org, runtime, svc, admin
) -> None:
    await create(gql, org, etl(), run_input={"date": "2030-01-02", "limit": 1})
    w = await worker_for(svc, admin, org.queue.id)
    assert await step(svc, admin, w, {"extract": EXTRACTED}) == ["extract"]  # load is ready
    plain = """mutation($w: ID!) { claimJobs(workerId: $w, limit: 1) { jobId payload } }"""
    fragment = """mutation($w: ID!) { claimJobs(workerId: $w, limit: 1) { ...parents } }
      fragment parents on ClaimedJob { jobId ... on ClaimedJob { parentOutputs } }"""
    with parent_reads() as reads:
        [load] = (await gql.ok(plain, {"w": str(w)}))["claimJobs"]
    assert load["payload"]["first"] == 7 and reads == []
    await executions.complete(
        svc, admin, [(c.execution_id, None) for c in await held(svc, admin, w)]
    )
    with parent_reads() as reads:
        [report] = (await gql.ok(fragment, {"w": str(w)}))["claimJobs"]
    assert report["parentOutputs"] == {"load": None}  # load ended without output
    # SQLite: one read after the claim; PostgreSQL: the claim statement's own
    assert reads == ([1] if svc.db.store.embedded else [])


async def held(svc, admin, worker_id) -> list[Any]:  # type: ignore[no-untyped-def]
    return await executions.held_by(svc, admin, worker_id)


async def test_the_channel_pushes_parents_with_workflow_jobs_only(runtime, org, svc, admin) -> None:
    wf = await workflows.create(
        svc, admin, org.project.id, etl(), start=True, input={"date": "2030-01-02", "limit": 1}
    )
    await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="plain")])
    async with served(runtime) as base, channel(base, org.api_key.secret) as c:
        await c.hello(org.queue.id)
        pushed: list[list[Any]] = []
        while len(pushed) < 2:
            msg = await c.recv()
            assert msg["type"] == "jobs" and "parents" not in msg, msg  # roots, plain jobs
            pushed += msg["jobs"]
        extract = next(item for item in pushed if item[2] == "t")
        await c.ack(done=[[extract[0], EXTRACTED]], ok=[p[0] for p in pushed if p is not extract])
        msg = await c.recv()
        [load] = msg["jobs"]
        assert msg["parents"] == {load[1]: {"extract": EXTRACTED}}
        assert load[4]["rows"] == ROWS
    assert wf.input == {"date": "2030-01-02", "limit": 1}


@pytest.mark.parametrize("transport", ["channel", "graphql"])
async def test_handlers_read_ctx_parents(runtime, org, svc, admin, transport) -> None:
    """The seed 002 shape run by the SDK: load reads extract's rows from its payload
    (a reference) and from ctx.parents."""
    seen: dict[str, Any] = {}

    async def extract(payload: dict[str, Any], ctx: Any) -> dict[str, Any]:
        seen["extract"] = dict(ctx.parents)
        rows = [{"id": 1, "day": payload["day"]}]
        return {"rows": rows, "count": 1, "validation_status": "valid"}

    def load(payload: dict[str, Any], ctx: Any) -> dict[str, Any]:  # run in a thread
        with pytest.raises(TypeError):
            ctx.parents["extract"] = {}  # type: ignore[index]  # read-only
        seen["load"] = dict(ctx.parents)
        return {"loaded": len(ctx.parents["extract"]["rows"]), "from_payload": payload["rows"]}

    async def report(payload: dict[str, Any], ctx: Any) -> None:
        seen["report"] = dict(ctx.parents)

    definition = etl()
    for job in definition["jobs"]:
        job["job_type"] = job["name"]
    wf = await workflows.create(
        svc, admin, org.project.id, definition, start=True, input={"date": "2030-05-06", "limit": 1}
    )
    handlers = {"extract": extract, "load": load, "report": report}
    kind = ChannelWorker if transport == "channel" else Worker
    async with served(runtime) as base:
        client = Client(f"http://{base}", org.api_key.secret)
        worker = kind(client, handlers, [(str(org.queue.id), 1)], Settings(poll_interval=0.1))
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        try:
            await asyncio.wait_for(_ended(svc, admin, wf.id, running), 30)
        finally:
            stop.set()
        await asyncio.wait_for(running, 10)
        await client.close()
    rows = [{"id": 1, "day": "2030-05-06"}]
    assert seen == {
        "extract": {},
        "load": {"extract": {"rows": rows, "count": 1, "validation_status": "valid"}},
        "report": {"load": {"loaded": 1, "from_payload": rows}},
    }


async def _ended(svc: Any, admin: Any, workflow_id: uuid.UUID, running: asyncio.Task[None]) -> None:
    while (status := (await workflow_reads.get(svc, admin, workflow_id)).status.value) != (
        "SUCCEEDED"
    ):
        if status in ("FAILED", "CANCELLED"):
            rows = await workflow_reads.jobs_of(svc, admin, [workflow_id])
            raise AssertionError([(j.name, j.status.value, j.error) for j in rows])
        assert not running.done(), running
        await asyncio.sleep(0.05)
