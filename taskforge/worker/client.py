"""A small GraphQL client for workers: HTTP for calls, WebSocket for the wake-up signal.

Answers that say "try again" are retried with capped exponential backoff (and jitter, so
that workers do not all come back at once), waiting at least what ``Retry-After`` asks:
UNAVAILABLE (HTTP 503, or a GraphQL error with that code on any status), RATE_LIMITED
(HTTP 429), other 5xx, and connections that failed. Other GraphQL errors are raised as
``ApiError`` with the server's code.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import websockets

log = logging.getLogger("taskforge.worker")

# codes of answers that mean "nothing was done; the same call may succeed later"
# (RATE_LIMITED: over the organization's or the key's request rate; HTTP 429)
RETRY_CODES = frozenset({"UNAVAILABLE", "RATE_LIMITED"})
MAX_DELAY = 10.0  # seconds between attempts, at most (unless Retry-After asks for more)
MAX_RETRY_AFTER = 60.0  # a Retry-After above this is taken as this


class ApiError(Exception):
    def __init__(self, message: str, code: str | None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code

    @property
    def retryable(self) -> bool:
        return self.code in RETRY_CODES


def _retry_after(resp: httpx.Response) -> float | None:
    """Seconds from a ``Retry-After`` header (the HTTP-date form is not used by the
    server and is ignored)."""
    value = resp.headers.get("retry-after")
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER) if value else None
    except ValueError:
        return None


def _first_error(body: Any) -> ApiError | None:
    if not isinstance(body, dict) or not body.get("errors"):
        return None
    err = body["errors"][0]
    code = (err.get("extensions") or {}).get("code") if isinstance(err, dict) else None
    return ApiError(str(err.get("message") if isinstance(err, dict) else err), code)


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
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        retries: int = 8,
        *,
        resend: bool = True,
    ) -> dict[str, Any]:
        """The operation's ``data``. ``retries``: further attempts after an answer that
        says "try again". ``resend=False``: a request that may have reached the server
        (the connection broke after sending) is not sent again, for mutations that must
        not run twice; an UNAVAILABLE answer, which means nothing was done, still is."""
        delay = 0.2
        for attempt in range(retries + 1):
            wait = 0.0
            try:
                resp = await self._http.post(
                    self.url, json={"query": query, "variables": variables or {}}
                )
            except httpx.TransportError as exc:
                unsent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                if attempt == retries or not (resend or unsent):
                    raise
                failure: str = f"API unreachable ({exc or type(exc).__name__})"
            else:
                try:
                    body = resp.json()
                except ValueError:
                    body = None
                error = _first_error(body)
                if resp.status_code == 503 or (error is not None and error.retryable):
                    failure = f"server unavailable ({error or resp.status_code})"
                    wait = _retry_after(resp) or 0.0
                elif resp.status_code >= 500 and resend:
                    failure = f"server error ({error or resp.status_code})"
                else:
                    if error is not None:
                        raise error
                    if not isinstance(body, dict) or "data" not in body:
                        resp.raise_for_status()
                        raise ApiError(f"unexpected answer (HTTP {resp.status_code})", None)
                    data: dict[str, Any] = body["data"]
                    return data
                if attempt == retries:
                    if error is not None:
                        raise error
                    resp.raise_for_status()
            wait = max(wait, delay * random.uniform(0.5, 1.0))
            log.warning("%s; retrying in %.1fs", failure, wait)
            await asyncio.sleep(wait)
            delay = min(delay * 2, MAX_DELAY)
        raise AssertionError("unreachable")

    async def signals(self, queue_ids: list[str]) -> AsyncIterator[None]:
        """Yields whenever a job becomes claimable in one of the queues, and once after
        each reconnection (signals were missed meanwhile). Reconnects forever, with
        capped backoff; the runner's polling covers the gaps."""
        ws_url = "ws" + self.url.removeprefix("http")
        query = "subscription($q: [ID!]) { jobsAvailable(queues: $q) { queueId } }"
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {self.api_key}"}}
        subscribe = {
            "id": "1",
            "type": "subscribe",
            "payload": {"query": query, "variables": {"q": queue_ids}},
        }
        delay, lost = 0.2, False
        while True:
            try:
                async with websockets.connect(
                    ws_url,
                    subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                    open_timeout=10,
                ) as ws:
                    await ws.send(json.dumps(init))
                    async for raw in ws:
                        msg = json.loads(raw)
                        if msg["type"] == "connection_ack":
                            await ws.send(json.dumps(subscribe))
                            delay = 0.2  # connected and accepted: a later loss starts over
                            if lost:
                                lost = False
                                yield None
                        elif msg["type"] == "ping":
                            await ws.send(json.dumps({"type": "pong"}))
                        elif msg["type"] == "next":
                            yield None
                        elif msg["type"] in {"error", "complete"}:
                            raise ApiError(str(msg.get("payload")), None)
                    raise ConnectionError(f"closed by the server ({ws.close_code})")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the polling fallback covers the gap
                log.debug("signal connection lost (%s); reconnecting", exc)
                lost = True
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, MAX_DELAY)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._http.aclose()
