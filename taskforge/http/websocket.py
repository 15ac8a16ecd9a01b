"""graphql-transport-ws: malformed messages close the connection with 4400 (never an
exception), each operation logs under a scope of its own, disconnects are routine.
The credential of a connection is checked again every credential cache window: one
revoked, deactivated or older than a password change closes it with 4403."""

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
from taskforge.domain.errors import TaskForgeError, Unavailable
from taskforge.resolvers.context import Context
from taskforge.services import auth

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
# a window of 0 (check every request) re-checks a connection's credential once a second
MIN_RECHECK_SECONDS = 1.0


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    recheck_task: asyncio.Task[None] | None = None

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        # the credential could not be checked (the database is unavailable): not a
        # refusal (4403), which a client would take for a bad key, but "try again later"
        try:
            await super().handle_connection_init(message)
        except Unavailable:
            await self.websocket.close(TRY_AGAIN_LATER, "the database is unavailable: retry")
            return
        if self.connection_acknowledged and self.recheck_task is None:
            self.recheck_task = asyncio.create_task(self.recheck_credential())

    async def recheck_credential(self) -> None:
        """Check the connection's credential against the database once per cache window
        (what any request on any replica would see by then); close the connection once
        it is refused. The caller's permissions follow a role change."""
        svc = self.context.svc
        interval = max(svc.settings.auth_cache_seconds, MIN_RECHECK_SECONDS)
        while True:
            await asyncio.sleep(interval)
            try:
                principal = await auth.recheck(svc, self.context.credential())
            except Unavailable:
                continue  # cannot tell now: the next window asks again
            except TaskForgeError as exc:
                await self.websocket.close(REVOKED, exc.message[:120])
                return
            self.context.refresh_principal(principal)

    async def shutdown(self) -> None:
        if self.recheck_task is not None:
            self.recheck_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.recheck_task
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
