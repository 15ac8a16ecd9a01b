"""Resolvers for users, invitations and the API key listing."""

from __future__ import annotations

import strawberry

from taskforge.domain.enums import UserRole
from taskforge.resolvers import ids
from taskforge.resolvers.context import Context
from taskforge.schema import types as t
from taskforge.schema import user_types as u
from taskforge.services import pagination, users

Info = strawberry.Info[Context, None]


def _login(login: users.Login) -> t.LoginPayload:
    return t.LoginPayload(
        token=login.token, expires_at=login.expires_at, user=t.User.of(login.user)
    )


async def invite_user(info: Info, email: str, role: t.UserRoleEnum) -> u.InviteUserPayload:  # type: ignore[valid-type]
    principal = await info.context.principal()
    created = await users.invite_user(info.context.svc, principal, email, UserRole(role))
    return u.InviteUserPayload(invitation=u.Invitation.of(created.invitation), token=created.token)


async def invitations(
    info: Info, first: int = 50, after: str | None = None
) -> t.Connection[u.Invitation]:
    principal = await info.context.principal()
    listing = await users.list_invitations(
        info.context.svc, principal, first, pagination.decode(after)
    )
    return t.Connection.build(listing, u.Invitation.of)  # type: ignore[arg-type]


async def revoke_invitation(info: Info, id: strawberry.ID) -> u.Invitation:
    principal = await info.context.principal()
    row = await users.revoke_invitation(info.context.svc, principal, ids.parse(id))
    return u.Invitation.of(row)


async def accept_invitation(info: Info, token: str, name: str, password: str) -> t.LoginPayload:
    address = info.context.client_address
    return _login(await users.accept_invitation(info.context.svc, token, name, password, address))


async def users_(info: Info, first: int = 50, after: str | None = None) -> t.Connection[t.User]:
    principal = await info.context.principal()
    listing = await users.list_users(info.context.svc, principal, first, pagination.decode(after))
    return t.Connection.build(listing, t.User.of)  # type: ignore[arg-type]


async def update_user_role(info: Info, id: strawberry.ID, role: t.UserRoleEnum) -> t.User:  # type: ignore[valid-type]
    principal = await info.context.principal()
    row = await users.update_user_role(info.context.svc, principal, ids.parse(id), UserRole(role))
    return t.User.of(row)


async def deactivate_user(info: Info, id: strawberry.ID) -> t.User:
    principal = await info.context.principal()
    return t.User.of(await users.deactivate_user(info.context.svc, principal, ids.parse(id)))


async def change_password(info: Info, current_password: str, new_password: str) -> t.LoginPayload:
    principal = await info.context.principal()
    login = await users.change_password(
        info.context.svc, principal, current_password, new_password, info.context.client_address
    )
    return _login(login)


async def api_keys(info: Info, first: int = 50, after: str | None = None) -> t.Connection[t.ApiKey]:
    principal = await info.context.principal()
    listing = await users.list_api_keys(
        info.context.svc, principal, first, pagination.decode(after)
    )
    return t.Connection.build(listing, t.ApiKey.of)  # type: ignore[arg-type]
