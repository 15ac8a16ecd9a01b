"""GraphQL type of the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from taskforge.domain.audit import AuditEntry as AuditRecord


def _id(value: object) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


@strawberry.type(description="One administrative change: who did what to which object, when.")
class AuditEntry:
    id: strawberry.ID
    created_at: datetime
    action: str = strawberry.field(description="Dotted, past tense: `queue.deleted`.")
    target_type: str
    target_id: str | None
    actor_user_id: strawberry.ID | None = strawberry.field(
        description="The user who acted (with a login token), if any."
    )
    actor_api_key_id: strawberry.ID | None = strawberry.field(
        description="The API key that acted, if any."
    )
    details: JSON

    @classmethod
    def of(cls, row: AuditRecord) -> AuditEntry:
        return cls(
            id=strawberry.ID(str(row.id)),
            created_at=row.created_at,
            action=row.action,
            target_type=row.target_type,
            target_id=row.target_id,
            actor_user_id=_id(row.actor_user_id),
            actor_api_key_id=_id(row.actor_api_key_id),
            details=cast(JSON, row.details),
        )
