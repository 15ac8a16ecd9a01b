"""Retention of workflow jobs, on both databases: an ended workflow past its retention
loses its jobs (with their executions, logs and edges) in bounded batches, its status,
timestamps and stats read exactly as before (GraphQL ``workflow`` and ``workflows``),
and operations that need its jobs are CONFLICT; newer, running and other tenants'
workflows are untouched."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, or_, select, update

from taskforge.domain.enums import JobStatus, LogLevel, WorkflowStatus
from taskforge.domain.errors import Conflict, NotFound
from taskforge.persistence.common import workflows as wf_repo
from taskforge.persistence.tables import (
    Event,
    ExecutionLog,
    Job,
    JobDependency,
    JobExecution,
    Workflow,
    WorkflowJobCount,
)
from taskforge.services import executions, job_admin, queues, retention, tenancy, workflows
from taskforge.services.workflows import ResumeAction
from tests.conftest import admin_of
from tests.helpers import asgi_client
from tests.integration.test_isolation import snapshot
from tests.integration.workflow_driver import statuses, worker_for

# every ending a job of a workflow can have: SUCCEEDED (validate, process_valid, x*),
# SKIPPED (handle_invalid: branch not taken), FAILED (load, f*), CANCELLED (use: its
# parent failed); CONTINUE_ON_FAILURE, so the workflow ends FAILED. 14 jobs, 12 run
# (one execution and one log line each), 9 edges.
MIXED = {
    "name": "mixed",
    "failure_policy": "CONTINUE_ON_FAILURE",
    "jobs": [
        {"name": "validate", "job_type": "t"},
        {
            "name": "process_valid",
            "job_type": "t",
            "dependencies": [
                {
                    "job": "validate",
                    "type": "CONDITIONAL",
                    "expression": 'output.validation_status == "valid"',
                }
            ],
        },
        {
            "name": "handle_invalid",
            "job_type": "t",
            "dependencies": [
                {
                    "job": "validate",
                    "type": "CONDITIONAL",
                    "expression": "output.validation_status == 'invalid'",
                }
            ],
        },
        {"name": "load", "job_type": "t"},
        {"name": "use", "job_type": "t", "depends_on": ["load"]},
        *({"name": f"f{i}", "job_type": "t"} for i in range(3)),
        *({"name": f"x{i}", "job_type": "t", "depends_on": ["validate"]} for i in range(6)),
    ],
}
OUTCOMES: dict[str, Any] = {"validate": {"validation_status": "valid"}, "load": "fail"}
OUTCOMES |= {f"f{i}": "fail" for i in range(3)}
FROZEN = {"SUCCEEDED": 8, "SKIPPED": 1, "FAILED": 4, "CANCELLED": 1}

STATS = "status createdAt startedAt finishedAt prunedAt stats { total completed "
STATS += "completionPercentage counts { status count } }"
ONE = f"query($id: ID!) {{ workflow(id: $id) {{ {STATS} }} }}"
ALL = f"{{ workflows {{ totalCount edges {{ node {{ id {STATS} }} }} }} }}"
GRAPH = """query($id: ID!) { workflow(id: $id) {
  jobs { id } graph { nodes { id } edges { id } roots leaves levels } } }"""


async def run_logged(svc, principal, worker_id) -> None:
    """Claim and finish until nothing is claimable, each attempt with a log line."""
    while claimed := await executions.claim(svc, principal, worker_id, None, 100):
        for c in claimed:
            await executions.append_logs(
                svc, principal, c.execution_id, [(LogLevel.INFO, c.job.name or "", None)]
            )
            what = OUTCOMES.get(c.job.name or "", "ok")
            if what == "fail":
                await executions.fail(svc, principal, [(c.execution_id, ("boom", False))])
            else:
                output = what if isinstance(what, dict) else None
                await executions.complete(svc, principal, [(c.execution_id, output)])


async def ended_workflow(svc, principal, project_id, queue_id) -> uuid.UUID:
    wf = await workflows.create(svc, principal, project_id, MIXED, start=True)
    worker = await worker_for(svc, principal, queue_id, f"w-{uuid.uuid4().hex[:8]}")
    await run_logged(svc, principal, worker)
    return wf.id


async def finished_days_ago(runtime, workflow_id, days: float) -> None:
    async with runtime.db.write() as session:
        when = runtime.services.clock() - timedelta(days=days)
        await session.execute(
            update(Workflow).where(Workflow.id == workflow_id).values(finished_at=when)
        )


async def count(runtime, model, *where) -> int:
    async with runtime.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def rows_of(runtime, workflow_id) -> dict[str, int]:
    """The workflow's jobs, executions, logs, edges and count changes, counted."""
    async with runtime.db.read() as session:
        ids = list(await session.scalars(select(Job.id).where(Job.workflow_id == workflow_id)))
    execs = select(JobExecution.id).where(JobExecution.job_id.in_(ids))
    return {
        "jobs": len(ids),
        "executions": await count(runtime, JobExecution, JobExecution.job_id.in_(ids)),
        "logs": await count(runtime, ExecutionLog, ExecutionLog.execution_id.in_(execs)),
        "edges": await count(
            runtime,
            JobDependency,
            or_(JobDependency.parent_job_id.in_(ids), JobDependency.child_job_id.in_(ids)),
        ),
    }


