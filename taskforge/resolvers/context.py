"""Per-request context: the runtime, the lazily authenticated caller, DataLoaders.

It lives beside the resolvers and loaders it serves; GraphQL types name it only in
annotations.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket

from taskforge import logs
from taskforge.domain.errors import RateLimited
from taskforge.domain.records import Worker
from taskforge.resolvers.loaders import Loaders
from taskforge.runtime import Runtime
from taskforge.services import abuse, auth
from taskforge.services.base import Principal, Services
from taskforge.services.workers import is_healthy


def bearer(value: object) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    scheme, _, rest = value.partition(" ")
    return rest.strip() if scheme.lower() == "bearer" else value.strip()


@dataclass
class Context:
    runtime: Runtime
    request: Request | WebSocket
    response: Any = None
    connection_params: dict[str, Any] | None = None
    _principal: Principal | None = field(default=None, repr=False)
    subscriptions: int = 0  # live subscriptions of this WebSocket connection
    _refused: RateLimited | None = field(default=None, repr=False)
    _admission: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @property
    def svc(self) -> Services:
        return self.runtime.services

    def credential(self) -> str | None:
        if self.connection_params is not None:
            params = self.connection_params
            return bearer(
                params.get("Authorization") or params.get("authorization") or params.get("token")
            )
        return bearer(self.request.headers.get("authorization"))

    @property
    def known_principal(self) -> Principal | None:
        """The caller if already authenticated (no I/O), else None."""
        return self._principal

    async def principal(self) -> Principal:
        if self._principal is not None:
            return self._principal
        # the root fields resolve concurrently: one of them authenticates and counts the
        # request, the others wait for its answer
        async with self._admission:
            if self._refused is not None:  # counted once per request, refused in every field
                raise RateLimited(self._refused.message, **self._refused.details)
            if self._principal is None:
                principal = await auth.authenticate(self.svc, self.credential())
                logs.set_organization(principal.organization_id)
                try:
                    await abuse.admit(self.svc, principal)
                except RateLimited as exc:
                    self._refused = exc
                    raise
                self._principal = principal
            return self._principal

    @property
    def client_address(self) -> str | None:
        client = self.request.client
        return client.host if client else None

    def refresh_principal(self, principal: Principal) -> None:
        """The caller as checked again (a WebSocket connection, every cache window)."""
        if self._principal is not None and principal.organization_id == (
            self._principal.organization_id
        ):
            self._principal = principal

    async def require(self, permission: str) -> Principal:
        principal = await self.principal()
        principal.require(permission)
        return principal

    def healthy(self, worker: Worker) -> bool:
        return is_healthy(worker, self.svc.clock(), self.runtime.settings.heartbeat_timeout_seconds)

    @cached_property
    def loaders(self) -> Loaders:
        # A WebSocket context lives as long as the connection: batch, but never serve
        # stale rows from an earlier event.
        return Loaders(self.svc, self.principal, cache=not isinstance(self.request, WebSocket))
