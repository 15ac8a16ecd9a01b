"""Authentication: argon2 passwords, signed expiring tokens, hashed API keys."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain import records, validation
from taskforge.domain.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    TaskForgeError,
    Unauthenticated,
    Unavailable,
)
from taskforge.domain.events import ApiKeyCreated, ApiKeyRevoked
from taskforge.domain.tenancy import ADMIN, grants, permissions_for_role, validate_permissions
from taskforge.persistence.common import organizations
from taskforge.persistence.common import tenancy as repo
from taskforge.persistence.common import users as users_repo
from taskforge.persistence.tables import ApiKey, User
from taskforge.services import abuse, audit
from taskforge.services.base import Principal, Services, emit, found

KEY_PREFIX = "tf_"
_hasher = PasswordHasher()
# verified when the email is unknown, so a miss costs as much as a hit
_DUMMY_HASH = _hasher.hash("not-a-real-password")
LAST_USED_RESOLUTION = timedelta(seconds=60)
# a float iat may come back a microsecond off: a token issued with the change stays good
_IAT_SLACK = timedelta(milliseconds=1)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(hashed: str, password: str) -> bool:
    try:
        return await asyncio.to_thread(_hasher.verify, hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_key(secret: str) -> str:
    # API keys carry 256 bits of entropy: a fast hash is enough and keeps lookups indexed.
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(svc: Services, user: User) -> tuple[str, datetime]:
    now = svc.clock()
    expires = now + timedelta(seconds=svc.settings.token_ttl_seconds)
    # iat with sub-second precision: a token issued just after a password change (the
    # same second) must not count as older than it
    claims = {
        "sub": str(user.id),
        "org": str(user.organization_id),
        "iat": now.timestamp(),
        "exp": expires,
    }
    return jwt.encode(claims, svc.settings.resolved_secret_key, algorithm="HS256"), expires


async def login(
    svc: Services, email: str, password: str, address: str | None = None
) -> tuple[str, datetime, records.User]:
    """A token for the user; failed attempts are throttled per account and per client
    ``address`` (services/abuse.py)."""
    email = validation.email(email)
    validation.text(password, "password", validation.MAX_PASSWORD)
    await abuse.check(svc, "login", account=email, address=address)
    async with svc.read() as session:
        user = await repo.user_by_email(session, email)
    ok = await verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok or user.deactivated_at is not None:
        await abuse.failed(svc, "login", account=email, address=address)
        raise Unauthenticated("invalid email or password")
    async with svc.read() as session:
        await require_active(session, user.organization_id)
    token, expires = issue_token(svc, user)
    return token, expires, records.User.of(user)


async def authenticate(svc: Services, credential: str | None) -> Principal:
    """Resolve a bearer credential (login token or ``tf_`` API key) to a principal."""
    if not credential:
        raise Unauthenticated("authentication required: send 'Authorization: Bearer <token>'")
    now = svc.clock()
    cached = svc.auth_cache.get(credential)
    if cached is not None and cached[1] > now:
        return cached[0]
    principal, expires = await _check(svc, credential)
    trusted_until = now + timedelta(seconds=svc.settings.auth_cache_seconds)
    if svc.settings.auth_cache_seconds > 0:
        if len(svc.auth_cache) > 10_000:
            svc.auth_cache.clear()
        svc.auth_cache[credential] = (principal, min(trusted_until, expires or trusted_until))
    return principal


async def recheck(svc: Services, credential: str | None) -> Principal:
    """The credential checked against the database now, whatever the cache holds (a
    long-lived WebSocket connection, every cache window); refreshes the cache."""
    if not credential:
        raise Unauthenticated("authentication required")
    svc.auth_cache.pop(credential, None)
    return await authenticate(svc, credential)


# a window of 0 (check every request) re-checks long-lived holders once a second
MIN_RECHECK_SECONDS = 1.0
log = logging.getLogger(__name__)
T = TypeVar("T")


class Holder(Protocol):
    """A long-lived user of a credential (a WebSocket connection)."""

    def checked(self, principal: Principal) -> None:
        """The credential is still good: the caller as checked now (a role may change)."""

    def refused(self, error: TaskForgeError) -> None:
        """The credential is refused now (revoked, deactivated, suspended, expired)."""


@dataclass(eq=False)
class CredentialWatch:
    """This replica's holders of one credential and the task that checks it for them."""

    holders: set[Holder] = field(default_factory=set)
    task: asyncio.Task[None] | None = None


