"""Workflows: rows, their jobs' status counts, and the timeout engine's query."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from taskforge.domain.enums import FailurePolicy, JobStatus, WorkflowStatus
from taskforge.domain.rows import RefreshRow
from taskforge.persistence.store import store_of
from taskforge.persistence.tables import Job, Workflow, WorkflowJobCount

LIVE = (WorkflowStatus.RUNNING, WorkflowStatus.PAUSED)


async def get(
    session: AsyncSession, org_id: uuid.UUID, workflow_id: uuid.UUID, *, definition: bool = True
) -> Workflow | None:
    """The workflow of the organization; ``definition=False`` leaves its definition
    unread (a 10,000-job workflow's is megabytes of JSON to send and decode)."""
    stmt = select(Workflow).where(Workflow.id == workflow_id, Workflow.organization_id == org_id)
    if not definition:
        stmt = stmt.options(defer(Workflow.definition, raiseload=True))
    return await session.scalar(stmt)


async def definition(
    session: AsyncSession, org_id: uuid.UUID, workflow_id: uuid.UUID
) -> dict[str, Any] | None:
    """The workflow's definition (None: no such workflow in the organization)."""
    stmt = select(Workflow.definition).where(
        Workflow.id == workflow_id, Workflow.organization_id == org_id
    )
    value: dict[str, Any] | None = await session.scalar(stmt)
    return value


async def lock(session: AsyncSession, org_id: uuid.UUID, workflow_id: uuid.UUID) -> Workflow | None:
    """The workflow row, locked: its use cases and the engine serialize on it."""
    stmt = select(Workflow).where(Workflow.id == workflow_id, Workflow.organization_id == org_id)
    return await session.scalar(store_of(session).lock_row(stmt))


async def lock_for_refresh(
    session: AsyncSession, ids: Iterable[uuid.UUID], locked: Iterable[uuid.UUID] = ()
) -> list[RefreshRow]:
    """The workflows, locked in id order (two transactions never wait on each other in
    a cycle), each with whether any job is still live, read once the lock is held:
    what the engine decides on after every batch of acknowledgements. ``locked``:
    those this transaction holds already (``dependencies.decide`` took them)."""
    return await store_of(session).workflows.lock_for_refresh(session, ids, locked)


async def locked(session: AsyncSession, workflow_id: uuid.UUID) -> Workflow:
    """The entity of a workflow this transaction has locked, without its definition (the
    engine never reads it: a 10,000-job workflow's is megabytes of JSON), nor its run's
    input and schema."""
    unread = (Workflow.definition, Workflow.input, Workflow.input_schema)
    wf = await session.get(
        Workflow, workflow_id, options=[defer(column, raiseload=True) for column in unread]
    )
    assert wf is not None  # locked by this transaction: it cannot have gone
    return wf


async def by_ids(
    session: AsyncSession, org_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[Workflow]:
    rows = await session.scalars(
        select(Workflow).where(Workflow.organization_id == org_id, Workflow.id.in_(ids))
    )
    return list(rows)


async def ids_of(
    session: AsyncSession, org_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these workflows the organization has: their ids alone (a row would bring
    the definition, megabytes of JSON for a big workflow, for a tenancy check)."""
    stmt = select(Workflow.id).where(Workflow.organization_id == org_id, Workflow.id.in_(ids))
    return set(await session.scalars(stmt))


async def policies(
    session: AsyncSession, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID | None, FailurePolicy]:
    stmt = select(Workflow.id, Workflow.failure_policy).where(Workflow.id.in_(list(ids)))
    return {wid: policy for wid, policy in await session.execute(stmt)}


async def job_ids(
    session: AsyncSession, workflow_id: uuid.UUID, statuses: Iterable[JobStatus] | None = None
) -> list[uuid.UUID]:
    stmt = select(Job.id).where(Job.workflow_id == workflow_id)
    if statuses is not None:
        stmt = stmt.where(Job.status.in_(list(statuses)))
    return list(await session.scalars(stmt))


LIVE_JOBS = (JobStatus.PENDING, JobStatus.SCHEDULED, JobStatus.PROCESSING)
_LIVE_SQL = ", ".join(f"'{s.value}'" for s in LIVE_JOBS)


async def has_live_jobs(session: AsyncSession, workflow_id: uuid.UUID) -> bool:
    """Whether any job of the workflow has not ended."""
    return await store_of(session).workflows.has_live_jobs(session, workflow_id)


async def jobs(session: AsyncSession, workflow_id: uuid.UUID) -> list[Job]:
    rows = await session.scalars(
        select(Job).where(Job.workflow_id == workflow_id).order_by(Job.created_at, Job.name)
    )
    return list(rows)


async def jobs_of_many(
    session: AsyncSession, org_id: uuid.UUID, workflow_ids: Sequence[uuid.UUID]
) -> list[Job]:
    """The jobs of these workflows; none of a workflow whose jobs retention is deleting
    (what is left of them is on its way out)."""
    rows = await session.scalars(
        select(Job)
        .join(Workflow, Workflow.id == Job.workflow_id)
        .where(
            Job.organization_id == org_id,
            Job.workflow_id.in_(workflow_ids),
            Workflow.retained_counts.is_(None),
        )
        .order_by(Job.created_at, Job.name)
    )
    return list(rows)


def encode_counts(counts: Mapping[JobStatus, int]) -> dict[str, int]:
    """Counts per status as ``retained_counts`` stores them (statuses with no job left out)."""
    return {JobStatus(status).value: int(n) for status, n in counts.items() if n}


def decode_counts(raw: Any) -> dict[JobStatus, int]:
    """``retained_counts`` as counts per status (JSON text from the PostgreSQL driver)."""
    values = json.loads(raw) if isinstance(raw, str | bytes) else raw
    return {JobStatus(status): int(n) for status, n in values.items() if n}


async def frozen_counts(
    session: AsyncSession, workflow_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[JobStatus, int]]:
    """The counts frozen by retention of those of these workflows it has frozen."""
    stmt = select(Workflow.id, Workflow.retained_counts).where(
        Workflow.id.in_(list(workflow_ids)), Workflow.retained_counts.is_not(None)
    )
    return {wid: decode_counts(raw) for wid, raw in await session.execute(stmt)}


async def status_counts(
    session: AsyncSession, workflow_id: uuid.UUID
) -> dict[tuple[JobStatus, str | None], int]:
    stmt = (
        select(Job.status, Job.status_reason, func.count())
        .where(Job.workflow_id == workflow_id)
        .group_by(Job.status, Job.status_reason)
    )
    return {(status, reason): n for status, reason, n in await session.execute(stmt)}


async def states(
    session: AsyncSession, workflow_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[WorkflowStatus, dict[JobStatus, int]]]:
    """Each workflow's status and its jobs' counts per status (statuses with no job
    left out), with this session's pending changes flushed first.

    Deliberate difference, same result: PostgreSQL sums the changes a trigger keeps
    in a counts table (a few rows per batch that touched the workflow, folded by
    ``fold_counts``); SQLite counts the workflow's jobs."""
    return await store_of(session).workflows.states(session, workflow_ids)


async def fold_counts(session: AsyncSession, over: int, limit: int) -> int:
    """Fold the count changes of up to ``limit`` workflows with more than ``over``
    rows into one row per status; returns how many workflows were folded. Always 0
    on SQLite, which keeps no count changes (see ``states``).

    PostgreSQL share-locks each workflow's row, so a deleteWorkflow either waits for
    the fold and then removes the folded rows too, or holds the row and the fold
    skips it."""
    return await store_of(session).workflows.fold_counts(session, over, limit)


async def forget_counts(session: AsyncSession, workflow_id: uuid.UUID) -> None:
    """A deleted workflow's count changes go with it."""
    await session.execute(
        delete(WorkflowJobCount).where(WorkflowJobCount.workflow_id == workflow_id)
    )


async def status_counts_many(
    session: AsyncSession, workflow_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[JobStatus, int]]:
    """Jobs per status of each workflow: counted, or as retention froze them."""
    out = await frozen_counts(session, workflow_ids)
    counted = [wid for wid in workflow_ids if wid not in out]
    if not counted:
        return out
    stmt = (
        select(Job.workflow_id, Job.status, func.count())
        .where(Job.workflow_id.in_(counted))
        .group_by(Job.workflow_id, Job.status)
    )
    for wid, status, n in await session.execute(stmt):
        if wid is not None:
            out.setdefault(wid, {})[status] = n
    return out


async def overdue(session: AsyncSession, now: datetime, limit: int) -> list[Workflow]:
    """Live workflows past their deadline, locked, skipping rows another replica holds."""
    stmt = (
        select(Workflow)
        .where(Workflow.status.in_(LIVE), Workflow.deadline_at < now)
        .order_by(Workflow.deadline_at)
        .limit(limit)
    )
    return list(await session.scalars(store_of(session).lock_for_claim(stmt)))


def listing(
    org_id: uuid.UUID,
    project_id: uuid.UUID | None = None,
    statuses: Iterable[WorkflowStatus] | None = None,
) -> Select[Workflow]:
    stmt = select(Workflow).where(Workflow.organization_id == org_id)
    if project_id is not None:
        stmt = stmt.where(Workflow.project_id == project_id)
    if statuses:
        stmt = stmt.where(Workflow.status.in_(list(statuses)))
    return stmt
