"""PostgreSQL jobs: statements sent on the driver connection."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import (
    Table,
)
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.persistence.postgres.driver import (
    JobRow,
    driver_connection,
    integrity_error,
    json_text,
)
from taskforge.persistence.tables import (
    Job,
    JobQueue,
)

JOBS: Table = Job.__table__  # type: ignore[assignment]


QUEUES: Table = JobQueue.__table__  # type: ignore[assignment]


# PostgreSQL: the rows of an enqueue, one array per column (one statement text for any
# batch), each taking its project from its queue; rows naming another tenant's queue or
# none are left out (the caller reports them).
INSERT_IN_QUEUES_PG = """
INSERT INTO jobs (id, organization_id, project_id, queue_id, job_type, payload, priority,
    scheduled_for, status, dependency_status, max_attempts, attempts, created_at, updated_at)
SELECT r.id, q.organization_id, q.project_id, r.queue_id, r.job_type, r.payload::jsonb,
    r.priority, r.scheduled_for, r.status, r.dependency_status, r.max_attempts, r.attempts,
    r.created_at, r.updated_at
FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::int[], $7::timestamptz[],
        $8::text[], $9::text[], $10::int[], $11::int[], $12::timestamptz[], $13::timestamptz[])
    AS r(id, queue_id, job_type, payload, priority, scheduled_for, status, dependency_status,
        max_attempts, attempts, created_at, updated_at)
JOIN job_queues q ON q.id = r.queue_id AND q.organization_id = $1
RETURNING jobs.*
"""


_INSERT_COLUMNS = (
    "id",
    "queue_id",
    "job_type",
    "payload",
    "priority",
    "scheduled_for",
    "status",
    "dependency_status",
    "max_attempts",
    "attempts",
    "created_at",
    "updated_at",
)


async def insert_in_queues(
    session: AsyncSession, org_id: uuid.UUID, rows: list[dict[str, Any]]
) -> list[Any]:
    driver = await driver_connection(session)
    columns = [[r[c] for r in rows] for c in _INSERT_COLUMNS]
    columns[3] = [json_text(p) for p in columns[3]]  # payload: JSON text
    try:
        created = JobRow.all(await driver.fetch(INSERT_IN_QUEUES_PG, org_id, *columns))
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise integrity_error(exc, INSERT_IN_QUEUES_PG) from exc
    order = {r["id"]: i for i, r in enumerate(rows)}
    return sorted(created, key=lambda row: order[row.id])  # RETURNING has no order
