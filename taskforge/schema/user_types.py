"""GraphQL types of user administration: invitations."""

from __future__ import annotations

from datetime import datetime

import strawberry

from taskforge.domain import records
from taskforge.schema.types import UserRoleEnum


@strawberry.type
class Invitation:
    id: strawberry.ID
    email: str
    role: UserRoleEnum  # type: ignore[valid-type]
    invited_by: strawberry.ID | None
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: records.Invitation) -> Invitation:
        return cls(
            id=strawberry.ID(str(row.id)),
            email=row.email,
            role=row.role,
            invited_by=strawberry.ID(str(row.invited_by)) if row.invited_by else None,
            created_at=row.created_at,
            expires_at=row.expires_at,
            accepted_at=row.accepted_at,
            revoked_at=row.revoked_at,
        )


@strawberry.type
class InviteUserPayload:
    invitation: Invitation
    token: str = strawberry.field(
        description="The single-use token for acceptInvitation; shown only this once."
    )
