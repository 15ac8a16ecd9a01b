"""The light WebSocket protocol's inbox: a queue in messages' order that holds nothing
while empty, and loses nothing to a reader cancelled while it waits; its writes: what
one turn of the event loop sends goes to the socket in one call, in order."""

from __future__ import annotations

import asyncio
from typing import Any

from taskforge.http.ws_protocol import Corked, Inbox


def message(n: int) -> Any:
    return {"type": "websocket.receive", "text": str(n)}


async def test_messages_come_out_in_order_and_an_empty_inbox_holds_nothing() -> None:
    inbox = Inbox()
    assert inbox.empty() and inbox.qsize() == 0
    for n in range(3):
        inbox.put_nowait(message(n))
    assert inbox.qsize() == 3
    assert [(await inbox.get())["text"] for _ in range(3)] == ["0", "1", "2"]
    assert inbox.empty() and inbox._items is None


async def test_a_waiting_reader_is_woken_and_a_cancelled_one_takes_nothing() -> None:
    inbox = Inbox()
    cancelled = asyncio.create_task(inbox.get())
    reader = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.sleep(0)
    inbox.put_nowait(message(1))
    assert (await asyncio.wait_for(reader, 1))["text"] == "1"
    assert cancelled.cancelled() and inbox.empty() and inbox._waiters is None


class Transport:
    """What the protocol's transport records: each write, and whether it was closed."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False
        self.paused = False

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after close"
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        self.paused = True


async def test_one_turns_writes_reach_the_socket_as_one_in_order() -> None:
    raw = Transport()
    corked = Corked(raw)  # type: ignore[arg-type]
    for n in range(3):
        corked.write(b"frame%d;" % n)
    corked.write(b"")
    assert raw.writes == []  # not before the turn ends
    await asyncio.sleep(0)
    assert raw.writes == [b"frame0;frame1;frame2;"]
    corked.write(b"next")
    corked.writelines([b" and", b" more"])
    await asyncio.sleep(0)
    assert raw.writes == [b"frame0;frame1;frame2;", b"next and more"]


async def test_a_close_sends_what_is_pending_first_and_nothing_after() -> None:
    raw = Transport()
    corked = Corked(raw)  # type: ignore[arg-type]
    corked.write(b"last frame")
    corked.write(b"close frame")
    corked.close()
    assert raw.writes == [b"last frameclose frame"] and raw.closed
    corked.write(b"too late")
    await asyncio.sleep(0)  # the scheduled flush finds the transport closing
    assert raw.writes == [b"last frameclose frame"]
    assert corked.is_closing()


async def test_everything_else_is_the_transports() -> None:
    raw = Transport()
    corked = Corked(raw)  # type: ignore[arg-type]
    corked.pause_reading()
    assert raw.paused


async def test_the_protocol_writes_through_the_cork() -> None:
    import uvicorn
    from uvicorn.server import ServerState

    from taskforge.http.ws_protocol import LightWebSocketProtocol

    async def app(scope: Any, receive: Any, send: Any) -> None:  # never called here
        raise AssertionError

    config = uvicorn.Config(app, ws=LightWebSocketProtocol, log_config=None)
    config.load()
    protocol = LightWebSocketProtocol(config, ServerState(), {})
    raw = Transport()
    raw.get_extra_info = lambda name, default=None: default  # type: ignore[attr-defined]
    protocol.connection_made(raw)  # type: ignore[arg-type]
    assert isinstance(protocol.transport, Corked) and protocol.transport.transport is raw
    protocol.connection_lost(None)