async def test_an_expired_workflow_loses_its_jobs_and_keeps_its_stats(
    svc, runtime, admin, org, other_org
) -> None:
    days = svc.settings.job_retention_days
    old = await ended_workflow(svc, admin, org.project.id, org.queue.id)
    assert set((await statuses(svc, admin, old)).values()) == {
        "SUCCEEDED",
        "SKIPPED",
        "FAILED",
        "CANCELLED",
    }
    newer = await ended_workflow(svc, admin, org.project.id, org.queue.id)
    running = await workflows.create(
        svc,
        admin,
        org.project.id,
        {"name": "r", "jobs": [{"name": "a", "job_type": "t"}, {"name": "b", "job_type": "t"}]},
        start=True,
    )
    # a project with a queue keeping jobs longer keeps its workflows as long
    kept_project = await tenancy.create_project(svc, admin, "archive", None)
    archive = await queues.create_queue(
        svc, admin, kept_project.id, "default", 5, {"retention_days": int(days) + 30}
    )
    kept = await ended_workflow(svc, admin, kept_project.id, archive.id)
    theirs = admin_of(other_org)
    their_wf = await ended_workflow(svc, theirs, other_org.project.id, other_org.queue.id)
    await finished_days_ago(runtime, old, days + 1)
    await finished_days_ago(runtime, newer, days - 1)
    await finished_days_ago(runtime, kept, days + 1)
    await finished_days_ago(runtime, running.id, days + 1)  # not ended: no matter
    old_rows = await rows_of(runtime, old)
    assert old_rows == {"jobs": 14, "executions": 12, "logs": 12, "edges": 9}
    untouched = {w: await rows_of(runtime, w) for w in (newer, running.id, kept)}
    their_rows = await snapshot(runtime, other_org.organization.id)

    async with asgi_client(runtime, org.api_key.secret) as gql:
        before = (await gql.ok(ONE, {"id": str(old)}))["workflow"]
        listed_before = (await gql.ok(ALL))["workflows"]
        assert before["status"] == "FAILED" and before["prunedAt"] is None
        assert before["stats"]["total"] == 14 and before["stats"]["completed"] == 14
        assert len((await gql.ok(GRAPH, {"id": str(old)}))["workflow"]["graph"]["nodes"]) == 14

        # the first batch freezes the counts and takes 2 jobs
        assert await retention.delete_expired_workflow_jobs(svc, 2) == (2, 0)
        async with runtime.db.read() as session:
            row = await session.get(Workflow, old)
        assert row is not None and row.retained_counts == FROZEN
        assert await count(runtime, WorkflowJobCount, WorkflowJobCount.workflow_id == old) == 0
        assert await count(runtime, Job, Job.workflow_id == old) == 12
        assert (await gql.ok(ONE, {"id": str(old)}))["workflow"] == before
        graph = (await gql.ok(GRAPH, {"id": str(old)}))["workflow"]
        assert graph == {
            "jobs": [],
            "graph": {"nodes": [], "edges": [], "roots": [], "leaves": [], "levels": []},
        }
        # a failed job left while the rest goes cannot be retried (4 failed, 2 gone)
        async with runtime.db.read() as session:
            left = await session.scalar(
                select(Job.id).where(Job.workflow_id == old, Job.status == JobStatus.FAILED)
            )
        assert left is not None
        with pytest.raises(Conflict, match="retention"):
            await job_admin.retry(svc, admin, left)
        failed_left = job_admin.JobFilter(statuses=frozenset({JobStatus.FAILED}), workflow_id=old)
        assert await job_admin.retry_many(svc, admin, failed_left) == 0
        assert await count(runtime, Job, Job.workflow_id == old) == 12

        batches = 1
        while (done := await retention.delete_expired_workflow_jobs(svc, 3)) != (0, 0):
            batches += 1
            assert done[0] <= 3
        assert batches == 6  # 2 + 3 + 3 + 3 + 3, then the mark of the last job gone

        assert await rows_of(runtime, old) == {"jobs": 0, "executions": 0, "logs": 0, "edges": 0}
        assert await count(runtime, ExecutionLog) == 3 * 12  # newer's, kept's, theirs
        for workflow_id, rows in untouched.items():
            assert await rows_of(runtime, workflow_id) == rows
        assert await snapshot(runtime, other_org.organization.id) == their_rows
        assert await rows_of(runtime, their_wf) == old_rows

        after = (await gql.ok(ONE, {"id": str(old)}))["workflow"]
        assert after["prunedAt"] is not None
        assert {**after, "prunedAt": None} == before
        listed_after = (await gql.ok(ALL))["workflows"]
        for edge in listed_after["edges"]:
            edge["node"]["prunedAt"] = None
        assert listed_after == listed_before
        # the count changes fold as before (PostgreSQL; nothing to fold on SQLite)
        async with runtime.db.write() as session:
            await wf_repo.fold_counts(session, 0, 100)
        listed_folded = (await gql.ok(ALL))["workflows"]
        for edge in listed_folded["edges"]:
            edge["node"]["prunedAt"] = None
        assert listed_folded == listed_before

    # workflowProgress's states: the frozen ones
    async with runtime.db.read() as session:
        states = await wf_repo.states(session, [old])
    assert states[old] == (WorkflowStatus.FAILED, {JobStatus(k): n for k, n in FROZEN.items()})
    assert await retention.sweep(svc) == (0, 0)


