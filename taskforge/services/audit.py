"""The audit log: who changed what, recorded in the transaction of the change.

Every administrative use case calls ``record`` inside its own write transaction, so
an entry exists exactly when the change committed::

    await audit.record(session, principal, "queue.deleted", "queue", queue.id)

Actions are dotted and past tense; ``details`` is a small JSON object and never holds a
secret or a password. Operator commands that act without a principal pass
``organization_id`` and no actor.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain import audit as rules
from taskforge.domain.audit import AuditEntry
from taskforge.domain.tenancy import ADMIN
from taskforge.persistence.common import audit as repo
from taskforge.persistence.tables import AuditEntry as AuditRow
from taskforge.services.base import Principal, Services
from taskforge.services.pagination import Cursor, Listing, paginate


async def record(
    session: AsyncSession,
    actor: Principal | None,
    action: str,
    target_type: str,
    target_id: object = None,
    *,
    details: dict[str, Any] | None = None,
    organization_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> None:
    """Append one entry to the caller's transaction: it commits or rolls back with it."""
    org_id = organization_id or (actor.organization_id if actor is not None else None)
    if org_id is None:
        raise ValueError("an audit entry needs an organization: pass a principal or one")
    row = AuditRow(
        id=uuid.uuid4(),
        organization_id=org_id,
        actor_user_id=actor.user_id if actor is not None else None,
        actor_api_key_id=actor.api_key_id if actor is not None else None,
        action=rules.action(action),
        target_type=rules.target_type(target_type),
        target_id=rules.target_id(target_id),
        details=rules.details(details),
    )
    if at is not None:
        row.created_at = at
    await repo.append(session, row)


async def entries(
    svc: Services,
    principal: Principal,
    first: int,
    after: Cursor | None,
    *,
    action: str | None = None,
    target_type: str | None = None,
    actor_id: uuid.UUID | None = None,
) -> Listing[AuditEntry]:
    """The organization's audit log, newest first (admins only)."""
    principal.require(ADMIN)
    if action is not None:
        rules.action(action)
    if target_type is not None:
        rules.target_type(target_type)
    stmt = repo.listing(principal.organization_id, action, target_type, actor_id)
    return await paginate(svc, stmt, AuditRow, first, after, AuditEntry.all)
