"""The light WebSocket protocol's inbox: a queue in messages' order that holds nothing
while empty, and loses nothing to a reader cancelled while it waits."""

from __future__ import annotations

import asyncio
from typing import Any

from taskforge.http.ws_protocol import Inbox


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
