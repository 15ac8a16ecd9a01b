"""A small GraphQL client for workers: HTTP for calls, WebSocket for the wake-up signal.

Connection failures are retried with capped exponential backoff; GraphQL errors are
raised as ``ApiError`` with the server's code.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import websockets

log = logging.getLogger("taskforge.worker")


class ApiError(Exception):
    def __init__(self, message: str, code: str | None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class Client:
    def __init__(self, url: str, api_key: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        if not self.url.endswith("/graphql"):
            self.url += "/graphql"
        self.api_key = api_key
        self._http = httpx.AsyncClient(
            timeout=timeout,
            headers={"Authorization": f"Bearer {api_key}"},
            limits=httpx.Limits(max_keepalive_connections=8),
        )

    async def call(
        self, query: str, variables: dict[str, Any] | None = None, retries: int = 8
    ) -> dict[str, Any]:
        delay = 0.2
        for attempt in range(retries + 1):
            try:
                resp = await self._http.post(
                    self.url, json={"query": query, "variables": variables or {}}
                )
                if resp.status_code >= 500:
                    raise httpx.HTTPStatusError("server error", request=resp.request, response=resp)
                body: dict[str, Any] = resp.json()
            except (httpx.TransportError, httpx.HTTPStatusError) as exc:
                if attempt == retries:
                    raise
                log.warning("API unreachable (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            if body.get("errors"):
                err = body["errors"][0]
                raise ApiError(err["message"], (err.get("extensions") or {}).get("code"))
            data: dict[str, Any] = body["data"]
            return data
        raise AssertionError("unreachable")

    async def signals(self, queue_ids: list[str]) -> AsyncIterator[None]:
        """Yields whenever a job becomes claimable in one of the queues; reconnects forever."""
        ws_url = "ws" + self.url.removeprefix("http")
        query = "subscription($q: [ID!]) { jobsAvailable(queues: $q) { queueId } }"
        delay = 0.2
        while True:
            try:
                async with websockets.connect(
                    ws_url,
                    subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                    open_timeout=10,
                ) as ws:
                    await ws.send(
                        json.dumps(
                            {
                                "type": "connection_init",
                                "payload": {"Authorization": f"Bearer {self.api_key}"},
                            }
                        )
                    )
                    await ws.send(
                        json.dumps(
                            {
                                "id": "1",
                                "type": "subscribe",
                                "payload": {"query": query, "variables": {"q": queue_ids}},
                            }
                        )
                    )
                    delay = 0.2
                    async for raw in ws:
                        msg = json.loads(raw)
                        if msg["type"] == "ping":
                            await ws.send(json.dumps({"type": "pong"}))
                        elif msg["type"] == "next":
                            yield None
                        elif msg["type"] in {"error", "complete"}:
                            raise ApiError(str(msg.get("payload")), None)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the polling fallback covers the gap
                log.debug("signal connection lost (%s); reconnecting", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._http.aclose()
