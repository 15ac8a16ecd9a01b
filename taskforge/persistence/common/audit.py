"""The audit log: appending entries and the statement its listing pages through."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.persistence.tables import AuditEntry


async def append(session: AsyncSession, entry: AuditEntry) -> None:
    """Add the entry to the caller's transaction (it commits or rolls back with it)."""
    session.add(entry)
    await session.flush()


def listing(
    org_id: uuid.UUID,
    action: str | None,
    target_type: str | None,
    actor_id: uuid.UUID | None,
) -> Select[AuditEntry]:
    """One organization's entries, filtered (the index on (organization, created_at, id)
    serves the newest-first pages)."""
    stmt = select(AuditEntry).where(AuditEntry.organization_id == org_id)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    if target_type is not None:
        stmt = stmt.where(AuditEntry.target_type == target_type)
    if actor_id is not None:
        stmt = stmt.where(
            or_(AuditEntry.actor_user_id == actor_id, AuditEntry.actor_api_key_id == actor_id)
        )
    return stmt
