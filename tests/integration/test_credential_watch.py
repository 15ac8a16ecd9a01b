"""WebSocket connections holding one credential share its checks: one database lookup
per cache window for all of them, and a revocation closes every one of them."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
import websockets

from taskforge.persistence.tables import ApiKey
from taskforge.runtime import Runtime
from taskforge.services import auth
from tests.conftest import make_settings, new_org
from tests.helpers import served, subscribe, wait_for_subscribers

TICKS = "subscription { schedulerTicks { eventId } }"
CONNECTIONS = 6


async def closed_code(sub: Any, timeout: float) -> int:
    try:
        while True:
            await sub.next(timeout=timeout)
    except websockets.exceptions.ConnectionClosed as exc:
        assert exc.rcvd is not None, exc
        return exc.rcvd.code


async def test_connections_on_one_key_share_one_check_per_window(
    database_url, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = Runtime.create(make_settings(database_url, tmp_path, auth_cache_seconds=1.0))
    await rt.start(migrate=False, engines=False)
    checks: list[str] = []
    check = auth._check

    async def counted(svc: Any, credential: str) -> Any:
        checks.append(credential)
        return await check(svc, credential)

    monkeypatch.setattr(auth, "_check", counted)
    try:
        org = await new_org(rt.services)
        assert org.api_key is not None
        key = org.api_key.secret
        async with served(rt) as base, contextlib.AsyncExitStack() as stack:
            subs = [
                await stack.enter_async_context(subscribe(base, key, TICKS))
                for _ in range(CONNECTIONS)
            ]
            await wait_for_subscribers(rt, CONNECTIONS)
            checks.clear()
            await asyncio.sleep(2.6)  # two windows, or a little more
            # each connection checking for itself would make 12 or more
            assert 2 <= checks.count(key) <= 3, checks
            assert list(rt.services.credential_watches) == [key]

            async with rt.db.write() as session:  # as another replica would revoke it
                row = await session.get(ApiKey, org.api_key.key.id)
                assert row is not None
                row.revoked_at = rt.services.clock()
            codes = await asyncio.gather(*(closed_code(sub, 3.0) for sub in subs))
            assert codes == [4403] * CONNECTIONS
        assert not rt.services.credential_watches  # nothing left watching
    finally:
        await rt.stop()


async def test_the_last_connection_to_leave_stops_the_checks(database_url, tmp_path) -> None:
    rt = Runtime.create(make_settings(database_url, tmp_path, auth_cache_seconds=1.0))
    await rt.start(migrate=False, engines=False)
    try:
        org = await new_org(rt.services)
        assert org.api_key is not None
        key = org.api_key.secret
        async with served(rt) as base:
            async with subscribe(base, key, TICKS):
                async with subscribe(base, key, TICKS):
                    await wait_for_subscribers(rt, 2)
                    [watched] = rt.services.credential_watches.values()
                    assert len(watched.holders) == 2
                    checking = watched.task
                    assert checking is not None and not checking.done()
                for _ in range(50):  # the server notices the close
                    if len(watched.holders) == 1:
                        break
                    await asyncio.sleep(0.05)
                assert len(watched.holders) == 1 and not checking.done()
            for _ in range(50):
                if not rt.services.credential_watches:
                    break
                await asyncio.sleep(0.05)
            assert not rt.services.credential_watches
            assert checking.done()
    finally:
        await rt.stop()


async def test_an_idle_connection_holds_one_task(database_url, tmp_path) -> None:
    """Once its connection_init is answered, a connection needs no timer task for it, nor
    a credential check task of its own (one serves every connection on the key)."""
    import json

    rt = Runtime.create(make_settings(database_url, tmp_path, auth_cache_seconds=1.0))
    await rt.start(migrate=False, engines=False)
    try:
        org = await new_org(rt.services)
        assert org.api_key is not None
        init = {"type": "connection_init", "payload": {"Authorization": org.api_key.secret}}
        async with served(rt) as base, contextlib.AsyncExitStack() as stack:
            # the tasks alive now, by identity: one of them (the server's or the runtime's)
            # may end meanwhile, which a count would take for a missing one
            before = asyncio.all_tasks()
            for _ in range(CONNECTIONS):
                ws = await stack.enter_async_context(
                    websockets.connect(
                        f"ws://{base}/graphql",
                        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                        ping_interval=None,
                    )
                )
                await ws.send(json.dumps(init))
                assert json.loads(await ws.recv())["type"] == "connection_ack"
            await asyncio.sleep(0.1)
            # each connection's own task, and the one checking the key for all of them
            held = asyncio.all_tasks() - before
            assert len(held) == CONNECTIONS + 1, held
    finally:
        await rt.stop()