def watch(svc: Services, credential: str | None, holder: Holder) -> None:
    """Check ``credential`` against the database once per cache window (what any request
    on any replica sees by then) for as long as ``holder`` holds it, and tell it. Every
    holder of a credential shares one check per window: a thousand subscriptions on one
    API key cost one lookup per window, not a thousand."""
    key = credential or ""
    found = svc.credential_watches.get(key)
    if found is None:
        found = svc.credential_watches[key] = CredentialWatch()
        found.task = asyncio.create_task(_recheck(svc, credential, found))
    found.holders.add(holder)


def unwatch(svc: Services, credential: str | None, holder: Holder) -> asyncio.Task[None] | None:
    """``holder`` let go of ``credential``; returns the check's task once no holder is
    left (cancelled: the caller may await it)."""
    key = credential or ""
    found = svc.credential_watches.get(key)
    if found is None:
        return None
    found.holders.discard(holder)
    if found.holders:
        return None
    del svc.credential_watches[key]
    task, found.task = found.task, None
    if task is not None:
        task.cancel()
    return task


async def _recheck(svc: Services, credential: str | None, watched: CredentialWatch) -> None:
    interval = max(svc.settings.auth_cache_seconds, MIN_RECHECK_SECONDS)
    while watched.holders:
        await asyncio.sleep(interval)
        try:
            principal = await recheck(svc, credential)
        except Unavailable:
            continue  # cannot tell now: the next window asks again
        except asyncio.CancelledError:
            raise
        except TaskForgeError as exc:
            holders = list(watched.holders)
            watched.holders.clear()
            if svc.credential_watches.get(credential or "") is watched:
                del svc.credential_watches[credential or ""]
            for holder in holders:
                _tell(holder.refused, exc)
            return
        except Exception:  # a bug must not leave the holders unchecked for good
            log.exception("checking a credential again failed")
            continue
        for holder in list(watched.holders):
            _tell(holder.checked, principal)


def _tell(callback: Callable[[T], None], value: T) -> None:
    # one holder's failure must not keep the others from hearing
    try:
        callback(value)
    except Exception:
        log.exception("a credential holder failed")


async def require_active(session: AsyncSession, org_id: uuid.UUID) -> None:
    """Refuse the credentials of a suspended or deleted organization (checked on each
    cache miss: every replica refuses them within TASKFORGE_AUTH_CACHE_SECONDS)."""
    state = await organizations.inactive(session, org_id)
    if state is None or state[1]:
        raise Unauthenticated("this organization has been deleted")
    if state[0]:
        raise Unauthenticated("this organization is suspended; contact the operator")


def forget_organization(svc: Services, org_id: uuid.UUID) -> None:
    """Drop this process's cached credentials of an organization."""
    for credential, (principal, _) in list(svc.auth_cache.items()):
        if principal.organization_id == org_id:
            del svc.auth_cache[credential]


def forget_key(svc: Services, key_id: uuid.UUID) -> None:
    for credential, (principal, _) in list(svc.auth_cache.items()):
        if principal.api_key_id == key_id:
            del svc.auth_cache[credential]


def forget_user(svc: Services, user_id: uuid.UUID) -> None:
    """Drop this replica's cached trust in a user's tokens and in the keys they created."""
    for credential, (principal, _) in list(svc.auth_cache.items()):
        if user_id in (principal.user_id, principal.key_owner_id):
            del svc.auth_cache[credential]


async def _check(svc: Services, credential: str) -> tuple[Principal, datetime | None]:
    """The principal and when the credential itself expires."""
    if credential.startswith(KEY_PREFIX):
        return await _authenticate_key(svc, credential)
    try:
        claims = jwt.decode(
            credential,
            svc.settings.resolved_secret_key,
            algorithms=["HS256"],
            options={"require": ["exp", "sub", "org", "iat"]},
        )
        user_id, org_id = uuid.UUID(claims["sub"]), uuid.UUID(claims["org"])
        expires = datetime.fromtimestamp(claims["exp"], UTC)
        issued = datetime.fromtimestamp(float(claims["iat"]), UTC)
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("token expired; log in again") from exc
    except (jwt.InvalidTokenError, ValueError) as exc:
        raise Unauthenticated("invalid token") from exc
    async with svc.read() as session:
        user = await repo.user(session, org_id, user_id)
        if user is not None:
            await require_active(session, org_id)
    if user is None or user.deactivated_at is not None:
        raise Unauthenticated("invalid token")
    if user.password_changed_at is not None and issued < user.password_changed_at - _IAT_SLACK:
        raise Unauthenticated("the password changed since this token was issued; log in again")
    return Principal(org_id, permissions_for_role(user.role), user_id=user.id), expires


