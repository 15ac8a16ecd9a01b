"""Users of an organization: invitations, roles, deactivation, passwords, key listing.

Invitations are single-use tokens (only their hash is stored) that expire after
``invitation_ttl_hours``; TaskForge sends no mail, the admin passes the token on.
An unknown, used, revoked or expired token is one answer: NOT_FOUND.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from taskforge.domain import records, validation
from taskforge.domain.enums import UserRole
from taskforge.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from taskforge.domain.tenancy import ADMIN
from taskforge.persistence.common import tenancy as tenancy_repo
from taskforge.persistence.common import users as repo
from taskforge.persistence.tables import ApiKey, Invitation, User
from taskforge.services import abuse, audit, auth
from taskforge.services.base import Principal, Services, found
from taskforge.services.pagination import Cursor, Listing, paginate

INVITATION_PREFIX = "tfi_"


@dataclass(frozen=True)
class NewInvitation:
    invitation: records.Invitation
    token: str


@dataclass(frozen=True)
class Login:
    token: str
    expires_at: datetime
    user: records.User


def _user_principal(principal: Principal) -> uuid.UUID:
    if principal.user_id is None:
        raise Forbidden("this operation needs a user's login token, not an API key")
    return principal.user_id


def _role(role: UserRole | str) -> UserRole:
    try:
        return UserRole(role)
    except ValueError as exc:
        raise InvalidInput(f"role must be one of {', '.join(UserRole)}", field="role") from exc


async def invite_user(
    svc: Services, principal: Principal, email: str, role: UserRole
) -> NewInvitation:
    principal.require(ADMIN)
    email = validation.email(email)
    role = _role(role)
    token = INVITATION_PREFIX + secrets.token_urlsafe(32)
    now = svc.clock()
    async with svc.write() as session:
        if await tenancy_repo.user_by_email(session, email) is not None:
            raise Conflict(f"a user with email {email} already exists", field="email")
        org_id = principal.organization_id
        if await repo.pending_invitation_for(session, org_id, email, now) is not None:
            raise Conflict(
                f"{email} already has a pending invitation; revoke it first", field="email"
            )
        invitation = Invitation(
            id=uuid.uuid4(),
            organization_id=org_id,
            email=email,
            role=role,
            token_hash=auth.hash_key(token),
            invited_by=principal.user_id,
            created_at=now,
            expires_at=now + timedelta(hours=svc.settings.invitation_ttl_hours),
        )
        session.add(invitation)
        await session.flush()
        await audit.record(
            session,
            principal,
            "user.invited",
            "invitation",
            invitation.id,
            details={"email": email, "role": role.value},
        )
    return NewInvitation(records.Invitation.of(invitation), token)


async def list_invitations(
    svc: Services, principal: Principal, first: int, after: Cursor | None
) -> Listing[records.Invitation]:
    principal.require(ADMIN)
    stmt = repo.invitations_listing(principal.organization_id, svc.clock())
    return await paginate(svc, stmt, Invitation, first, after, records.Invitation.all)


async def revoke_invitation(
    svc: Services, principal: Principal, invitation_id: uuid.UUID
) -> records.Invitation:
    principal.require(ADMIN)
    async with svc.write() as session:
        invitation = found(
            await repo.invitation(session, principal.organization_id, invitation_id),
            "invitation",
            invitation_id,
        )
        if invitation.accepted_at is not None:
            raise Conflict("the invitation was already accepted")
        if invitation.revoked_at is None:
            invitation.revoked_at = svc.clock()
            await audit.record(
                session,
                principal,
                "invitation.revoked",
                "invitation",
                invitation.id,
                details={"email": invitation.email},
            )
    return records.Invitation.of(invitation)


async def accept_invitation(
    svc: Services, token: str, name: str, password: str, address: str | None = None
) -> Login:
    """The user the invitation names, in the inviting organization, logged in. Attempts
    are throttled per token and per client ``address`` (guessing tokens is slow)."""
    validation.text(token, "token", 200)
    await abuse.throttle(svc, "accept_invitation", account=token, address=address)
    name = validation.name(name)
    password_hash = await auth.hash_password(validation.password(password))
    now = svc.clock()
    try:
        user = await _join(svc, token, name, password_hash, now)
    except IntegrityError as exc:  # a concurrent sign-up or invitation took the email
        raise Conflict("a user with this email already exists", field="email") from exc
    token_, expires = auth.issue_token(svc, user)
    return Login(token_, expires, records.User.of(user))


async def _join(svc: Services, token: str, name: str, password_hash: str, now: datetime) -> User:
    async with svc.write() as session:
        invitation = await repo.take_invitation(session, auth.hash_key(token), now)
        if invitation is None:
            raise NotFound("invitation", "for this token")
        if await tenancy_repo.user_by_email(session, invitation.email) is not None:
            raise Conflict(f"a user with email {invitation.email} already exists", field="email")
        user = User(
            id=uuid.uuid4(),
            organization_id=invitation.organization_id,
            email=invitation.email,
            name=name,
            password_hash=password_hash,
            role=invitation.role,
            created_at=now,
        )
        session.add(user)
        await session.flush()
        await audit.record(
            session,
            None,
            "invitation.accepted",
            "user",
            user.id,
            details={"email": user.email, "role": user.role.value},
            organization_id=user.organization_id,
        )
    return user


async def list_users(
    svc: Services, principal: Principal, first: int, after: Cursor | None
) -> Listing[records.User]:
    """Every user of the organization: readable by its users of either role and by
    admin keys."""
    if principal.user_id is None:
        principal.require(ADMIN)
    stmt = repo.users_listing(principal.organization_id)
    return await paginate(svc, stmt, User, first, after, records.User.all)


async def _admins_change(
    svc: Services, principal: Principal, user_id: uuid.UUID, role: UserRole | None
) -> records.User:
    """Set ``role`` (None: deactivate) of a user, refusing to leave no active admin."""
    principal.require(ADMIN)
    org_id = principal.organization_id
    async with svc.write() as session:
        await repo.lock_admins(session, org_id)
        user = found(await tenancy_repo.user(session, org_id, user_id), "user", user_id)
        losing_admin = (
            user.role is UserRole.ADMIN
            and user.deactivated_at is None
            and (role is None or role is not UserRole.ADMIN)
        )
        if losing_admin and await repo.active_admins(session, org_id) <= 1:
            raise Conflict("the organization's last active admin cannot be demoted or deactivated")
        if role is None:
            if user.deactivated_at is None:
                user.deactivated_at = svc.clock()
                await audit.record(session, principal, "user.deactivated", "user", user_id)
        else:
            if user.deactivated_at is not None:
                raise Conflict(f"user {user_id} is deactivated")
            if user.role is not role:
                details = {"from": user.role.value, "to": role.value}
                user.role = role
                await audit.record(
                    session, principal, "user.role_changed", "user", user_id, details=details
                )
    auth.forget_user(svc, user_id)
    return records.User.of(user)


async def update_user_role(
    svc: Services, principal: Principal, user_id: uuid.UUID, role: UserRole
) -> records.User:
    return await _admins_change(svc, principal, user_id, _role(role))


async def deactivate_user(svc: Services, principal: Principal, user_id: uuid.UUID) -> records.User:
    """The user can no longer log in; their tokens and the keys they created are refused
    (on other replicas within the credential cache window)."""
    return await _admins_change(svc, principal, user_id, None)


async def change_password(
    svc: Services,
    principal: Principal,
    current_password: str,
    new_password: str,
    address: str | None = None,
) -> Login:
    """The caller's new password; tokens issued before are refused from now on, so the
    caller gets a fresh one. Attempts are throttled per user and per client ``address``
    (a stolen token must not become a password oracle)."""
    user_id = _user_principal(principal)
    await abuse.throttle(svc, "change_password", account=str(user_id), address=address)
    validation.text(current_password, "currentPassword", validation.MAX_PASSWORD)
    new_hash = await auth.hash_password(validation.password(new_password, "newPassword"))
    async with svc.read() as session:
        user = found(
            await tenancy_repo.user(session, principal.organization_id, user_id), "user", user_id
        )
    if not await auth.verify_password(user.password_hash, current_password):
        raise InvalidInput("currentPassword is wrong", field="currentPassword")
    async with svc.write() as session:
        user = found(
            await tenancy_repo.user(session, principal.organization_id, user_id), "user", user_id
        )
        user.password_hash = new_hash
        user.password_changed_at = svc.clock()
        await audit.record(session, principal, "user.password_changed", "user", user_id)
    auth.forget_user(svc, user_id)
    token, expires = auth.issue_token(svc, user)
    return Login(token, expires, records.User.of(user))


async def list_api_keys(
    svc: Services, principal: Principal, first: int, after: Cursor | None
) -> Listing[records.ApiKey]:
    """Admins see every key of the organization; other users the keys they created."""
    if principal.user_id is None:
        principal.require(ADMIN)
    mine = None if ADMIN in principal.permissions else principal.user_id
    stmt = repo.api_keys_listing(principal.organization_id, mine)
    return await paginate(svc, stmt, ApiKey, first, after, records.ApiKey.all)


async def reset_password(svc: Services, email: str, password: str) -> records.User:
    """The operator's reset (``taskforge users reset-password``): a new password for the
    user with this email; their tokens issued before are refused from now on."""
    email = validation.email(email)
    new_hash = await auth.hash_password(validation.password(password))
    async with svc.write() as session:
        user = found(await tenancy_repo.user_by_email(session, email), "user", email)
        user.password_hash = new_hash
        user.password_changed_at = svc.clock()
        await audit.record(
            session,
            None,
            "user.password_reset",
            "user",
            user.id,
            organization_id=user.organization_id,
        )
    auth.forget_user(svc, user.id)
    return records.User.of(user)
