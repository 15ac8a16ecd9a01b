"""Resolvers for the caller, login, API keys and projects."""

from __future__ import annotations

from datetime import datetime

import strawberry

from taskforge.resolvers import ids
from taskforge.resolvers.context import Context
from taskforge.schema import types as t
from taskforge.services import auth, organizations, pagination, tenancy

Info = strawberry.Info[Context, None]


async def viewer(info: Info) -> t.Viewer:
    principal = await info.context.principal()
    v = await tenancy.viewer(info.context.svc, principal)
    view = await organizations.current(info.context.svc, principal)
    return t.Viewer(
        organization=t.Organization.of(view),
        user=t.User.of(v.user) if v.user else None,
        api_key=t.ApiKey.of(v.api_key) if v.api_key else None,
        permissions=sorted(principal.permissions),
    )


async def login(info: Info, email: str, password: str) -> t.LoginPayload:
    token, expires, user = await auth.login(
        info.context.svc, email, password, info.context.client_address
    )
    return t.LoginPayload(token=token, expires_at=expires, user=t.User.of(user))


async def create_api_key(
    info: Info,
    name: str,
    permissions: list[str],
    project_id: strawberry.ID | None = None,
    expires_at: datetime | None = None,
) -> t.CreateApiKeyPayload:
    principal = await info.context.principal()
    created = await auth.create_api_key(
        info.context.svc,
        principal,
        name,
        permissions,
        ids.optional(project_id, "projectId"),
        expires_at,
    )
    return t.CreateApiKeyPayload(api_key=t.ApiKey.of(created.key), secret=created.secret)


async def revoke_api_key(info: Info, id: strawberry.ID) -> t.ApiKey:
    principal = await info.context.principal()
    return t.ApiKey.of(await auth.revoke_api_key(info.context.svc, principal, ids.parse(id)))


async def create_project(info: Info, name: str, description: str | None = None) -> t.Project:
    principal = await info.context.principal()
    row = await tenancy.create_project(info.context.svc, principal, name, description)
    return t.Project.of(row)


async def project(info: Info, id: strawberry.ID) -> t.Project:
    principal = await info.context.principal()
    return t.Project.of(await tenancy.get_project(info.context.svc, principal, ids.parse(id)))


async def projects(
    info: Info, first: int = 50, after: str | None = None
) -> t.Connection[t.Project]:
    principal = await info.context.principal()
    listing = await tenancy.list_projects(
        info.context.svc, principal, first, pagination.decode(after)
    )
    return t.Connection.build(listing, t.Project.of)  # type: ignore[arg-type]
