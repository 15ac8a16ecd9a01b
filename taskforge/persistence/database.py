"""The engine and the unit of work: one transaction per use case."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from taskforge import tracing
from taskforge.domain.errors import TaskForgeError
from taskforge.persistence.outages import is_unavailable, unavailable
from taskforge.persistence.store import EVENTS_WRITTEN, STORE, WRITING, Store, store_for

__all__ = ["EVENTS_WRITTEN", "Database", "before_commit", "is_retryable"]

# a write session's info: what runs once its use case is done, before it commits
BEFORE_COMMIT = "taskforge.before_commit"
Hook = Callable[[AsyncSession], Awaitable[None]]


def before_commit(session: AsyncSession, key: str, hook: Hook) -> None:
    """Run ``hook`` in this write transaction once the use case is done, just before it
    commits (once per ``key``, however often registered): work gathered over a whole
    use case is applied in one go (services/schedule_runs). Not for a savepoint's work
    that may roll back: the hook runs all the same."""
    session.info.setdefault(BEFORE_COMMIT, {}).setdefault(key, hook)


async def _before_commit(session: AsyncSession) -> None:
    hooks: dict[str, Hook] = session.info.get(BEFORE_COMMIT, {})
    while hooks:  # a hook may register another
        await hooks.pop(next(iter(hooks)))(session)


class Database:
    def __init__(self, url: str, pool_size: int = 10) -> None:
        self.url = url
        # chosen once: every session this database makes carries it
        self.store: Store = store_for(url)
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_async_engine(url, **self.store.engine_kwargs(pool_size))
        # statements as spans when tracing is on (set up before any Database)
        tracing.instrument_engine(self.engine, self.engine.dialect.name)
        self.store.configure(self.engine)
        self._sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, info={STORE: self.store}
        )
        self._write_lock = asyncio.Lock() if self.store.serialize_writes() else None
        self._read_sessions = async_sessionmaker(
            self.engine.execution_options(**self.store.read_options()),
            expire_on_commit=False,
            info={STORE: self.store},
        )
        # committed write transactions that wrote outbox events: the relay needs a wake-up
        # after those only
        self.event_commits = 0

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A read-write transaction, committed when the block exits cleanly."""
        token = WRITING.set(True)
        try:
            async with contextlib.AsyncExitStack() as stack:
                if self._write_lock is not None:
                    await stack.enter_async_context(self._write_lock)
                session = await stack.enter_async_context(self._unit(self._sessions))
                yield session
                await _before_commit(session)
            # reached only once committed
            self.store.committed(self.engine, session)
            if session.info.get(EVENTS_WRITTEN):
                self.event_commits += 1
        finally:
            WRITING.reset(token)

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
        await self.store.idle(cancel_after=5.0)
        await self.engine.dispose()


# Two transactions waiting on each other's row locks (40P01) or a serialization conflict
# (40001): PostgreSQL aborts one, and the transaction can simply run again.
_RETRYABLE = frozenset({"40P01", "40001"})


def is_retryable(exc: BaseException) -> bool:
    """Whether the database aborted the transaction only to break a lock cycle or a
    serialization conflict (raised by the driver itself or wrapped by SQLAlchemy)."""
    return any(
        getattr(e, "sqlstate", None) in _RETRYABLE for e in (exc, getattr(exc, "orig", None))
    )
