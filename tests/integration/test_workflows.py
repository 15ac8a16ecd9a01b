"""Workflows on both backends: the seeds' patterns, failure policies, cancel, retry,
manual resume, timeouts and cascade delete, driven through the real claim/ack services."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from taskforge.domain.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from taskforge.domain.events import expand
from taskforge.persistence.common import dependencies as deps_repo
from taskforge.persistence.common import workflows as workflows_repo
from taskforge.persistence.tables import (
    Event,
    Job,
    JobDependency,
    JobExecution,
    Workflow,
    WorkflowJobCount,
)
from taskforge.services import engines, executions, jobs, workflow_reads, workflows
from taskforge.services.workflows import ResumeAction
from tests.helpers import stored_events
from tests.integration.test_execution import Clock
from tests.integration.workflow_driver import run, statuses, step, worker_for, workflow_status


def chain(policy: str = "FAIL_FAST") -> dict:
    return {
        "name": "chain",
        "failure_policy": policy,
        "jobs": [
            {"name": "a", "job_type": "t"},
            {"name": "b", "job_type": "t", "depends_on": ["a"]},
            {"name": "c", "job_type": "t", "depends_on": ["b"]},
        ],
    }


def fan(n: int = 10) -> dict:
    middle = [{"name": f"m{i}", "job_type": "t", "depends_on": ["split"]} for i in range(n)]
    return {
        "name": "fan",
        "jobs": [
            {"name": "split", "job_type": "t"},
            *middle,
            {"name": "join", "job_type": "t", "depends_on": [m["name"] for m in middle]},
        ],
    }


BRANCHES = """
name: validate
failure_policy: CONTINUE_ON_FAILURE
jobs:
  - {name: validate, job_type: t}
  - name: process_valid
    job_type: t
    dependencies:
      - {job: validate, type: CONDITIONAL, expression: 'output.validation_status == "valid"'}
  - name: handle_invalid
    job_type: t
    dependencies:
      - {job: validate, type: CONDITIONAL, expression: "validation_status == 'invalid'"}
  - name: report
    job_type: t
    dependencies:
      - {job: process_valid, condition: ALWAYS}
      - {job: handle_invalid, condition: ALWAYS}
