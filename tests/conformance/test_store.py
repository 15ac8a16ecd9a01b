"""The store contract, specified once and checked on every store (the ``runtime``
fixture runs each test on SQLite and on PostgreSQL): rows returned (shape and values),
rows changed and the exclusion a claim guarantees."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

from taskforge.domain.enums import FailurePolicy, JobStatus, WorkerType, WorkflowStatus
from taskforge.domain.rows import GraphJob, RefreshRow
from taskforge.persistence.common import graph, jobs, workflows
from taskforge.persistence.tables import Workflow
from taskforge.services import executions, workers
from taskforge.services import jobs as job_service
from tests.conftest import admin_of


async def _enqueue(svc: Any, org: Any, n: int) -> list[uuid.UUID]:
    spec = job_service.NewJob(queue_id=org.queue.id, job_type="noop")
    return [j.id for j in await job_service.enqueue(svc, admin_of(org), [spec] * n)]


async def test_a_claim_never_hands_one_job_to_two_claimers(svc: Any, org: Any) -> None:
    admin = admin_of(org)
    expected = set(await _enqueue(svc, org, 60))
    claims: Counter[uuid.UUID] = Counter()

    async def claimer(n: int) -> None:
        worker = await workers.register(
            svc, admin, f"w{n}", WorkerType.GENERAL, [workers.QueueWeight(org.queue.id)]
        )
        while got := await executions.claim(svc, admin, worker.id, None, 7):
            claims.update(c.job.id for c in got)

    await asyncio.gather(*(claimer(n) for n in range(4)))
    assert set(claims) == expected
    assert max(claims.values()) == 1


async def test_claimed_rows_have_one_shape(svc: Any, org: Any) -> None:
    admin = admin_of(org)
    [job_id] = await _enqueue(svc, org, 1)
    worker = await workers.register(
        svc, admin, "w", WorkerType.GENERAL, [workers.QueueWeight(org.queue.id)]
    )
    [claimed] = await executions.claim(svc, admin, worker.id, None, 5)
    assert claimed.job.id == job_id
    assert claimed.job.status is JobStatus.PROCESSING
    assert claimed.job.attempts == 1


async def _workflow(svc: Any, org: Any) -> uuid.UUID:
    async with svc.write() as session:
        wf = Workflow(
            id=uuid.uuid4(),
            organization_id=org.organization.id,
            project_id=org.project.id,
            name="conformance",
            status=WorkflowStatus.RUNNING,
            failure_policy=FailurePolicy.FAIL_FAST,
            definition={},
        )
        session.add(wf)
        await session.flush()
        return wf.id


async def test_workflow_states_and_refresh_rows(svc: Any, org: Any) -> None:
    wid = await _workflow(svc, org)
    async with svc.write() as session:
        states = await workflows.states(session, [wid])
        refreshed = await workflows.lock_for_refresh(session, [wid])
    # no jobs: a status and no counts, on both stores (not a zero count)
    assert states == {wid: (WorkflowStatus.RUNNING, {})}
    assert refreshed == [RefreshRow(wid, WorkflowStatus.RUNNING, FailurePolicy.FAIL_FAST, False)]
    assert type(refreshed[0]) is RefreshRow


async def test_fold_counts_of_an_idle_database_folds_nothing(svc: Any) -> None:
    async with svc.write() as session:
        assert await workflows.fold_counts(session, 0, 10) == 0


async def test_graph_rows_have_one_shape(svc: Any, org: Any) -> None:
    [job_id] = await _enqueue(svc, org, 1)
    async with svc.read() as session:
        [row] = await graph.graph_jobs(session, org.organization.id, [job_id])
        assert await graph.graph_jobs(session, uuid.uuid4(), [job_id]) == []
    assert type(row) is GraphJob
    assert (row.id, row.job_type, row.status) == (job_id, "noop", "PENDING")


async def test_a_locked_job_is_the_job(svc: Any, org: Any) -> None:
    [job_id] = await _enqueue(svc, org, 1)
    async with svc.write() as session:
        job = await jobs.lock(session, org.organization.id, job_id)
        assert job is not None and job.id == job_id
        assert await jobs.lock(session, uuid.uuid4(), job_id) is None
