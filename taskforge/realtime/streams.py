"""Per-subscription event streams: one tenant's channel, filtered, in ``seq`` order."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from taskforge.realtime.broker import Broker, channel_for
from taskforge.realtime.relay import decode


async def events(
    broker: Broker,
    org_id: uuid.UUID,
    event_types: set[str],
    accept: Callable[[dict[str, Any]], bool] = lambda _: True,
) -> AsyncIterator[dict[str, Any]]:
    """Yield the tenant's events of the given types that pass ``accept``.

    Only the tenant's own channel is subscribed, so another tenant's events never
    reach this stream. Duplicates (a re-published batch) are dropped by ``seq``.
    """
    last_seq = 0
    async with broker.subscribe(channel_for(org_id)) as queue:
        while True:
            event = decode(await queue.get())
            if event["seq"] <= last_seq:
                continue
            last_seq = event["seq"]
            if event["organizationId"] != str(org_id) or event["type"] not in event_types:
                continue
            if accept(event):
                yield event
