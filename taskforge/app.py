"""The ASGI application: /graphql (HTTP, WebSocket, GraphiQL), /workers/channel, /healthz,
/readyz, /metrics, and the dashboard at / (web/ui.py)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from taskforge import __version__
from taskforge.config import Settings
from taskforge.domain.errors import RateLimited, TaskForgeError, Unavailable
from taskforge.http import worker_channel
from taskforge.http.body import BodyLimit
from taskforge.http.guard import RequestGuard
from taskforge.http.view import GraphQLView
from taskforge.metrics import exposition
from taskforge.metrics import graphql as metrics_graphql
from taskforge.metrics.server import ServerMetrics
from taskforge.metrics.websockets import WebSocketGauge
from taskforge.resolvers.context import Context
from taskforge.runtime import Runtime
from taskforge.schema.roots import build_schema
from taskforge.services.tenancy import NewOrganization, bootstrap
from taskforge.web import graphiql, ui
from taskforge.web.cors import cors_middleware


class TaskForgeGraphQL(GraphQLView):
    def __init__(self, runtime: Runtime) -> None:
        # graphql-transport-ws only: the legacy graphql-ws protocol (subscriptions-
        # transport-ws) is unmaintained and every current client speaks the new one.
        settings = runtime.settings
        super().__init__(
            build_schema(
                settings.limits,
                introspection=settings.introspection,
                extra=[]
                if runtime.metrics is None
                else [metrics_graphql.extension(runtime.metrics)],
            ),
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

    async def on_ws_connect(self, context: Context) -> Any:
        # graphql-transport-ws: the credential arrives in connection_init's payload
        try:
            await context.principal()
        except (Unavailable, RateLimited):
            raise  # not a refusal: the handler closes with 1013 / 4429, try again later
        except TaskForgeError as exc:
            raise ConnectionRejectionError({"message": exc.message, "code": exc.code}) from exc
        return None


def middleware(settings: Settings, metrics: ServerMetrics | None = None) -> list[Middleware]:
    """The app's middleware, outermost first. CORS wraps the guard, so that a browser
    app can read the guard's answers too; the guard wraps everything else, so that
    nothing escapes it and every answer carries a request id."""
    return [
        *cors_middleware(settings.cors_origins),
        Middleware(RequestGuard),
        *([] if metrics is None else [Middleware(WebSocketGauge, metrics=metrics)]),
        Middleware(BodyLimit, max_bytes=settings.limits.request_bytes),
    ]


def create_app(
    settings: Settings | None = None,
    runtime: Runtime | None = None,
    on_bootstrap: Callable[[NewOrganization], None] | None = None,
) -> Starlette:
    """The app; its lifespan migrates (embedded default), bootstraps and starts engines."""
    runtime = runtime or Runtime.create(settings or Settings())

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

    graphql = TaskForgeGraphQL(runtime)
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            worker_channel.route(runtime),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", exposition.endpoint(runtime.metrics, runtime.settings.metrics_token)),
            *(graphiql.routes() if runtime.settings.graphiql else []),
            # last: its client-route prefixes never shadow the API's paths
            *(ui.routes() if runtime.settings.dashboard else []),
        ],
        middleware=middleware(runtime.settings, runtime.metrics),
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    return app