"""


async def start(svc, org, admin, definition):
    wf = await workflows.create(svc, admin, org.project.id, definition, start=True)
    return wf, await worker_for(svc, admin, org.queue.id)


async def test_chain_runs_in_order(svc, org, admin) -> None:
    wf, w = await start(svc, org, admin, chain())
    assert await run(svc, admin, w) == [["a"], ["b"], ["c"]]
    assert set((await statuses(svc, admin, wf.id)).values()) == {"SUCCEEDED"}
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"


async def test_unstarted_workflow_holds_its_jobs(svc, org, admin) -> None:
    wf = await workflows.create(svc, admin, org.project.id, chain())
    w = await worker_for(svc, admin, org.queue.id)
    assert await step(svc, admin, w) == []
    await workflows.start(svc, admin, wf.id)
    assert await step(svc, admin, w) == ["a"]
    with pytest.raises(InvalidTransition):
        await workflows.start(svc, admin, wf.id)


async def test_parallel_then_barrier(svc, org, admin) -> None:
    definition = {
        "name": "barrier",
        "jobs": [
            {"name": "fetch", "job_type": "t"},
            {"name": "config", "job_type": "t"},
            {"name": "auth", "job_type": "t"},
            {"name": "process", "job_type": "t", "depends_on": ["fetch", "config", "auth"]},
        ],
    }
    wf, w = await start(svc, org, admin, definition)
    # two of three done: the barrier holds
    claimed = await executions.claim(svc, admin, w, None, 3)
    await executions.complete(svc, admin, [(c.execution_id, None) for c in claimed[:2]])
    assert await step(svc, admin, w) == []
    await executions.complete(svc, admin, [(claimed[2].execution_id, None)])
    assert await run(svc, admin, w) == [["process"]]
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"


async def test_fan_out_fan_in(svc, org, admin) -> None:
    wf, w = await start(svc, org, admin, fan(10))
    waves = await run(svc, admin, w)
    assert waves == [["split"], sorted(f"m{i}" for i in range(10)), ["join"]]
    wf_row = await workflow_reads.get(svc, admin, wf.id)
    assert wf_row.status.value == "SUCCEEDED" and wf_row.finished_at is not None


@pytest.mark.parametrize(
    ("verdict", "ran", "skipped"),
    [("valid", "process_valid", "handle_invalid"), ("invalid", "handle_invalid", "process_valid")],
)
async def test_conditional_branches_on_output(svc, org, admin, verdict, ran, skipped) -> None:
    wf, w = await start(svc, org, admin, BRANCHES)
    waves = await run(svc, admin, w, {"validate": {"validation_status": verdict}})
    assert waves == [["validate"], [ran], ["report"]]
    final = await statuses(svc, admin, wf.id)
    assert final[skipped] == "SKIPPED" and final["report"] == "SUCCEEDED"
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"


async def test_multiple_dependencies_with_failure_condition(svc, org, admin) -> None:
    definition = {
        "name": "cleanup",
        "failure_policy": "CONTINUE_ON_FAILURE",
        "jobs": [
            {"name": "load", "job_type": "t"},
            {"name": "use", "job_type": "t", "depends_on": ["load"]},
            {
                "name": "cleanup",
                "job_type": "t",
                "dependencies": [{"job": "load", "condition": "FAILED"}],
            },
        ],
    }
    wf, w = await start(svc, org, admin, definition)
    assert await run(svc, admin, w, {"load": "fail"}) == [["load"], ["cleanup"]]
    final = await statuses(svc, admin, wf.id)
    assert final == {"load": "FAILED", "use": "CANCELLED", "cleanup": "SUCCEEDED"}
    async with svc.read() as session:
        use = await session.scalar(select(Job).where(Job.name == "use"))
    assert use is not None and use.status_reason == "dependency_failed"
    assert await workflow_status(svc, admin, wf.id) == "FAILED"


def two_branches(policy: str) -> dict:
    return {
        "name": "two",
        "failure_policy": policy,
        "jobs": [
            {"name": "bad", "job_type": "t", "priority": 9},
            {"name": "after_bad", "job_type": "t", "depends_on": ["bad"]},
            {"name": "side", "job_type": "t", "priority": 1},
            {"name": "after_side", "job_type": "t", "depends_on": ["side"]},
        ],
    }


async def test_fail_fast_cancels_what_has_not_started(svc, org, admin) -> None:
    wf, w = await start(svc, org, admin, two_branches("FAIL_FAST"))
    assert await step(svc, admin, w, {"bad": "fail"}, limit=1) == ["bad"]
    assert await run(svc, admin, w) == []
    final = await statuses(svc, admin, wf.id)
    assert final == {
        "bad": "FAILED",
        "after_bad": "CANCELLED",
        "side": "CANCELLED",
        "after_side": "CANCELLED",
    }
    assert await workflow_status(svc, admin, wf.id) == "FAILED"


async def test_fail_fast_lets_running_jobs_finish(svc, org, admin) -> None:
    wf, w = await start(svc, org, admin, two_branches("FAIL_FAST"))
    claimed = {c.job.name: c for c in await executions.claim(svc, admin, w, None, 2)}
    await executions.fail(svc, admin, [(claimed["bad"].execution_id, ("boom", False))])
    assert await workflow_status(svc, admin, wf.id) == "RUNNING"  # side still runs
    await executions.complete(svc, admin, [(claimed["side"].execution_id, None)])
    final = await statuses(svc, admin, wf.id)
    assert final["side"] == "SUCCEEDED" and final["after_side"] == "CANCELLED"
    assert await workflow_status(svc, admin, wf.id) == "FAILED"


async def test_continue_on_failure_runs_independent_branches(svc, org, admin) -> None:
    wf, w = await start(svc, org, admin, two_branches("CONTINUE_ON_FAILURE"))
    await run(svc, admin, w, {"bad": "fail"})
    final = await statuses(svc, admin, wf.id)
    assert final == {
        "bad": "FAILED",
        "after_bad": "CANCELLED",
        "side": "SUCCEEDED",
        "after_side": "SUCCEEDED",
    }
    assert await workflow_status(svc, admin, wf.id) == "FAILED"


async def test_manual_pauses_then_retry_failed(svc, org, admin) -> None:
    wf, w = await start(svc, org, admin, chain("MANUAL"))
    assert await run(svc, admin, w, {"a": "fail"}) == [["a"]]
    assert await workflow_status(svc, admin, wf.id) == "PAUSED"
    assert (await statuses(svc, admin, wf.id))["b"] == "PENDING"  # held, not cancelled
    with pytest.raises(Conflict, match="only a FAILED or CANCELLED"):
        await workflows.retry(svc, admin, wf.id)
    await workflows.resume(svc, admin, wf.id, ResumeAction.RETRY_FAILED)
    assert await workflow_status(svc, admin, wf.id) == "RUNNING"
    assert await run(svc, admin, w) == [["a"], ["b"], ["c"]]
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"
    async with svc.read() as session:
        attempts = await session.scalar(
            select(func.count())
            .select_from(JobExecution)
            .join(Job, Job.id == JobExecution.job_id)
            .where(Job.name == "a")
        )
    assert attempts == 2  # history kept


async def test_manual_skip_failed_continues(svc, org, admin) -> None:
    wf, w = await start(svc, org, admin, chain("MANUAL"))
    await run(svc, admin, w, {"a": "fail"})
    await workflows.resume(svc, admin, wf.id, ResumeAction.SKIP_FAILED)
    assert await run(svc, admin, w) == [["b"], ["c"]]
    assert await statuses(svc, admin, wf.id) == {
        "a": "SKIPPED",
        "b": "SUCCEEDED",
        "c": "SUCCEEDED",
    }
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"


async def test_manual_abort_fails_the_workflow(svc, org, admin) -> None:
    wf, w = await start(svc, org, admin, chain("MANUAL"))
    await run(svc, admin, w, {"a": "fail"})
    await workflows.resume(svc, admin, wf.id, ResumeAction.ABORT)
    assert await statuses(svc, admin, wf.id) == {
        "a": "FAILED",
        "b": "CANCELLED",
        "c": "CANCELLED",
    }
    assert await workflow_status(svc, admin, wf.id) == "FAILED"
    assert await step(svc, admin, w) == []


async def test_cancel_workflow_cancels_running_and_waiting(svc, org, admin) -> None:
    wf, w = await start(svc, org, admin, chain())
    [claimed] = await executions.claim(svc, admin, w, None, 10)
    await workflows.cancel(svc, admin, wf.id)
    assert set((await statuses(svc, admin, wf.id)).values()) == {"CANCELLED"}
    assert await workflow_status(svc, admin, wf.id) == "CANCELLED"
    [ack] = await executions.complete(svc, admin, [(claimed.execution_id, None)])
    assert ack.error is not None and ack.error.code == "CONFLICT"  # the stale ack changes nothing
    with pytest.raises(InvalidTransition):
        await workflows.cancel(svc, admin, wf.id)


async def test_retry_reruns_failed_and_dependents_keeps_successes(svc, org, admin) -> None:
    wf, w = await start(svc, org, admin, two_branches("CONTINUE_ON_FAILURE"))
    await run(svc, admin, w, {"bad": "fail"})
    assert await workflow_status(svc, admin, wf.id) == "FAILED"
    await workflows.retry(svc, admin, wf.id)
    assert await workflow_status(svc, admin, wf.id) == "RUNNING"
    assert await run(svc, admin, w) == [["bad"], ["after_bad"]]  # side kept its success
    assert set((await statuses(svc, admin, wf.id)).values()) == {"SUCCEEDED"}
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"


async def test_timeout_fails_and_cancels_the_rest(svc, org, admin) -> None:
    clock = Clock(svc)
    definition = {**chain(), "timeout": "1m"}
    wf, w = await start(svc, org, admin, definition)
    await step(svc, admin, w)  # a done
    [running] = await executions.claim(svc, admin, w, None, 10)  # b running
    assert await engines.time_out(svc) == 0
    clock.advance(61)
    assert await engines.time_out(svc) == 1
    assert await statuses(svc, admin, wf.id) == {
        "a": "SUCCEEDED",
        "b": "CANCELLED",
        "c": "CANCELLED",
    }
    assert await workflow_status(svc, admin, wf.id) == "FAILED"
    async with svc.read() as session:
        execution = await session.get(JobExecution, running.execution_id)
    assert execution is not None and execution.status.value == "CANCELLED"


async def test_delete_workflow_cascades(svc, org, admin) -> None:
    wf, w = await start(svc, org, admin, chain())
    await step(svc, admin, w)
    await workflows.delete(svc, admin, wf.id)
    async with svc.read() as session:
        for model in (Workflow, Job, JobDependency, JobExecution, WorkflowJobCount):
            assert await session.scalar(select(func.count()).select_from(model)) == 0
    with pytest.raises(NotFound):
        await workflow_reads.get(svc, admin, wf.id)


async def test_deleting_a_parent_job_releases_its_child(svc, org, admin) -> None:
    _, w = await start(svc, org, admin, chain())
    await jobs.delete(svc, admin, (await _job(svc, "a")).id)
    assert await step(svc, admin, w) == ["b"]


async def _job(svc, name: str) -> Job:
    async with svc.read() as session:
        job = await session.scalar(select(Job).where(Job.name == name))
    assert job is not None
    return job


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        (
            {
                "name": "loop",
                "jobs": [
                    {"name": "a", "job_type": "t", "depends_on": ["c"]},
                    {"name": "b", "job_type": "t", "depends_on": ["a"]},
                    {"name": "c", "job_type": "t", "depends_on": ["b"]},
                ],
            },
            "dependency cycle: ",
        ),
        ({"name": "x", "jobs": [{"name": "a", "job_type": "t", "queue": "nope"}]}, "no queue"),
        (
            {
                "name": "x",
                "jobs": [
                    {"name": "a", "job_type": "t"},
                    {
                        "name": "b",
                        "job_type": "t",
                        "dependencies": [
                            {"job": "a", "type": "CONDITIONAL", "expression": "__import__('os')"}
                        ],
                    },
                ],
            },
            "unsupported",
        ),
        ("name: [unclosed", "YAML"),
    ],
)
async def test_bad_definitions_write_nothing(svc, org, admin, definition, message) -> None:
    before = await _counts(svc)
    with pytest.raises(InvalidInput) as exc:
        await workflows.create(svc, admin, org.project.id, definition, start=True)
    assert message.lower() in exc.value.message.lower()
    if "cycle" in message:
        cycle = exc.value.details["cycle"]
        assert cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}
    assert await _counts(svc) == before


async def _counts(svc) -> list[int | None]:
    async with svc.read() as session:
        return [
            await session.scalar(select(func.count()).select_from(model))
            for model in (Workflow, Job, JobDependency, Event)
        ]


async def test_workflow_size_limit(svc, org, admin) -> None:
    svc.settings.limits.workflow_jobs = 5
    with pytest.raises(InvalidInput):
        await workflows.create(svc, admin, org.project.id, fan(5))


async def test_status_events_carry_the_workflow(svc, org, admin) -> None:
    wf, w = await start(svc, org, admin, chain())
    await run(svc, admin, w)
    async with svc.read() as session:
        events = await stored_events(session)
    job_events = [e["payload"] for e in events if e["type"] == "job.status_changed"]
    assert job_events and all(p["workflowId"] == str(wf.id) for p in job_events)
    flow = [e["payload"] for e in events if e["type"] == "workflow.status_changed"]
    assert [p["status"] for p in flow] == ["PENDING", "RUNNING", "SUCCEEDED"]
    assert flow[-1]["stats"]["completionPercentage"] == 100.0
    released = [j for e in events if e["type"] == "jobs.released" for j in e["payload"]["jobIds"]]
    assert len(released) == 3  # a at start, b and c as their parents finished


async def test_an_acknowledgement_reads_its_workflow_state_once(
    svc, org, admin, monkeypatch
) -> None:
    """The engine's refresh reads the workflow's job counts with its status: the events
    of an acknowledgement that leaves the workflow running carry that state, not read a
    second time; one that ends it reads them after the change."""
    wf, w = await start(svc, org, admin, fan(3))
    assert await step(svc, admin, w) == ["split"]
    running = await executions.claim(svc, admin, w, None, 2)
    reads = []
    real = workflows_repo.states

    async def counted(session, ids):
        reads.append(set(ids))
        return await real(session, ids)

    monkeypatch.setattr(workflows_repo, "states", counted)
    await executions.complete(svc, admin, [(running[0].execution_id, None)])
    assert reads == []
    await executions.complete(svc, admin, [(running[1].execution_id, None)])
    assert reads == []
    assert await run(svc, admin, w) == [["m2"], ["join"]]
    # the join's acknowledgement ended the workflow and read its state after that
    # change; a claim reads it on SQLite (no refresh runs then), on PostgreSQL the claim
    # statement returns it
    assert reads == [{wf.id}] * (3 if svc.db.store.embedded else 1)
    async with svc.read() as session:
        rows = await session.scalars(
            select(Event).where(Event.type == "job.status_changed").order_by(Event.id)
        )
        events = [p for r in rows for p in expand({"seq": 0, "span": r.span, "payload": r.payload})]
    payloads = [e["payload"] for e in events]
    done = [p for p in payloads if p["jobId"] == str(running[0].job.id)]
    flow = done[-1]["workflow"]
    assert done[-1]["status"] == "SUCCEEDED"
    assert flow["status"] == "RUNNING"
    counts = {"SUCCEEDED": 2, "PROCESSING": 1, "PENDING": 2}  # m2 claimable, the join waits
    assert {s: n for s, n in flow["stats"]["counts"].items() if n} == counts
    assert flow["stats"]["total"] == 5
    last = payloads[-1]
    assert last["status"] == "SUCCEEDED"
    assert {s: n for s, n in last["workflow"]["stats"]["counts"].items() if n} == {"SUCCEEDED": 5}
    # a claim's event carries the counts with the claim in them
    async with svc.read() as session:
        m2_id = await session.scalar(
            select(Job.id).where(Job.workflow_id == wf.id, Job.name == "m2")
        )
    [m2] = [p for p in payloads if p["status"] == "PROCESSING" and p["jobId"] == str(m2_id)]
    assert {s: n for s, n in m2["workflow"]["stats"]["counts"].items() if n} == {
        "SUCCEEDED": 3,
        "PROCESSING": 1,
        "PENDING": 1,
    }
    assert last["workflow"]["status"] == "SUCCEEDED", last["workflow"]["status"]


async def test_a_fan_out_releases_its_children_in_one_event(svc, org, admin) -> None:
    """Workers need to know a queue has work, not each job: releasing 50 children writes
    one event listing them."""
    wf, w = await start(svc, org, admin, fan(50))
    assert await step(svc, admin, w, limit=1) == ["split"]
    async with svc.read() as session:
        released = await stored_events(session, Event.type == "jobs.released")
    by_size = sorted(len(e["payload"]["jobIds"]) for e in released)
    assert by_size == [1, 50]  # split at start, then the 50 middle jobs at once
    big = next(e["payload"] for e in released if len(e["payload"]["jobIds"]) == 50)
    assert big["queueId"] == str(org.queue.id)
    assert big["workflowId"] == str(wf.id)


async def test_finishing_a_job_touches_only_its_edges(svc, org, admin) -> None:
    """The engine reads a finished job's own outgoing edges, never the others'."""
    _, w = await start(svc, org, admin, fan(3))
    async with svc.read() as session:
        split = await session.scalar(select(Job).where(Job.name == "split"))
        assert split is not None
        out = await deps_repo.pending_out(session, [split.id])
    assert len(out) == 3
    await step(svc, admin, w)
    async with svc.read() as session:
        pending = await session.scalar(
            select(func.count()).select_from(JobDependency).where(JobDependency.status == "PENDING")
        )
    assert pending == 3  # the three edges into the join, untouched


async def test_the_graph_read_leaves_the_definition_unread(svc, org, admin) -> None:
    """A graph needs the workflow's rows, not its definition: a 10,000-job workflow's is
    megabytes of JSON to send and decode per request."""
    wf = await workflows.create(svc, admin, org.project.id, fan(3), start=False)
    statements: list[str] = []

    def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(svc.db.engine.sync_engine, "before_cursor_execute", record)
    try:
        jobs_, edges = await workflow_reads.graph_of(svc, admin, wf.id)
    finally:
        event.remove(svc.db.engine.sync_engine, "before_cursor_execute", record)
    assert (len(jobs_), len(edges)) == (5, 6)
    reads = [s for s in statements if "FROM workflows" in s]
    assert reads and not any("definition" in s for s in reads)