async def test_the_sweep_prunes_workflows_in_full_batches(svc, runtime, admin, org) -> None:
    days = svc.settings.job_retention_days
    ids = [await ended_workflow(svc, admin, org.project.id, org.queue.id) for _ in range(2)]
    for workflow_id in ids:
        await finished_days_ago(runtime, workflow_id, days + 1)
    runtime.services.settings.retention_batch = 4
    runtime.services.settings.retention_yield = 0
    assert await retention.sweep(svc) == (28, 0)
    assert await count(runtime, Job) == 0
    assert await count(runtime, Workflow, Workflow.pruned_at.is_not(None)) == 2


async def test_a_pruned_workflow_is_not_retried_or_resumed(
    svc, runtime, admin, org, other_org
) -> None:
    old = await ended_workflow(svc, admin, org.project.id, org.queue.id)
    await finished_days_ago(runtime, old, svc.settings.job_retention_days + 1)
    assert await retention.delete_expired_workflow_jobs(svc) == (14, 1)
    rows = await snapshot(runtime, org.organization.id)
    events = await count(runtime, Event)
    with pytest.raises(Conflict, match="retention"):
        await workflows.retry(svc, admin, old)
    with pytest.raises(Conflict, match="retention"):
        await workflows.resume(svc, admin, old, ResumeAction.RETRY_FAILED)
    with pytest.raises(NotFound):
        await workflows.retry(svc, admin_of(other_org), old)
    async with asgi_client(runtime, org.api_key.secret) as gql:
        retry = "mutation($id: ID!) { retryWorkflow(id: $id) { id } }"
        assert await gql.error(retry, {"id": str(old)}) == "CONFLICT"
        resume = "mutation($id: ID!) { resumeWorkflow(id: $id, action: ABORT) { id } }"
        assert await gql.error(resume, {"id": str(old)}) == "CONFLICT"
    async with asgi_client(runtime, other_org.api_key.secret) as gql:
        assert await gql.error(retry, {"id": str(old)}) == "NOT_FOUND"
    assert await snapshot(runtime, org.organization.id) == rows
    assert await count(runtime, Event) == events
    # deleting it works as ever
    assert await workflows.delete(svc, admin, old) == old
    assert await count(runtime, Workflow, Workflow.id == old) == 0
