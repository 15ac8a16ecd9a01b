"""A relay's poll leaves events just committed by another process to that process's relay
(woken by the commit, it stamps them at once) and stamps only what is still waiting from
its previous poll: a relay that died or is stuck delays its events, it does not lose them."""

from __future__ import annotations

from taskforge.persistence.common import outbox
from taskforge.realtime.relay import Relay
from taskforge.runtime import Runtime
from tests.conftest import make_settings, new_org


async def unstamped(rt: Runtime) -> bool:
    async with rt.db.read() as session:
        return await outbox.has_unstamped(session)


async def test_a_poll_stamps_only_what_waited_since_the_previous_poll(
    database_url, tmp_path
) -> None:
    rt = Runtime.create(make_settings(database_url, tmp_path))
    await rt.start(migrate=False, engines=False)
    try:
        await rt.relay.stop()  # the committing process's relay is gone
        other = Relay(rt.db, rt.broker, interval=10.0)  # another replica's, polling
        assert await other.tick() == 0  # nothing waiting yet

        await new_org(rt.services)
        assert await unstamped(rt)
        assert await other.tick() == 0  # just committed: its own relay's to stamp
        assert await unstamped(rt)
        assert await other.tick() > 0  # still waiting a poll later: stamped
        while await other.tick(woken=True):
            pass
        assert not await unstamped(rt)

        # events another relay stamps between two polls are never this one's business
        await new_org(rt.services, "Globex")
        assert await other.tick() == 0
        helper = Relay(rt.db, rt.broker, interval=10.0)
        assert await helper.tick(woken=True) > 0  # as the committer's relay would
        assert await other.tick() == 0
        await new_org(rt.services, "Initech")
        assert await other.tick() == 0  # a new oldest row: not the one it saw waiting
    finally:
        await rt.stop()


async def test_a_woken_relay_stamps_at_once(database_url, tmp_path) -> None:
    rt = Runtime.create(make_settings(database_url, tmp_path))
    await rt.start(migrate=False, engines=False)
    try:
        await rt.relay.stop()
        relay = Relay(rt.db, rt.broker, interval=10.0)
        await new_org(rt.services)
        assert await relay.tick(woken=True) > 0
    finally:
        await rt.stop()