async def _authenticate_key(svc: Services, secret: str) -> tuple[Principal, datetime | None]:
    now = svc.clock()
    async with svc.read() as session:
        found = await users_repo.api_key_and_creator(session, hash_key(secret))
        key, creator = found if found is not None else (None, None)
        if key is not None:
            await require_active(session, key.organization_id)
    if key is None or key.revoked_at is not None:
        raise Unauthenticated("invalid API key")
    if creator is not None and creator.deactivated_at is not None:
        raise Unauthenticated("invalid API key: the user who created it was deactivated")
    if key.expires_at is not None and key.expires_at <= now:
        raise Unauthenticated("API key expired")
    if key.last_used_at is None or key.last_used_at < now - LAST_USED_RESOLUTION:
        async with svc.write() as session:
            await repo.touch_api_key(session, key.id, now, now - LAST_USED_RESOLUTION)
    principal = Principal(
        key.organization_id,
        frozenset(key.permissions),
        api_key_id=key.id,
        key_owner_id=key.created_by,
    )
    return principal, key.expires_at


@dataclass(frozen=True)
class NewApiKey:
    key: records.ApiKey
    secret: str


def _new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


async def create_api_key_in(
    session: AsyncSession,
    org_id: uuid.UUID,
    name: str,
    permissions: list[str],
    project_id: uuid.UUID | None,
    expires_at: datetime | None,
    created_by: uuid.UUID | None = None,
) -> NewApiKey:
    secret = _new_secret()
    key = ApiKey(
        id=uuid.uuid4(),
        organization_id=org_id,
        project_id=project_id,
        name=validation.name(name),
        prefix=secret[:10],
        key_hash=hash_key(secret),
        permissions=validate_permissions(permissions),
        expires_at=expires_at,
        created_by=created_by,
    )
    session.add(key)
    await session.flush()
    return NewApiKey(records.ApiKey.of(key), secret)


async def create_api_key(
    svc: Services,
    principal: Principal,
    name: str,
    permissions: list[str],
    project_id: uuid.UUID | None = None,
    expires_at: datetime | None = None,
) -> NewApiKey:
    """Users of either role (and admin keys) create keys, never with a permission the
    caller does not hold itself: FORBIDDEN naming it."""
    if principal.user_id is None:
        principal.require(ADMIN)
    wanted = validate_permissions(permissions)
    for permission in wanted:
        if not grants(principal.permissions, permission):
            raise Forbidden(
                f"you cannot give a key the '{permission}' permission: you do not hold it",
                permission=permission,
            )
    expires_at = validation.timestamp(expires_at, "expiresAt")
    if expires_at is not None and expires_at <= svc.clock():
        raise InvalidInput("expiresAt must be in the future", field="expiresAt")
    async with svc.write() as session:
        if (
            project_id is not None
            and await repo.project(session, principal.organization_id, project_id) is None
        ):
            raise NotFound("project", project_id)
        created = await create_api_key_in(
            session,
            principal.organization_id,
            name,
            wanted,
            project_id,
            expires_at,
            principal.user_id,
        )
        await emit(session, ApiKeyCreated(principal.organization_id, created.key.id))
        await audit.record(
            session,
            principal,
            "api_key.created",
            "api_key",
            created.key.id,
            details={"name": created.key.name, "permissions": list(created.key.permissions)},
        )
    return created


async def revoke_api_key(svc: Services, principal: Principal, key_id: uuid.UUID) -> records.ApiKey:
    """Admins revoke any key of their organization, users the keys they created."""
    async with svc.write() as session:
        key = found(
            await repo.api_key(session, principal.organization_id, key_id), "apiKey", key_id
        )
        if principal.user_id is None or key.created_by != principal.user_id:
            principal.require(ADMIN)
        if key.revoked_at is None:
            key.revoked_at = svc.clock()
            forget_key(svc, key.id)
            await emit(session, ApiKeyRevoked(principal.organization_id, key.id))
            await audit.record(session, principal, "api_key.revoked", "api_key", key.id)
    return records.ApiKey.of(key)
