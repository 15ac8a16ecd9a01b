"""SQLite flow claims: the SQLAlchemy Core versions. One write transaction at a time, so
there are no locks to take: the counts a claim reads are the ones it decides on."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import JobStatus
from taskforge.domain.flow_claims import Candidate
from taskforge.persistence.common.flow import running_counts
from taskforge.persistence.sqlite.executions import _start_portable
from taskforge.persistence.tables import READY_PREDICATE, Job

JOBS: Table = Job.__table__  # type: ignore[assignment]

CHUNK = 500  # ready rows read at a time while looking for claimable ones

_COLUMNS = (
    JOBS.c.id,
    JOBS.c.queue_id,
    JOBS.c.concurrency_key,
    JOBS.c.concurrency_max,
    JOBS.c.rate_key,
    JOBS.c.rate_limit,
    JOBS.c.rate_period,
)


async def lock(session: AsyncSession, ids: Sequence[int]) -> None:
    return None  # BEGIN IMMEDIATE already serializes writers


async def candidates(
    session: AsyncSession,
    group: Sequence[uuid.UUID],
    window: int,
    job_types: Sequence[str] | None = None,
    after: int = 0,
) -> list[Candidate]:
    running = await running_counts(session, group)
    walk = select(*_COLUMNS).where(JOBS.c.queue_id.in_(list(group)), text(READY_PREDICATE))
    if job_types is not None:
        walk = walk.where(JOBS.c.job_type.in_(list(job_types)))
    walk = walk.order_by(JOBS.c.priority.desc(), JOBS.c.fair_seq, JOBS.c.created_at)
    out: list[Any] = []
    offset, passed = 0, 0
    while len(out) < window:  # rows of full keys are read and passed, as on PostgreSQL
        rows = list(await session.execute(walk.offset(offset).limit(CHUNK)))
        for r in rows:
            n = running.get((r.queue_id, r.concurrency_key), 0) if r.concurrency_key else 0
            if r.concurrency_key is None or n < r.concurrency_max:
                if passed < after:  # the ones an earlier walk of this claim returned
                    passed += 1
                    continue
                out.append(Candidate(*r, n))
                if len(out) == window:
                    break
        if len(rows) < CHUNK:
            break
        offset += CHUNK
    return out


async def start(
    session: AsyncSession,
    ids: Sequence[uuid.UUID],
    now: datetime,
    worker_id: uuid.UUID,
    lease_until: datetime,
    deadlines: dict[uuid.UUID, datetime | None],
) -> list[tuple[Any, uuid.UUID, bool | None]]:
    if not ids:
        return []
    stmt = (
        update(JOBS)
        .where(JOBS.c.id.in_(list(ids)), text(READY_PREDICATE))
        .values(
            status=JobStatus.PROCESSING,
            attempts=JOBS.c.attempts + 1,
            started_at=now,
            updated_at=now,
            status_reason=None,
        )
        .returning(*JOBS.c)
    )
    rows = list(await session.execute(stmt))
    execution_ids = await _start_portable(session, rows, worker_id, now, lease_until, deadlines)
    return [(r, e, None) for r, e in zip(rows, execution_ids, strict=True)]
