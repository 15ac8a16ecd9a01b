"""Retention: finished jobs past their queue's retention, and workers OFFLINE past the
workers' retention, deleted in the background in bounded batches (one transaction each).

Decisions (README, "Retention"):
- A job expires ``retention_days`` (its queue's, else TASKFORGE_JOB_RETENTION_DAYS)
  after it finished (SUCCEEDED, FAILED, CANCELLED, SKIPPED); it goes with its
  executions, their logs and its edges, all in one transaction.
- Workflow jobs are kept as long as their workflow (deleteWorkflow removes them): a
  workflow's status, counts and stats never change under it.
- A finished job with an edge to or from a job that has not finished is kept until
  that job finishes too: no child loses a parent it still waits on, and no edge is left
  dangling (edges go with the job).
- Schedules keep their run counts (``runs_count``); a fire's link to its job becomes null.
- Deletion writes no per-job events (nobody subscribes to a job finished weeks ago);
  each sweep logs what it deleted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from taskforge.domain.enums import WorkerStatus
from taskforge.domain.events import WorkerDeleted
from taskforge.persistence.common import fleet
from taskforge.persistence.common import retention as repo
from taskforge.persistence.store import store_of
from taskforge.services.base import Services, retried
from taskforge.services.job_events import record

log = logging.getLogger(__name__)


@retried
async def delete_expired_jobs(svc: Services, limit: int | None = None) -> int:
    """One batch: up to ``limit`` expired jobs deleted; returns how many."""
    batch = limit or svc.settings.retention_batch
    async with svc.write() as session:
        ids = await store_of(session).retention.expired(
            session, svc.clock(), svc.settings.job_retention_days, batch
        )
        return await repo.delete_jobs(session, ids)


@retried
async def prune_workers(svc: Services, limit: int = 500) -> int:
    """One batch: up to ``limit`` workers OFFLINE for longer than the workers'
    retention deleted with their assignments (their executions keep their history)."""
    before = svc.clock() - timedelta(days=svc.settings.worker_retention_days)
    async with svc.write() as session:
        gone = await fleet.prune_offline(session, before, limit)
        await record(
            session,
            [WorkerDeleted(w.organization_id, w.id, WorkerStatus.OFFLINE, w.name) for w in gone],
        )
    return len(gone)


async def sweep(svc: Services) -> tuple[int, int]:
    """Batches until none is full: (jobs, workers) deleted."""
    jobs = workers = 0
    batch = svc.settings.retention_batch
    while True:
        started = time.monotonic()
        n = await delete_expired_jobs(svc, batch)
        jobs += n
        if n < batch:
            break
        # leave the database (and this process) to the hot paths for as long again as
        # the batch took: retention runs at about half speed, claims barely notice it
        await asyncio.sleep((time.monotonic() - started) * svc.settings.retention_yield)
    while (n := await prune_workers(svc)) > 0:
        workers += n
        if n < 500:
            break
    if jobs or workers:
        log.info("retention deleted %d jobs and %d workers", jobs, workers)
    return jobs, workers
