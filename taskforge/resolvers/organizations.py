"""Resolvers for sign-up and the organization's settings."""

from __future__ import annotations

import strawberry

from taskforge.resolvers.context import Context
from taskforge.schema import types as t
from taskforge.services import organizations

Info = strawberry.Info[Context, None]


async def sign_up(info: Info, organization_name: str, email: str, password: str) -> t.LoginPayload:
    token, expires, user = await organizations.sign_up(
        info.context.svc, organization_name, email, password, info.context.client_address
    )
    return t.LoginPayload(token=token, expires_at=expires, user=t.User.of(user))


async def update_organization(
    info: Info, name: str | None = None, billing_email: str | None = None
) -> t.Organization:
    principal = await info.context.principal()
    view = await organizations.update(info.context.svc, principal, name, billing_email)
    return t.Organization.of(view)
