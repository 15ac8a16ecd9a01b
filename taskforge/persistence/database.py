"""The engine and the unit of work: one transaction per use case."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from taskforge.persistence.dialects import BEGIN_MODE, dialect_for


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

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A read-write transaction, committed when the block exits cleanly."""
        token = BEGIN_MODE.set("IMMEDIATE")
        try:
            async with contextlib.AsyncExitStack() as stack:
                if self._write_lock is not None:
                    await stack.enter_async_context(self._write_lock)
                session = await stack.enter_async_context(self._sessions())
                await stack.enter_async_context(session.begin())
                yield session
        finally:
            BEGIN_MODE.reset(token)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """For reads: autocommit on PostgreSQL, a deferred transaction on SQLite (WAL
        readers never block writers). Not a snapshot across statements on PostgreSQL."""
        async with self._read_sessions() as session, session.begin():
            yield session

    async def ping(self) -> None:
        async with self.read() as session:
            await session.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
