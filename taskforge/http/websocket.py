"""graphql-transport-ws: malformed messages close the connection with 4400 (never an
exception), each operation logs under a scope of its own, disconnects are routine.
The credential of a connection is checked again every credential cache window, once for
all of the replica's connections holding it (services/auth.watch): one revoked,
deactivated or older than a password change closes them with 4403."""

from __future__ import annotations

import asyncio
import contextlib

from starlette.websockets import WebSocketDisconnected as StarletteWebSocketDisconnected
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
)

from taskforge import logs
from taskforge.domain.errors import RateLimited, TaskForgeError, Unavailable
from taskforge.resolvers.context import Context
from taskforge.services import auth
from taskforge.services.base import Principal

_ID_CHARS = 128


def message_problem(message: object) -> str | None:
    """Why a client message is malformed, or None."""
    if not isinstance(message, dict):
        return "a message must be a JSON object"
    kind = message.get("type")
    if not isinstance(kind, str):
        return "a message needs a string `type`"
    payload = message.get("payload")
    if kind in ("connection_init", "ping", "pong"):
        return None if payload is None or isinstance(payload, dict) else "bad `payload`"
    if kind not in ("subscribe", "complete"):
        return None  # unknown types are the protocol handler's to refuse
    ident = message.get("id")
    if not isinstance(ident, str) or not 0 < len(ident) <= _ID_CHARS:
        return f"`id` must be a string of 1 to {_ID_CHARS} characters"
    if kind == "complete":
        return None
    if not isinstance(payload, dict):
        return "`payload` must be an object"
    if not isinstance(payload.get("query"), str):
        return "`payload.query` must be a string"
    for key, kind_, what in (
        ("variables", dict, "an object"),
        ("extensions", dict, "an object"),
        ("operationName", str, "a string"),
    ):
        value = payload.get(key)
        if value is not None and not isinstance(value, kind_):
            return f"`payload.{key}` must be {what}"
    return None


TRY_AGAIN_LATER = 1013  # RFC 6455: the server cannot serve the connection right now
REVOKED = 4403  # graphql-transport-ws "Forbidden": the credential is no longer valid
RATE_LIMITED = 4429  # too many connections or requests: not a bad credential either


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    # the credential this connection holds while its checks are watched (auth.watch)
    watched: str | None = None
    closing: asyncio.Task[None] | None = None

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        # the credential could not be checked (the database is unavailable) or the
        # caller is over a rate limit: not a refusal (4403), which a client would take
        # for a bad key, but "try again later"
        try:
            await super().handle_connection_init(message)
        except Unavailable:
            await self.websocket.close(TRY_AGAIN_LATER, "the database is unavailable: retry")
            return
        except RateLimited as exc:
            await self.websocket.close(RATE_LIMITED, exc.message[:120])
            return
        if self.connection_acknowledged and self.watched is None:
            # checked again once per cache window, with every other connection of this
            # replica holding the same credential
            self.watched = self.context.credential() or ""
            auth.watch(self.context.svc, self.watched, self)

    def checked(self, principal: Principal) -> None:
        """The caller's permissions follow a role change."""
        self.context.refresh_principal(principal)

    def refused(self, error: TaskForgeError) -> None:
        self.watched = None  # the watch let go of it already
        if self.closing is None:
            self.closing = asyncio.create_task(self._close_refused(error))

    async def _close_refused(self, error: TaskForgeError) -> None:
        with contextlib.suppress(Exception):  # the client may be gone already
            await self.websocket.close(REVOKED, error.message[:120])

    async def shutdown(self) -> None:
        if self.watched is not None:
            checking = auth.unwatch(self.context.svc, self.watched, self)
            self.watched = None
            if checking is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await checking
        await super().shutdown()

    async def handle_message(self, message: Message) -> None:
        problem = message_problem(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        # the operation's own task: its log lines name it, not the connection's others
        logs.enter_operation(operation.operation_name)
        await super().run_operation(operation)

    async def handle_task_exception(self, error: Exception) -> None:
        # a subscription sending to a connection that is gone (the client left, or a
        # slow consumer was closed) is expected, not a server error worth a traceback
        if isinstance(error, WebSocketDisconnected | StarletteWebSocketDisconnected):
            return
        await super().handle_task_exception(error)
