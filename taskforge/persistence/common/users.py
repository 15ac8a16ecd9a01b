"""Users, invitations and the API key listing of an organization."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import UserRole
from taskforge.persistence.store import store_of
from taskforge.persistence.tables import ApiKey, Invitation, User

# advisory lock space of "an organization's admins" (role changes and deactivations)
_ADMINS_LOCK = 7310_0130


def _pending(now: datetime) -> ColumnElement[bool]:
    return and_(
        Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None),
        Invitation.expires_at > now,
    )


async def lock_admins(session: AsyncSession, org_id: uuid.UUID) -> None:
    """Serialize changes to an organization's admins (so two admins demoting each
    other at once cannot leave none)."""
    await store_of(session).xact_lock(session, _ADMINS_LOCK ^ (org_id.int & 0x7FFF_FFFF))


async def active_admins(session: AsyncSession, org_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(User)
            .where(
                User.organization_id == org_id,
                User.role == UserRole.ADMIN,
                User.deactivated_at.is_(None),
            )
        )
        or 0
    )


def users_listing(org_id: uuid.UUID) -> Select[User]:
    return select(User).where(User.organization_id == org_id)


def api_keys_listing(org_id: uuid.UUID, created_by: uuid.UUID | None) -> Select[ApiKey]:
    stmt = select(ApiKey).where(ApiKey.organization_id == org_id)
    return stmt if created_by is None else stmt.where(ApiKey.created_by == created_by)


async def api_key_and_creator(
    session: AsyncSession, key_hash: str
) -> tuple[ApiKey, User | None] | None:
    """A key by its hash with the user who created it (if any)."""
    row = (
        await session.execute(
            select(ApiKey, User)
            .outerjoin(User, User.id == ApiKey.created_by)
            .where(ApiKey.key_hash == key_hash)
        )
    ).first()
    return None if row is None else (row[0], row[1])


def invitations_listing(org_id: uuid.UUID, now: datetime) -> Select[Invitation]:
    return select(Invitation).where(Invitation.organization_id == org_id, _pending(now))


async def invitation(
    session: AsyncSession, org_id: uuid.UUID, invitation_id: uuid.UUID
) -> Invitation | None:
    return await session.scalar(
        select(Invitation).where(
            Invitation.id == invitation_id, Invitation.organization_id == org_id
        )
    )


async def pending_invitation_for(
    session: AsyncSession, org_id: uuid.UUID, email: str, now: datetime
) -> Invitation | None:
    return await session.scalar(
        select(Invitation)
        .where(Invitation.organization_id == org_id, Invitation.email == email, _pending(now))
        .limit(1)
    )


async def take_invitation(
    session: AsyncSession, token_hash: str, now: datetime
) -> Invitation | None:
    """Mark the pending invitation with this token's hash accepted, and return it; None
    when there is none (unknown, used, revoked or expired). Of two concurrent takers one
    wins: the update only matches while the invitation is still pending."""
    found = await session.scalar(
        select(Invitation).where(Invitation.token_hash == token_hash, _pending(now))
    )
    if found is None:
        return None
    result = await session.execute(
        update(Invitation)
        .where(Invitation.id == found.id, _pending(now))
        .values(accepted_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    await session.refresh(found)
    taken: Invitation = found
    return taken
