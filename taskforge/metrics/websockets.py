"""Open WebSocket connections, by endpoint (the route's path; anything else ``other``)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from taskforge.metrics.server import ServerMetrics

ENDPOINTS = ("/graphql", "/workers/channel")


class WebSocketGauge:
    def __init__(self, app: ASGIApp, metrics: ServerMetrics) -> None:
        self.app = app
        self.children = {path: metrics.websockets.labels(path) for path in ENDPOINTS}
        self.other = metrics.websockets.labels("other")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        gauge = self.children.get(scope["path"], self.other)
        gauge.inc()
        try:
            await self.app(scope, receive, send)
        finally:
            gauge.dec()
