"""The /metrics endpoint: the text exposition of this app's registry, or, in
multiprocess mode, of every process's values in PROMETHEUS_MULTIPROC_DIR. With
TASKFORGE_METRICS_TOKEN set it needs ``Authorization: Bearer <token>`` (401 without)."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from taskforge.metrics import multiprocess
from taskforge.metrics.server import ServerMetrics


def render(metrics: ServerMetrics) -> bytes:
    metrics.refresh()  # this process's own gauges; others refreshed by their sampler
    if multiprocess():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(metrics.registry)


def endpoint(
    metrics: ServerMetrics | None, token: str | None
) -> Callable[[Request], Awaitable[Response]]:
    expected = f"Bearer {token}".encode() if token else None

    async def serve(request: Request) -> Response:
        if metrics is None:
            return PlainTextResponse("metrics are off (TASKFORGE_METRICS=false)\n", 404)
        if expected is not None:
            given = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                return PlainTextResponse(
                    "unauthorized\n", 401, headers={"WWW-Authenticate": "Bearer"}
                )
        return Response(render(metrics), media_type=CONTENT_TYPE_LATEST)

    return serve
