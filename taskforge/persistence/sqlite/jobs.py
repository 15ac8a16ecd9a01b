"""SQLite jobs: the SQLAlchemy Core versions."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    Table,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.persistence.common.jobs import ADDED_COLUMNS, FLOW_DEFAULTS, insert_many
from taskforge.persistence.tables import (
    Job,
    JobQueue,
)

JOBS: Table = Job.__table__  # type: ignore[assignment]


QUEUES: Table = JobQueue.__table__  # type: ignore[assignment]


async def insert_in_queues(
    session: AsyncSession, org_id: uuid.UUID, rows: list[dict[str, Any]]
) -> list[Any]:
    queue_ids = list({r["queue_id"] for r in rows})
    stmt = select(QUEUES.c.id, QUEUES.c.project_id).where(
        QUEUES.c.organization_id == org_id,
        QUEUES.c.id.in_(queue_ids),
        QUEUES.c.flow_control.is_(False),
    )
    projects = dict(list(await session.execute(stmt)))  # type: ignore[arg-type]
    known = [
        {**r, "project_id": projects[r["queue_id"]]} for r in rows if r["queue_id"] in projects
    ]
    return await insert_many(session, known) if known else []


async def insert_rows(
    session: AsyncSession, org_id: uuid.UUID, rows: list[dict[str, Any]]
) -> list[Any]:
    return await insert_many(session, [{**r, "organization_id": org_id} for r in rows])


async def insert_added(
    session: AsyncSession, rows: list[dict[str, Any]], shared: Mapping[str, Any] | None = None
) -> None:
    columns = (*ADDED_COLUMNS, *FLOW_DEFAULTS)
    assert not rows or (shared or {}).keys().isdisjoint(rows[0]), "a column both shared and per row"
    common = {**FLOW_DEFAULTS, **(shared or {})}
    values = [{c: r[c] if c in r else common.get(c) for c in columns} for r in rows]
    await session.execute(insert(JOBS), values)
