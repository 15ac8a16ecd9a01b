"""Schedules: rows, the engine's due queries, the fire guard, rate windows, and what the
policies read of their runs (is the last one live?) and write on them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Select,
    Table,
    bindparam,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import (
    JobStatus,
    OverlapPolicy,
    ScheduleKind,
    ScheduleStatus,
    WorkflowStatus,
)
from taskforge.domain.executions import OPEN
from taskforge.domain.jobs import TERMINAL
from taskforge.domain.workflows import TERMINAL_WORKFLOW
from taskforge.persistence.common import organizations
from taskforge.persistence.store import store_of
from taskforge.persistence.tables import (
    BUFFERED_PREDICATE,
    Job,
    JobExecution,
    RateWindow,
    ScheduledJob,
    ScheduleFire,
    Workflow,
)

FIRES: Table = ScheduleFire.__table__  # type: ignore[assignment]
WINDOWS: Table = RateWindow.__table__  # type: ignore[assignment]
LIVE = ScheduledJob.deleted_at.is_(None)
LIVE_JOB = [s for s in JobStatus if s not in TERMINAL]
LIVE_WORKFLOW = [s for s in WorkflowStatus if s not in TERMINAL_WORKFLOW]


async def get(
    session: AsyncSession, org_id: uuid.UUID, schedule_id: uuid.UUID
) -> ScheduledJob | None:
    return await session.scalar(
        select(ScheduledJob).where(
            ScheduledJob.id == schedule_id, ScheduledJob.organization_id == org_id, LIVE
        )
    )


async def lock(
    session: AsyncSession, org_id: uuid.UUID, schedule_id: uuid.UUID
) -> ScheduledJob | None:
    stmt = select(ScheduledJob).where(
        ScheduledJob.id == schedule_id, ScheduledJob.organization_id == org_id, LIVE
    )
    # as locked, also when this session read it before
    stmt = stmt.execution_options(populate_existing=True)
    return await session.scalar(store_of(session).lock_row(stmt))


async def due(session: AsyncSession, now: datetime, limit: int) -> list[ScheduledJob]:
    """Due ACTIVE schedules, oldest first, locked; rows another engine holds are skipped.

    Walks the (status, next_run_at) index from its start: the cost is the number due,
    not the number of schedules. Deleted schedules have no next run.
    """
    stmt = (
        select(ScheduledJob)
        .where(ScheduledJob.status == ScheduleStatus.ACTIVE, ScheduledJob.next_run_at <= now)
        .where(organizations.not_inactive(ScheduledJob.organization_id))
        .order_by(ScheduledJob.next_run_at)
        .limit(limit)
    )
    return list(await session.scalars(store_of(session).lock_for_claim(stmt)))


async def next_due_at(session: AsyncSession) -> datetime | None:
    """The earliest next run of any ACTIVE schedule (one index probe)."""
    stmt = select(func.min(ScheduledJob.next_run_at)).where(
        ScheduledJob.status == ScheduleStatus.ACTIVE,
        organizations.not_inactive(ScheduledJob.organization_id),
    )
    return await session.scalar(stmt)


async def record_fire(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Insert a fired occurrence; False if that occurrence was already fired."""
    stmt = store_of(session).insert_ignore(FIRES).values(**row)
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def record_fires(session: AsyncSession, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert occurrences; returns the ids of those not fired before (the others hit
    the unique key and are skipped, in the same statement)."""
    fresh: set[uuid.UUID] = set()
    for i in range(0, len(rows), 500):  # bounded parameters per statement
        stmt = (
            store_of(session).insert_ignore(FIRES).values(rows[i : i + 500]).returning(FIRES.c.id)
        )
        fresh.update(await session.scalars(stmt))
    return fresh


async def link_fires(session: AsyncSession, pairs: list[tuple[uuid.UUID, uuid.UUID]]) -> None:
    """(occurrence id, job id) pairs: one batched UPDATE."""
    if pairs:
        await session.execute(
            update(FIRES).where(FIRES.c.id == bindparam("fid")).values(job_id=bindparam("jid")),
            [{"fid": f, "jid": j} for f, j in pairs],
        )


async def set_fire_target(
    session: AsyncSession,
    fire_id: uuid.UUID,
    job_id: uuid.UUID | None,
    workflow_id: uuid.UUID | None,
) -> None:
    await session.execute(
        update(FIRES).where(FIRES.c.id == fire_id).values(job_id=job_id, workflow_id=workflow_id)
    )


async def take_rate(
    session: AsyncSession,
    org_id: uuid.UUID,
    job_type: str,
    window_start: datetime,
    n: int,
    limit: int,
) -> bool:
    """Count ``n`` jobs into this minute's window unless that would pass ``limit``.

    The window row is shared by every replica: the conditional UPDATE is atomic.
    """
    key = {"organization_id": org_id, "job_type": job_type, "window_start": window_start}
    await session.execute(store_of(session).insert_ignore(WINDOWS).values(**key, count=0))
    result = await session.execute(
        update(WINDOWS)
        .where(
            WINDOWS.c.organization_id == org_id,
            WINDOWS.c.job_type == job_type,
            WINDOWS.c.window_start == window_start,
            WINDOWS.c.count + n <= limit,
        )
        .values(count=WINDOWS.c.count + n)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def take_rate_upto(
    session: AsyncSession,
    org_id: uuid.UUID,
    job_type: str,
    window_start: datetime,
    wanted: int,
    limit: int,
) -> int:
    """Take up to ``wanted`` from this minute's window under ``limit``; returns how
    many were granted. The window row is locked, so replicas never over-grant."""
    key = {"organization_id": org_id, "job_type": job_type, "window_start": window_start}
    await session.execute(store_of(session).insert_ignore(WINDOWS).values(**key, count=0))
    where = (
        WINDOWS.c.organization_id == org_id,
        WINDOWS.c.job_type == job_type,
        WINDOWS.c.window_start == window_start,
    )
    used = await session.scalar(store_of(session).lock_row(select(WINDOWS.c.count).where(*where)))
    granted = max(0, min(wanted, limit - int(used or 0)))
    if granted:
        await session.execute(update(WINDOWS).where(*where).values(count=WINDOWS.c.count + granted))
    return granted


async def prune_windows(session: AsyncSession, before: datetime) -> None:
    await session.execute(WINDOWS.delete().where(WINDOWS.c.window_start < before))


async def count_live(session: AsyncSession, org_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(ScheduledJob.organization_id == org_id, LIVE)
    return int(await session.scalar(stmt) or 0)


async def status_counts(
    session: AsyncSession, org_id: uuid.UUID, now: datetime
) -> tuple[dict[ScheduleStatus, int], int]:
    """Schedules per status, and how many ACTIVE ones are due now."""
    stmt = (
        select(ScheduledJob.status, func.count())
        .where(ScheduledJob.organization_id == org_id, LIVE)
        .group_by(ScheduledJob.status)
    )
    counts = {status: n for status, n in await session.execute(stmt)}
    due_now = await session.scalar(
        select(func.count()).where(
            ScheduledJob.organization_id == org_id,
            ScheduledJob.status == ScheduleStatus.ACTIVE,
            ScheduledJob.next_run_at <= now,
        )
    )
    return counts, int(due_now or 0)


def listing(
    org_id: uuid.UUID,
    statuses: Iterable[ScheduleStatus] | None = None,
    kinds: Iterable[ScheduleKind] | None = None,
) -> Select[ScheduledJob]:
    stmt = select(ScheduledJob).where(ScheduledJob.organization_id == org_id, LIVE)
    if statuses:
        stmt = stmt.where(ScheduledJob.status.in_(list(statuses)))
    if kinds:
        stmt = stmt.where(ScheduledJob.kind.in_(list(kinds)))
    return stmt


# --- policies: the last run, buffered occurrences, backfills -------------------------


def _run_live() -> Any:
    """The schedule's last run (job or workflow) has not ended: two primary-key probes."""
    return or_(
        exists().where(Job.id == ScheduledJob.last_job_id, Job.status.in_(LIVE_JOB)),
        exists().where(
            Workflow.id == ScheduledJob.last_workflow_id, Workflow.status.in_(LIVE_WORKFLOW)
        ),
    )


async def buffered_ready(
    session: AsyncSession, limit: int, skip: Iterable[uuid.UUID] = ()
) -> list[ScheduledJob]:
    """ACTIVE schedules holding an occurrence (BUFFER_ONE) whose last run has ended, or
    whose policy changed since (the held occurrence goes by the new one), and owing none
    to the rate limit, locked; rows
    another engine holds are skipped. Walks the partial index of buffered schedules
    only; ``skip``: those this tick holds already."""
    stmt = (
        select(ScheduledJob)
        .where(text(BUFFERED_PREDICATE), ScheduledJob.status == ScheduleStatus.ACTIVE)
        # one owing a deferred occurrence waits for its due time: the due path fires the
        # owed occurrence first, then the held one
        .where(ScheduledJob.pending_fire_at.is_(None))
        .where(organizations.not_inactive(ScheduledJob.organization_id))
        .where(or_(ScheduledJob.overlap_policy != OverlapPolicy.BUFFER_ONE, ~_run_live()))
        .order_by(ScheduledJob.buffered_fire_at)
        .limit(limit)
    )
    if skipped := list(skip):
        stmt = stmt.where(ScheduledJob.id.not_in(skipped))
    return list(await session.scalars(store_of(session).lock_for_claim(stmt, of=ScheduledJob)))


async def live_runs(
    session: AsyncSession, job_ids: Iterable[uuid.UUID], workflow_ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these jobs and workflows have not ended (one probe each by key)."""
    live: set[uuid.UUID] = set()
    if jobs := list(job_ids):
        stmt = select(Job.id).where(Job.id.in_(jobs), Job.status.in_(LIVE_JOB))
        live.update(await session.scalars(stmt))
    if workflows := list(workflow_ids):
        stmt = select(Workflow.id).where(
            Workflow.id.in_(workflows), Workflow.status.in_(LIVE_WORKFLOW)
        )
        live.update(await session.scalars(stmt))
    return live


async def take_live_jobs(session: AsyncSession, job_ids: Iterable[uuid.UUID]) -> list[Job]:
    """These jobs, not ended, locked for a cancel; those another transaction holds are
    left out (the engine never waits on a run: its ack may be waiting on the schedule)."""
    stmt = select(Job).where(Job.id.in_(list(job_ids)), Job.status.in_(LIVE_JOB))
    return list(await session.scalars(store_of(session).lock_for_claim(stmt)))


async def take_live_workflows(
    session: AsyncSession, workflow_ids: Iterable[uuid.UUID]
) -> list[Workflow]:
    """As ``take_live_jobs``, for workflows."""
    stmt = select(Workflow).where(
        Workflow.id.in_(list(workflow_ids)), Workflow.status.in_(LIVE_WORKFLOW)
    )
    return list(await session.scalars(store_of(session).lock_for_claim(stmt)))


async def take_workflow_runs(
    session: AsyncSession, workflow_ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """Of these workflows (the caller holds their rows), those whose live jobs and their
    open attempts this transaction could all take now (SKIP LOCKED): cancelling them
    waits for no row. A workflow missing one is another transaction's (an
    acknowledgement holds its job, then waits for the workflow): its rows taken here stay
    locked until this transaction ends, which that one waits for, never the reverse."""
    ids = list(workflow_ids)
    if not ids:
        return set()
    store = store_of(session)
    jobs = select(Job.id, Job.workflow_id).where(Job.workflow_id.in_(ids), Job.status.in_(LIVE_JOB))
    wanted: dict[uuid.UUID, Any] = {j: w for j, w in await session.execute(jobs)}
    taken = set(await session.scalars(store.lock_for_claim(jobs.with_only_columns(Job.id))))
    attempts = select(JobExecution.id, JobExecution.job_id).where(
        JobExecution.job_id.in_(list(wanted)), JobExecution.status.in_(OPEN)
    )
    open_attempts = {e: j for e, j in await session.execute(attempts)} if wanted else {}
    got = attempts.with_only_columns(JobExecution.id)
    held_attempts = set(await session.scalars(store.lock_for_claim(got))) if wanted else set()
    missed = {wanted[j] for j in wanted.keys() - taken}
    missed |= {wanted[j] for e, j in open_attempts.items() if e not in held_attempts}
    return set(ids) - missed


async def by_ids(session: AsyncSession, ids: Iterable[uuid.UUID]) -> list[ScheduledJob]:
    return list(await session.scalars(select(ScheduledJob).where(ScheduledJob.id.in_(list(ids)))))
