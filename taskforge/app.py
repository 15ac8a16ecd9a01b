"""The ASGI application: /graphql (HTTP, WebSocket, GraphiQL), /healthz, /readyz, /metrics."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from starlette.websockets import WebSocketDisconnected as StarletteWebSocketDisconnected
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)

from taskforge import __version__
from taskforge.config import Settings
from taskforge.domain.errors import TaskForgeError
from taskforge.runtime import Runtime
from taskforge.schema.context import Context
from taskforge.schema.roots import build_schema
from taskforge.services.tenancy import NewOrganization, bootstrap
from taskforge.web import graphiql
from taskforge.web.cors import cors_middleware


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    async def handle_task_exception(self, error: Exception) -> None:
        # a subscription sending to a connection that is gone (the client left, or a
        # slow consumer was closed) is expected, not a server error worth a traceback
        if isinstance(error, WebSocketDisconnected | StarletteWebSocketDisconnected):
            return
        await super().handle_task_exception(error)


class TaskForgeGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, runtime: Runtime) -> None:
        # graphql-transport-ws only: the legacy graphql-ws protocol (subscriptions-
        # transport-ws) is unmaintained and every current client speaks the new one.
        settings = runtime.settings
        super().__init__(
            build_schema(settings.limits, introspection=settings.introspection),
            graphql_ide="graphiql" if settings.graphiql else None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            # browser pages on these origins may open a WebSocket (see web/cors.py)
            allowed_origins=settings.cors_origins,
        )
        self.runtime = runtime

    async def render_graphql_ide(self, request: Request) -> Response:
        return graphiql.page(request)  # our page: its assets are served locally

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        return Context(self.runtime, request, response)

    def encode_json(self, data: object) -> str:
        # orjson: a 10,000-node graph or a claim of 200 jobs encodes several times faster
        # than with json.dumps. Text, not bytes: WebSocket clients expect text frames.
        # json.dumps takes what orjson refuses (integers over 64 bits).
        try:
            return orjson.dumps(data).decode()
        except TypeError:
            return json.dumps(data, separators=(",", ":"))

    async def on_ws_connect(self, context: Context) -> Any:
        # graphql-transport-ws: the credential arrives in connection_init's payload
        try:
            await context.principal()
        except TaskForgeError as exc:
            raise ConnectionRejectionError({"message": exc.message, "code": exc.code}) from exc
        return None


class BodyLimit:
    """Refuses request bodies over the limit before they reach GraphQL."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._reject(scope, receive, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = {
            "errors": [
                {
                    "message": f"request body over {self.max_bytes} bytes",
                    "extensions": {"code": "BAD_USER_INPUT"},
                }
            ]
        }
        await JSONResponse(body, status_code=413)(scope, receive, send)


class _TooLarge(Exception):
    pass


def create_app(
    settings: Settings | None = None,
    runtime: Runtime | None = None,
    on_bootstrap: Callable[[NewOrganization], None] | None = None,
) -> Starlette:
    """The app; its lifespan migrates (embedded default), bootstraps and starts engines."""
    runtime = runtime or Runtime.create(settings or Settings())
    started = time.monotonic()

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await runtime.start()
        if runtime.settings.bootstrap:
            created = await bootstrap(runtime.services)
            if created is not None and on_bootstrap is not None:
                on_bootstrap(created)
        try:
            yield
        finally:
            await runtime.stop()

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__})

    async def readyz(_: Request) -> Response:
        checks: dict[str, str] = {}
        for name, probe in (("database", runtime.db.ping), ("broker", runtime.broker.ping)):
            try:
                await probe()
                checks[name] = "ok"
            except Exception as exc:  # readiness reports, it does not raise
                checks[name] = f"error: {type(exc).__name__}"
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", **checks}, status_code=200 if ok else 503
        )

    async def metrics(_: Request) -> Response:
        lines = [
            "# TYPE taskforge_uptime_seconds gauge",
            f"taskforge_uptime_seconds {time.monotonic() - started:.3f}",
            "# TYPE taskforge_events_published_total counter",
            f"taskforge_events_published_total {runtime.relay.published}",
            "# TYPE taskforge_subscriptions gauge",
            f"taskforge_subscriptions {runtime.tail.subscribers}",
        ]
        return PlainTextResponse("\n".join(lines) + "\n")

    graphql = TaskForgeGraphQL(runtime)
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            *(graphiql.routes() if runtime.settings.graphiql else []),
        ],
        middleware=[
            *cors_middleware(runtime.settings.cors_origins),
            Middleware(BodyLimit, max_bytes=runtime.settings.limits.request_bytes),
        ],
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    return app
