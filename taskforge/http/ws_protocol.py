"""uvicorn's sans-I/O WebSocket protocol, lighter per connection.

An idle subscriber is mostly its connection's objects (thousands of them per server),
and two of uvicorn's are kept for nothing: its ``asyncio.Queue`` of incoming messages
(three deques and an event: ~3 KB, empty nearly always) and the parsed handshake
request and response (their headers: ~4 KB), never read again once the connection is
accepted. This keeps the first in a list made when a message waits, and lets the
second go after the handshake.

It also writes what one turn of the event loop sends to a connection in one system
call: a subscription drains the events waiting in its buffer without suspending, and a
socket write per message (a loopback send runs the receiver's TCP path too) was a fifth
of a server's CPU under load. The frames go out in order, at the end of the turn.
"""

from __future__ import annotations

import asyncio
from asyncio.transports import BaseTransport, Transport
from collections.abc import Iterable
from typing import Any

from uvicorn._types import ASGIReceiveEvent, ASGISendEvent
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


class Inbox:
    """The part of ``asyncio.Queue`` the protocol uses (``put_nowait``, ``get``,
    ``empty``), holding nothing while empty. Client messages are few and read at once,
    so a list is enough."""

    __slots__ = ("_items", "_waiters")

    def __init__(self) -> None:
        self._items: list[ASGIReceiveEvent] | None = None
        self._waiters: list[asyncio.Future[None]] | None = None

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items or ())

    def put_nowait(self, item: ASGIReceiveEvent) -> None:
        if self._items is None:
            self._items = [item]
        else:
            self._items.append(item)
        waiters, self._waiters = self._waiters, None
        # every waiter looks again: one that was cancelled meanwhile takes nothing
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    async def get(self) -> ASGIReceiveEvent:
        while not self._items:
            waiter = asyncio.get_running_loop().create_future()
            if self._waiters is None:
                self._waiters = [waiter]
            else:
                self._waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                if self._waiters is not None and waiter in self._waiters:
                    self._waiters.remove(waiter)
                raise
        item = self._items.pop(0)
        if not self._items:
            self._items = None
        return item


class Corked:
    """A transport whose writes within one turn of the event loop reach the socket as
    one. Everything the protocol writes goes through it, so frames keep their order; a
    close sends what is pending first."""

    __slots__ = ("_pending", "transport")

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self._pending: list[bytes] | None = None

    def write(self, data: bytes) -> None:
        if not data:
            return
        if self._pending is None:
            self._pending = [data]
            asyncio.get_running_loop().call_soon(self.flush)
        else:
            self._pending.append(data)

    def writelines(self, chunks: Iterable[bytes]) -> None:
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        pending, self._pending = self._pending, None
        if pending and not self.transport.is_closing():
            self.transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def __getattr__(self, name: str) -> Any:  # is_closing, pause_reading, ...
        return getattr(self.transport, name)


class LightWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Inbox()  # type: ignore[assignment]

    def connection_made(self, transport: BaseTransport) -> None:
        super().connection_made(transport)
        self.transport = Corked(self.transport)  # type: ignore[assignment]

    async def send(self, message: ASGISendEvent) -> None:
        await super().send(message)
        if self.handshake_complete:
            # read only while the handshake is answered (handle_connect, send)
            vars(self).pop("request", None)
            vars(self).pop("response", None)
