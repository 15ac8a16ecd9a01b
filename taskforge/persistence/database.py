"""The engine and the unit of work: one transaction per use case."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, ClassVar

import asyncpg  # type: ignore[import-untyped]
import orjson
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from taskforge.domain.errors import TaskForgeError
from taskforge.persistence.dialects import BEGIN_MODE, dialect_for
from taskforge.persistence.outages import is_unavailable, unavailable

# set in a session's info by whatever writes outbox events in its transaction
EVENTS_WRITTEN = "taskforge.events_written"


class Database:
    def __init__(self, url: str, pool_size: int = 10) -> None:
        self.url = url
        self.dialect = dialect_for(url)
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_async_engine(url, **self.dialect.engine_kwargs(pool_size))
        self.dialect.configure(self.engine)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = asyncio.Lock() if self.dialect.serialize_writes() else None
        self._read_sessions = async_sessionmaker(
            self.engine.execution_options(**self.dialect.read_options()), expire_on_commit=False
        )
        # committed write transactions that wrote outbox events: the relay needs a wake-up
        # after those only
        self.event_commits = 0

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A read-write transaction, committed when the block exits cleanly."""
        token = BEGIN_MODE.set("IMMEDIATE")
        try:
            async with contextlib.AsyncExitStack() as stack:
                if self._write_lock is not None:
                    await stack.enter_async_context(self._write_lock)
                session = await stack.enter_async_context(self._unit(self._sessions))
                yield session
            if session.info.get(EVENTS_WRITTEN):  # reached only once committed
                self.event_commits += 1
        finally:
            BEGIN_MODE.reset(token)

    def read(self) -> contextlib.AbstractAsyncContextManager[AsyncSession]:
        """For reads: autocommit on PostgreSQL, a deferred transaction on SQLite (WAL
        readers never block writers). Not a snapshot across statements on PostgreSQL."""
        return self._unit(self._read_sessions)

    @staticmethod
    @asynccontextmanager
    async def _unit(
        sessions: async_sessionmaker[AsyncSession],
    ) -> AsyncIterator[AsyncSession]:
        """A session in a transaction. The one place where a database that cannot be
        reached (down, restarting, a dropped connection, locked past the busy timeout)
        becomes ``Unavailable``, whether SQLAlchemy or the driver connection saw it."""
        try:
            async with sessions() as session, session.begin():
                yield session
        except TaskForgeError:
            raise
        except Exception as exc:
            if is_unavailable(exc):
                # an expected condition: its cause, in a few words, is in its details
                raise unavailable(exc) from None
            raise

    async def ping(self) -> None:
        async with self.read() as session:
            await session.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def json_text(value: Any) -> str:
    """JSON text for a json/jsonb parameter sent on the driver connection: orjson, several
    times faster than json.dumps on the hot paths; json.dumps takes what orjson refuses
    (integers over 64 bits, keys that are not strings)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


# Two transactions waiting on each other's row locks (40P01) or a serialization conflict
# (40001): PostgreSQL aborts one, and the transaction can simply run again.
_RETRYABLE = frozenset({"40P01", "40001"})


def is_retryable(exc: BaseException) -> bool:
    """Whether the database aborted the transaction only to break a lock cycle or a
    serialization conflict (raised by the driver itself or wrapped by SQLAlchemy)."""
    return any(
        getattr(e, "sqlstate", None) in _RETRYABLE for e in (exc, getattr(exc, "orig", None))
    )


class DriverRow:
    """A row read on the driver connection, like a SQLAlchemy row (``row.column``).
    ``converters`` turn stored values into domain types (string enums), once per row."""

    converters: ClassVar[dict[str, Callable[[Any], Any]]] = {}

    def __init__(self, record: Any) -> None:
        values = self.__dict__
        values.update(record.items())
        for name, convert in self.converters.items():
            if values.get(name) is not None:
                values[name] = convert(values[name])

    @classmethod
    def all(cls, records: list[Any]) -> list[Any]:
        return [cls(r) for r in records]


async def driver_connection(
    session: AsyncSession, *, standalone: bool = False
) -> asyncpg.Connection | None:
    """The asyncpg connection under this session's transaction, or None on other drivers.

    The few hottest statements (claim, ack, outbox) run on it directly: a fixed SQL text
    that asyncpg prepares once per connection, without SQLAlchemy's per-statement compile
    and result processing, which cost more than the round trip itself. Callers keep a
    portable path for the None case.

    SQLAlchemy's asyncpg adapter sends BEGIN lazily, before its first statement; a raw
    statement sent earlier would run in autocommit, outside the unit of work. So the
    adapter's transaction is started here, the way its own cursors start it. Should
    those internals change, this returns None and everything takes the portable path.

    ``standalone``: the caller's statement need not be atomic with anything after it
    (e.g. it is all its unit of work does), so when no transaction is open yet it runs
    and commits on its own, which spares the BEGIN and COMMIT round trips; statements
    after it then open the transaction.
    """
    fairy = await (await session.connection()).get_raw_connection()
    driver = fairy.driver_connection
    adapter: Any = fairy.dbapi_connection
    if not isinstance(driver, asyncpg.Connection) or not hasattr(adapter, "_start_transaction"):
        return None
    if standalone and not driver.is_in_transaction():
        return driver
    if getattr(adapter, "_transaction", None) is None:
        async with adapter._execute_mutex:
            await adapter._start_transaction()
    if not driver.is_in_transaction() and getattr(adapter, "isolation_level", None) != "autocommit":
        return None
    return driver
