"""Resolver of the audit log."""

from __future__ import annotations

import strawberry

from taskforge.resolvers import ids
from taskforge.resolvers.context import Context
from taskforge.schema import types as t
from taskforge.schema.audit_types import AuditEntry
from taskforge.services import audit, pagination

Info = strawberry.Info[Context, None]


async def audit_log(
    info: Info,
    first: int = 50,
    after: str | None = None,
    action: str | None = None,
    target_type: str | None = None,
    actor: strawberry.ID | None = None,
) -> t.Connection[AuditEntry]:
    """The organization's audit log, newest first (admins only). ``actor`` is a user or
    API key id."""
    principal = await info.context.principal()
    listing = await audit.entries(
        info.context.svc,
        principal,
        first,
        pagination.decode(after),
        action=action,
        target_type=target_type,
        actor_id=ids.optional(actor, "actor"),
    )
    return t.Connection.build(listing, AuditEntry.of)  # type: ignore[arg-type]
