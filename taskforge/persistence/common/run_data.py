"""Data between workflow steps: run inputs, payload templates and parents' outputs, read
when workflow jobs become ready (services/run_data) and when they are claimed (a
handler's ``ctx.parents``). Every statement is keyed by the jobs or workflows in hand.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import JobStatus
from taskforge.domain.transitions import NOT_STARTED
from taskforge.persistence.common.dependencies import ENGINE_COLUMNS
from taskforge.persistence.store import store_of
from taskforge.persistence.tables import Job, Workflow

JOBS: Table = Job.__table__  # type: ignore[assignment]
WORKFLOWS: Table = Workflow.__table__  # type: ignore[assignment]

# a parent job as its children's references read it: (status, output)
Parent = tuple[JobStatus, Any]


async def referencing(session: AsyncSession, workflow_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these workflows have jobs whose payloads have references."""
    stmt = select(WORKFLOWS.c.id).where(
        WORKFLOWS.c.id.in_(list(workflow_ids)), WORKFLOWS.c.payload_refs.is_(True)
    )
    return set(await session.scalars(stmt))


async def templates(session: AsyncSession, job_ids: Sequence[uuid.UUID]) -> list[Row[Any]]:
    """The jobs among these that have a payload template and have not started (PENDING,
    or SCHEDULED: moved to a later start): id, workflow_id, name, status and
    payload_template."""
    await session.flush()  # the engine's own changes, made through the ORM
    stmt = select(
        JOBS.c.id, JOBS.c.workflow_id, JOBS.c.name, JOBS.c.status, JOBS.c.payload_template
    ).where(
        JOBS.c.id.in_(list(job_ids)),
        JOBS.c.payload_template.is_not(None),
        JOBS.c.status.in_(NOT_STARTED),
    )
    return list(await session.execute(stmt))


async def inputs(
    session: AsyncSession, workflow_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any] | None]:
    """Each workflow's run input (None: none was given)."""
    stmt = select(WORKFLOWS.c.id, WORKFLOWS.c.input).where(WORKFLOWS.c.id.in_(list(workflow_ids)))
    return {wid: value for wid, value in await session.execute(stmt)}


async def parents(
    session: AsyncSession, child_ids: Sequence[uuid.UUID], org_id: uuid.UUID | None = None
) -> dict[uuid.UUID, dict[str, Parent]]:
    """Each job's direct parents that have a name (workflow jobs), by name: their status
    and output, in one statement (``Store.workflows.parents``); ``org_id``: only that
    organization's edges."""
    return await store_of(session).workflows.parents(session, child_ids, org_id)


async def set_payloads(
    session: AsyncSession, resolved: Sequence[tuple[uuid.UUID, dict[str, Any]]], now: datetime
) -> None:
    """Each job's payload set to its resolved value (one executemany)."""
    if not resolved:
        return
    stmt = (
        update(JOBS)
        .where(JOBS.c.id == bindparam("b_id"))
        .values(payload=bindparam("b_payload"), updated_at=now)
    )
    await session.execute(stmt, [{"b_id": i, "b_payload": p} for i, p in resolved])


async def fail_not_started(
    session: AsyncSession, job_id: uuid.UUID, reason: str, error: str, now: datetime
) -> Row[Any] | None:
    """A job not started ends FAILED without running (``error`` says why); the row as it
    is now (the engine's columns), or None if it had started or ended."""
    stmt = (
        update(JOBS)
        .where(JOBS.c.id == job_id, JOBS.c.status.in_(NOT_STARTED))
        .values(
            status=JobStatus.FAILED,
            status_reason=reason,
            error=error,
            finished_at=now,
            updated_at=now,
        )
        .returning(*ENGINE_COLUMNS)
    )
    return (await session.execute(stmt)).first()
