"""A cancel racing the reaper on PostgreSQL: whichever holds the job's row first, the job
ends CANCELLED with its attempt closed, and the cancel is never refused for a job that
could be cancelled. The interleavings are forced: the reaper is held after it has
locked its rows, and the cancel is released once the database shows it waiting."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from taskforge.domain.enums import ExecutionStatus, JobStatus, Tier
from taskforge.persistence.common import executions as exec_repo
from taskforge.persistence.common import jobs as jobs_repo
from taskforge.services import executions, jobs, queues, workflow_reads, workflows
from tests.conftest import admin_of, new_org
from tests.integration.test_execution import make_worker

RETRY = {"max_attempts": 3, "base_delay": 10, "jitter": False}


class Held:
    """Hold the first call of ``module.name`` until released; ``reached`` says it began."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> None:
        self.reached, self.release = asyncio.Event(), asyncio.Event()
        original = getattr(module, name)

        async def held(*args: Any, **kwargs: Any) -> Any:
            if not self.reached.is_set():
                self.reached.set()
                await asyncio.wait_for(self.release.wait(), 10)
            return await original(*args, **kwargs)

        monkeypatch.setattr(module, name, held)


async def lock_waiters(dsn: str, at_least: int = 1) -> None:
    """Wait until a session of this database waits for a row lock."""
    conn = await asyncpg.connect(dsn)
    try:
        for _ in range(500):
            n = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if n >= at_least:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("nothing waits for a lock")
    finally:
        await conn.close()


async def pair(svc: Any, job_id: Any) -> tuple[JobStatus, ExecutionStatus | None]:
    async with svc.read() as session:
        job = await jobs_repo.get(session, job_id[0], job_id[1])
        latest = await exec_repo.latest(session, job_id[1])
    assert job is not None
    return job.status, latest.status if latest else None


async def running_job(svc: Any, definition: dict[str, Any] | None = None) -> tuple[Any, ...]:
    """(admin, (organization id, job id), lease end) of one job claimed with a 10 s lease,
    standalone or the only step of a workflow."""
    org = await new_org(svc, "Race", Tier.ENTERPRISE)
    admin = admin_of(org)
    queue = await queues.create_queue(svc, admin, org.project.id, "r", settings=RETRY)
    if definition is None:
        await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=queue.id, job_type="t")])
    else:
        await workflows.create(svc, admin, org.project.id, definition, start=True)
    worker = await make_worker(svc, admin, queue.id)
    [c] = await executions.claim(svc, admin, worker.id, None, 1, lease_seconds=10)
    return admin, (org.organization.id, c.job.id), c.lease_expires_at


def expire(svc: Any, lease_end: Any) -> None:
    svc.clock = lambda: lease_end + timedelta(seconds=1)


async def test_a_cancel_waits_for_the_reaper_then_cancels(pg_runtime, monkeypatch) -> None:
    """The reaper holds the job first: the cancel waits, then finds the job waiting for
    its retry and cancels it (it was refused as a lost race, the job left SCHEDULED)."""
    svc = pg_runtime.services
    admin, job, lease_end = await running_job(svc)
    expire(svc, lease_end)
    reaper = Held(monkeypatch, executions, "fail_attempt")
    reaping = asyncio.create_task(executions.reap(svc))
    await reaper.reached.wait()  # the expired attempt and its job are locked
    cancelling = asyncio.create_task(jobs.cancel(svc, admin, job[1]))
    await lock_waiters(pg_runtime.settings.database_url.replace("+asyncpg", ""))
    reaper.release.set()
    assert await reaping == 1
    cancelled = await cancelling
    assert cancelled.status is JobStatus.CANCELLED
    assert await pair(svc, job) == (JobStatus.CANCELLED, ExecutionStatus.CANCELLED)


async def test_the_reaper_passes_a_job_being_cancelled(pg_runtime, monkeypatch) -> None:
    """The cancel holds the job first: the reaper skips it, and finds nothing to reap
    once the cancel has closed the attempt."""
    svc = pg_runtime.services
    admin, job, lease_end = await running_job(svc)
    expire(svc, lease_end)
    cancel = Held(monkeypatch, jobs_repo, "close_open_attempts")
    cancelling = asyncio.create_task(jobs.cancel(svc, admin, job[1]))
    await cancel.reached.wait()  # the job is locked and CANCELLED, not yet committed
    assert await executions.reap(svc) == 0
    cancel.release.set()
    await cancelling
    assert await executions.reap(svc) == 0
    assert await pair(svc, job) == (JobStatus.CANCELLED, ExecutionStatus.CANCELLED)


async def test_a_workflow_cancel_after_the_reaper_closes_the_retry(pg_runtime, monkeypatch) -> None:
    """cancelWorkflow read the job running; the reaper, holding it, made it wait for its
    retry: the cancel closes that retry (it left (CANCELLED, RETRYING), which
    syncJobStatus turned back into SCHEDULED)."""
    svc = pg_runtime.services
    definition = {"name": "one", "jobs": [{"name": "a", "job_type": "t", "queue": "r"}]}
    admin, job, lease_end = await running_job(svc, definition)
    [wf] = (await workflow_reads.list_workflows(svc, admin, first=1, after=None)).items
    expire(svc, lease_end)
    reaper = Held(monkeypatch, executions, "fail_attempt")
    reaping = asyncio.create_task(executions.reap(svc))
    await reaper.reached.wait()
    cancelling = asyncio.create_task(workflows.cancel(svc, admin, wf.id))
    await lock_waiters(pg_runtime.settings.database_url.replace("+asyncpg", ""))
    reaper.release.set()
    assert await reaping == 1
    await cancelling
    assert await pair(svc, job) == (JobStatus.CANCELLED, ExecutionStatus.CANCELLED)
