"""A database that cannot be reached is UNAVAILABLE (retry), never a masked defect, on
every path: SQLAlchemy sessions, the driver connection of the hot statements, reads and
writes. After a restart the pool hands out no dead connection.

PostgreSQL is stopped on a private cluster (never the shared one), or its sessions are
ended by a relay standing in for the server, which says "terminating connection due to
administrator command" as a server shutting down does. SQLite: a file locked by another
process past the busy timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from taskforge.domain.enums import WorkerType
from taskforge.domain.errors import Unavailable
from taskforge.persistence.database import Database
from taskforge.persistence.migrate import upgrade
from taskforge.services import executions, jobs, workers
from taskforge.services.base import Services
from taskforge.services.jobs import NewJob
from tests.conftest import _reset_pg, admin_of, make_settings, new_org
from tests.helpers import free_port
from tests.services import Relay, private_postgres

Call = Callable[[], Awaitable[Any]]


class World:
    """An organization with a queue, a worker and a job, and one call per path."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    async def setup(self) -> World:
        org = await new_org(self.svc)
        self.admin, self.queue = admin_of(org), org.queue.id
        worker = await workers.register(
            self.svc, self.admin, "w", WorkerType.GENERAL, [workers.QueueWeight(self.queue)]
        )
        self.worker = worker.id
        [self.job] = await self.enqueue()
        return self

    async def enqueue(self) -> Any:  # a write through the session
        return await jobs.enqueue(self.svc, self.admin, [NewJob(self.queue, "t")])

    async def read(self) -> Any:  # a read
        return await jobs.get(self.svc, self.admin, self.job.id)

    async def heartbeat(self) -> Any:
        return await workers.heartbeat(self.svc, self.admin, self.worker, 30)

    async def claim_and_ack(self) -> Any:  # statements on the driver connection
        claimed = await executions.claim(self.svc, self.admin, self.worker, None, 5, 30)
        return await executions.complete(
            self.svc, self.admin, [(c.execution_id, None) for c in claimed]
        )

    def calls(self) -> dict[str, Call]:
        return {
            "enqueue": self.enqueue,
            "read": self.read,
            "heartbeat": self.heartbeat,
            "claim_and_ack": self.claim_and_ack,
        }


@contextlib.asynccontextmanager
async def services(url: str, tmp_path: Path, pool_size: int = 5) -> AsyncIterator[Services]:
    """Services on a database of their own, without the relay and the event tail (whose
    polls would take the connections the test means to hand to a use case)."""
    db = Database(url, pool_size)
    try:
        yield Services(db, make_settings(url, tmp_path))
    finally:
        await db.dispose()


async def test_closed_port_is_unavailable(tmp_path: Path) -> None:
    """Nothing listens where the database should be: reads and writes are UNAVAILABLE."""
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/test"
    async with services(url, tmp_path) as svc:
        with pytest.raises(Unavailable) as raised:
            await new_org(svc)
        assert raised.value.code == "UNAVAILABLE"
        with pytest.raises(Unavailable):
            await svc.db.ping()


async def test_postgres_stopped_and_started(tmp_path: Path) -> None:
    """Every path answers UNAVAILABLE while the server is down, and works again at the
    first call once it is back: the pool replaced its dead connections by itself."""
    with private_postgres() as pg:
        db = Database(pg.url())
        await upgrade(db)
        await db.dispose()
        async with services(pg.url(), tmp_path) as svc:
            world = await World(svc).setup()
            for call in world.calls().values():
                await call()

            await asyncio.to_thread(pg.stop, "fast")
            for name, call in world.calls().items():
                with pytest.raises(Unavailable):
                    await call()
                    pytest.fail(f"{name} succeeded with the database down")

            await asyncio.to_thread(pg.start)
            for _ in range(3):
                for call in world.calls().values():
                    await call()


@pytest.fixture
async def relayed(pg_database: str, tmp_path: Path) -> AsyncIterator[tuple[Relay, Services]]:
    """Services on the shared test database, through a relay."""
    await _reset_pg(pg_database)
    url = make_url(pg_database)
    async with Relay(url.host or "127.0.0.1", url.port or 5432) as relay:
        through = url.set(host="127.0.0.1", port=relay.listen_port)
        async with services(through.render_as_string(hide_password=False), tmp_path) as svc:
            yield relay, svc


async def test_terminated_session_is_unavailable(relayed: tuple[Relay, Services]) -> None:
    """The server's "terminating connection" reaches an idle pooled connection before
    the close of its socket: asyncpg's protocol, still discarding the unsolicited error,
    refuses the next statement ("cannot switch to state N; another operation (2) is in
    progress", the InternalClientError seen after restarts). No second operation was
    sent; the connection is dead, and the use case is UNAVAILABLE, not INTERNAL."""
    relay, svc = relayed
    world = await World(svc).setup()
    for name, call in world.calls().items():
        await call()
        await relay.end_sessions(close=False)
        await asyncio.sleep(0.1)  # the error arrives; the close has not
        with pytest.raises(Unavailable):
            await call()
            pytest.fail(f"{name} succeeded on a terminated session")
        await relay.end_sessions(close=True)
    for call in world.calls().values():
        await call()


async def test_restart_while_idle_fails_no_request(relayed: tuple[Relay, Services]) -> None:
    """Every pooled connection was closed by the server while idle (a restart between
    two requests): the next requests get fresh connections instead of failing."""
    relay, svc = relayed
    world = await World(svc).setup()

    async def hold() -> None:
        async with svc.db.read() as session:
            await session.execute(text("SELECT pg_sleep(0.05)"))

    await asyncio.gather(*(hold() for _ in range(4)))  # four pooled connections
    assert len(relay.sessions) >= 4
    for _ in range(2):
        await relay.end_sessions(close=True)
        await asyncio.sleep(0.1)  # the client has seen the close
        for call in world.calls().values():
            await call()
        await asyncio.gather(*(hold() for _ in range(4)))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sqlite_locked_past_busy_timeout(database_url: str, tmp_path: Path) -> None:
    """Another process holds the write lock longer than the busy timeout: a write is
    UNAVAILABLE (retry), reads go on (WAL), and writes work once the lock is gone."""
    async with services(f"{database_url}?timeout=0.2", tmp_path) as svc:
        world = await World(svc).setup()
        path = make_url(database_url).database
        assert path
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN EXCLUSIVE")
            started = time.monotonic()
            with pytest.raises(Unavailable):
                await world.enqueue()
            assert time.monotonic() - started < 5
            await world.read()
        finally:
            other.execute("ROLLBACK")
            other.close()
        await world.enqueue()
