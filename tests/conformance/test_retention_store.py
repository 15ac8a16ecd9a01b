"""The retention part of the store contract, checked on every store: which workflows
have expired (ended, not pruned, no live job, past the longest retention among their
project's queues, oldest first), and workflow states answering from frozen counts."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from taskforge.domain.enums import JobStatus, WorkflowStatus
from taskforge.persistence.common import retention as retention_repo
from taskforge.persistence.common import workflows
from taskforge.persistence.store import store_of
from taskforge.persistence.tables import Job, Workflow
from taskforge.services import queues, tenancy
from taskforge.services import workflows as workflow_service
from tests.conftest import admin_of

TWO = {"name": "two", "jobs": [{"name": "a", "job_type": "t"}, {"name": "b", "job_type": "t"}]}


async def _ended(
    svc: Any,
    org: Any,
    status: WorkflowStatus,
    days_ago: float | None,
    *,
    project_id: uuid.UUID | None = None,
    live_job: bool = False,
    pruned: bool = False,
) -> uuid.UUID:
    """A workflow of two jobs set to ``status``, finished ``days_ago`` days ago, its jobs
    SUCCEEDED (one left PENDING with ``live_job``)."""
    admin = admin_of(org)
    wf = await workflow_service.create(svc, admin, project_id or org.project.id, TWO)
    now = svc.clock()
    finished = None if days_ago is None else now - timedelta(days=days_ago)
    async with svc.write() as session:
        await session.execute(
            update(Workflow)
            .where(Workflow.id == wf.id)
            .values(status=status, finished_at=finished, pruned_at=now if pruned else None)
        )
        await session.execute(
            update(Job)
            .where(Job.workflow_id == wf.id, Job.name != ("a" if live_job else ""))
            .values(status=JobStatus.SUCCEEDED, finished_at=finished)
        )
    return wf.id


async def _expired(svc: Any, limit: int = 100) -> list[uuid.UUID]:
    async with svc.write() as session:
        return await store_of(session).retention.expired_workflows(
            session, svc.clock(), svc.settings.job_retention_days, limit
        )


async def test_expired_workflows(svc: Any, org: Any) -> None:
    days = svc.settings.job_retention_days
    admin = admin_of(org)
    oldest = await _ended(svc, org, WorkflowStatus.CANCELLED, days + 20)
    old = await _ended(svc, org, WorkflowStatus.SUCCEEDED, days + 10)
    failed = await _ended(svc, org, WorkflowStatus.FAILED, days + 5)
    await _ended(svc, org, WorkflowStatus.FAILED, days + 10, live_job=True)
    await _ended(svc, org, WorkflowStatus.SUCCEEDED, days - 1)
    await _ended(svc, org, WorkflowStatus.RUNNING, days + 10)
    await _ended(svc, org, WorkflowStatus.PAUSED, days + 10)
    await _ended(svc, org, WorkflowStatus.SUCCEEDED, days + 10, pruned=True)
    # a project whose longest queue retention is longer keeps its workflows longer
    archive = await tenancy.create_project(svc, admin, "archive", None)
    await queues.create_queue(svc, admin, archive.id, "default", 5, {"retention_days": 1})
    await queues.create_queue(svc, admin, archive.id, "long", 5, {"retention_days": int(days) + 30})
    await _ended(svc, org, WorkflowStatus.SUCCEEDED, days + 10, project_id=archive.id)
    kept_long = await _ended(svc, org, WorkflowStatus.SUCCEEDED, days + 40, project_id=archive.id)

    assert set(await _expired(svc)) == {oldest, old, failed, kept_long}
    # oldest first, within a project
    assert await _expired(svc, 1) in ([oldest], [kept_long])


async def test_states_answer_from_frozen_counts(svc: Any, org: Any) -> None:
    wid = await _ended(svc, org, WorkflowStatus.SUCCEEDED, 1)
    async with svc.write() as session:
        assert await retention_repo.freeze_counts(session, wid) is True
        assert await retention_repo.freeze_counts(session, wid) is False
        await retention_repo.delete_jobs(
            session, await retention_repo.workflow_jobs(session, wid, 1)
        )
        states = await workflows.states(session, [wid])
        counts = await workflows.status_counts_many(session, [wid])
    assert states == {wid: (WorkflowStatus.SUCCEEDED, {JobStatus.SUCCEEDED: 2})}
    assert counts == {wid: {JobStatus.SUCCEEDED: 2}}
