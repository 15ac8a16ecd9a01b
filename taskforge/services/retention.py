"""Retention: finished jobs past their queue's retention, the jobs of ended workflows past
theirs, and workers OFFLINE past the workers' retention, deleted in the background in
bounded batches (one transaction each).

Decisions (README, "Retention"):
- A job expires ``retention_days`` (its queue's, else TASKFORGE_JOB_RETENTION_DAYS)
  after it finished (SUCCEEDED, FAILED, CANCELLED, SKIPPED); it goes with its
  executions, their logs and its edges, all in one transaction.
- A workflow's jobs go when the workflow has ended (SUCCEEDED, FAILED, CANCELLED) and
  has no job still live, ``retention_days`` after it finished, where the days are the
  longest retention among its project's queues (the queues its jobs can be in; each its
  own, else TASKFORGE_JOB_RETENTION_DAYS): none of its jobs goes earlier than its queue
  would let a job outside a workflow go, and one index range scan per project finds
  them. They go in the same bounded batches, with their executions, logs and edges; a
  10,000-job workflow takes several transactions.
- Before the first of them goes, in that batch's transaction, the workflow's counts per
  status are frozen on its row (``retained_counts``); every read of its counts (stats,
  listings, workflowProgress states) answers from them from then on, so its status,
  timestamps and stats read as before. Its count changes on PostgreSQL (the deletions'
  negative deltas included) are deleted in each batch: the frozen counts replace them.
  ``prunedAt`` is set when its last job has gone. From the freeze on, its graph and
  ``jobs`` are empty, and retryWorkflow, resumeWorkflow and retrying its jobs are
  CONFLICT; deleteWorkflow works as ever.
- A finished job with an edge to or from a job that has not finished is kept until
  that job finishes too: no child loses a parent it still waits on, and no edge is left
  dangling (edges go with the job).
- Schedules keep their run counts (``runs_count``); a fire's link to its job becomes null.
- Deletion writes no per-job events (nobody subscribes to a job finished weeks ago);
  each sweep logs what it deleted.
- Idempotency keys past their window (TASKFORGE_IDEMPOTENCY_HOURS) are deleted too; an
  expired key is free whether or not its row is still there.
- The starts a rate limit counted go once their job's period has passed (also those of
  deleted queues: the table has no foreign keys).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from taskforge.domain.enums import WorkerStatus
from taskforge.domain.events import WorkerDeleted
from taskforge.persistence.common import fleet, flow
from taskforge.persistence.common import idempotency as keys_repo
from taskforge.persistence.common import retention as repo
from taskforge.persistence.common import workflows as workflows_repo
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
async def delete_expired_workflow_jobs(svc: Services, limit: int | None = None) -> tuple[int, int]:
    """One batch: up to ``limit`` jobs of expired workflows deleted, oldest workflow first,
    each workflow's counts frozen before its first job goes; returns (jobs deleted,
    workflows whose last job went)."""
    batch = limit or svc.settings.retention_batch
    now = svc.clock()
    deleted = pruned = 0
    async with svc.write() as session:
        expired = await store_of(session).retention.expired_workflows(
            session, now, svc.settings.job_retention_days, batch
        )
        for workflow_id in expired:
            room = batch - deleted
            if room <= 0:
                break
            await repo.freeze_counts(session, workflow_id)
            taken = await repo.workflow_jobs(session, workflow_id, room)
            deleted += await repo.delete_jobs(session, taken)
            await workflows_repo.forget_counts(session, workflow_id)
            if len(taken) < room:  # none left
                await repo.mark_pruned(session, workflow_id, now)
                pruned += 1
    return deleted, pruned


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


@retried  # its row locks, in expiry order, can meet a batch enqueue's, in key order
async def purge_idempotency_keys(svc: Services, limit: int | None = None) -> int:
    """One batch: up to ``limit`` expired idempotency keys deleted; returns how many."""
    batch = limit or svc.settings.retention_batch
    async with svc.write() as session:
        return await keys_repo.purge(session, svc.clock(), batch)


@retried
async def purge_rate_starts(svc: Services, limit: int | None = None) -> int:
    """One batch: up to ``limit`` recorded starts of rate-limited jobs whose period has
    passed (no count reads them any more) deleted; returns how many."""
    async with svc.write() as session:
        return await flow.purge_starts(session, svc.clock(), limit or svc.settings.retention_batch)


async def sweep(svc: Services) -> tuple[int, int]:
    """Batches until none is full: (jobs, workers) deleted, workflows' jobs counted in."""
    jobs = workers = workflows = 0
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
    while True:
        started = time.monotonic()
        n, pruned = await delete_expired_workflow_jobs(svc, batch)
        jobs += n
        workflows += pruned
        if n < batch and pruned < batch:
            break
        await asyncio.sleep((time.monotonic() - started) * svc.settings.retention_yield)
    while (n := await prune_workers(svc)) > 0:
        workers += n
        if n < 500:
            break
    keys = 0
    while (n := await purge_idempotency_keys(svc, batch)) > 0:
        keys += n
        if n < batch:
            break
    if keys:
        log.info("retention deleted %d expired idempotency keys", keys)
    while await purge_rate_starts(svc, batch) >= batch:
        pass
    if jobs or workers or workflows:
        log.info(
            "retention deleted %d jobs (the last of %d workflows') and %d workers",
            jobs,
            workflows,
            workers,
        )
    return jobs, workers
