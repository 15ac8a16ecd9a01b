"""Test helpers: a GraphQL client over the ASGI app, and a real in-process server."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import uvicorn
import websockets

from taskforge import logs
from taskforge.app import create_app
from taskforge.http.ws_protocol import LightWebSocketProtocol
from taskforge.runtime import Runtime


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient, token: str | None = None) -> None:
        self.http, self.token = http, token

    def as_(self, token: str | None) -> GraphQLClient:
        return GraphQLClient(self.http, token)

    async def raw(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        resp = await self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        body: dict[str, Any] = resp.json()
        return body

    async def ok(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await self.raw(query, variables)
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def error(self, query: str, variables: dict[str, Any] | None = None) -> str:
        """Run a failing operation and return its error code."""
        body = await self.raw(query, variables)
        assert body.get("errors"), f"expected an error, got {body}"
        code: str = body["errors"][0]["extensions"]["code"]
        return code


@contextlib.asynccontextmanager
async def asgi_client(runtime: Runtime, token: str | None = None) -> AsyncIterator[GraphQLClient]:
    """GraphQL over the ASGI app (no socket); the runtime is already started."""
    app = create_app(runtime=runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http, token)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def served(runtime: Runtime) -> AsyncIterator[str]:
    """A real uvicorn server in this event loop; yields its base URL."""
    port = free_port()
    app = create_app(runtime=runtime)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        ws=LightWebSocketProtocol,  # as `taskforge serve`
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


class Subscription:
    """A graphql-transport-ws client for one subscription."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws

    async def next(self, timeout: float = 5.0) -> dict[str, Any]:
        while True:
            msg = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if msg["type"] == "ping":
                await self.ws.send(json.dumps({"type": "pong"}))
                continue
            return msg  # type: ignore[no-any-return]

    async def nothing_for(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            msg = await self.next(timeout=seconds)
            raise AssertionError(f"unexpected message {msg}")


@contextlib.asynccontextmanager
async def subscribe(
    base: str, token: str, query: str, variables: dict[str, Any] | None = None
) -> AsyncIterator[Subscription]:
    async with websockets.connect(
        f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:  # type: ignore[list-item]
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert ack["type"] == "connection_ack", ack
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": query, "variables": variables or {}},
                }
            )
        )
        yield Subscription(ws)


async def wait_for_subscribers(runtime: Runtime, n: int, timeout: float = 5.0) -> None:
    """Wait until this process has ``n`` live subscriptions."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while runtime.tail.subscribers < n:
        if loop.time() > deadline:
            raise AssertionError(f"{runtime.tail.subscribers} subscribers, expected {n}")
        await asyncio.sleep(0.01)


async def events_settled(runtime: Runtime, timeout: float = 5.0) -> None:
    """Wait until every committed event is stamped and this process's tail has passed
    it: a subscription attached now sees only what is committed later."""
    from sqlalchemy import func, select

    from taskforge.persistence.common import event_log
    from taskforge.persistence.tables import Event

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        async with runtime.db.read() as session:
            unstamped = await session.scalar(
                select(func.count()).select_from(Event).where(Event.seq.is_(None))
            )
            top = await event_log.max_seq(session)
        if not unstamped and runtime.tail.position >= top:
            return
        if loop.time() > deadline:
            raise AssertionError(f"{unstamped} events unstamped, tail at {runtime.tail.position}")
        await asyncio.sleep(0.01)


async def stored_events(session: Any, *where: Any) -> list[dict[str, Any]]:
    """The events of the outbox rows matching ``where``, in insertion order, one dict
    each (type, payload, seq: None while unstamped): a row holds ``span`` of them."""
    from sqlalchemy import select

    from taskforge.persistence.tables import Event

    out = []
    for row in await session.scalars(select(Event).where(*where).order_by(Event.id)):
        payloads = [row.payload] if row.span == 1 else row.payload
        for i, payload in enumerate(payloads):
            seq = None if row.seq is None else row.seq + i
            out.append(
                {"type": row.type, "payload": payload, "seq": seq, "org": row.organization_id}
            )
    return out


@contextlib.contextmanager
def captured_log(log_format: logs.LogFormat = "text") -> Iterator[io.StringIO]:
    """What the server's log handler writes, at INFO, while the block runs."""
    stream = io.StringIO()
    handler = logs.make_handler(log_format, stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
