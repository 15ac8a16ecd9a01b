"""Per-dialect strategies, chosen once from the URL. Nothing above persistence/
branches on the database kind."""

from __future__ import annotations

import contextvars
from typing import Any, Protocol, TypeVar

from sqlalchemy import Insert, Table, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql.selectable import GenerativeSelect

# "IMMEDIATE" for write transactions on SQLite, so a reader never has to upgrade
# its lock mid-transaction (which fails with SQLITE_BUSY instead of waiting).
BEGIN_MODE: contextvars.ContextVar[str] = contextvars.ContextVar("begin_mode", default="DEFERRED")

T = TypeVar("T", bound=GenerativeSelect)


class Dialect(Protocol):
    name: str

    def engine_kwargs(self, pool_size: int) -> dict[str, Any]: ...

    def configure(self, engine: AsyncEngine) -> None: ...

    def read_options(self) -> dict[str, Any]:
        """Execution options of read-only sessions."""
        ...

    def serialize_writes(self) -> bool:
        """Whether this process should queue its write transactions itself."""
        ...

    def lock_for_claim(self, stmt: T, of: Any = None) -> T:
        """Row locks for a claim (of ``of``'s rows): SKIP LOCKED where the database has it."""
        ...

    def lock_row(self, stmt: T) -> T:
        """A row lock that waits (FOR UPDATE) where the database has row locks."""
        ...

    async def xact_lock(self, session: AsyncSession, key: int) -> None:
        """Serialize a rare use case across processes until the transaction ends."""
        ...

    def insert_ignore(self, table: Table) -> Insert:
        """An INSERT that skips rows violating a unique constraint (ON CONFLICT DO NOTHING)."""
        ...


class PostgresDialect:
    name = "postgresql"

    def engine_kwargs(self, pool_size: int) -> dict[str, Any]:
        # no pre-ping: it costs a round trip per checkout; recycle, and drop connections
        # known closed at checkout (configure)
        return {"pool_size": pool_size, "max_overflow": pool_size, "pool_recycle": 1800}

    def read_options(self) -> dict[str, Any]:
        # single-statement reads need no BEGIN/COMMIT round trips
        return {"isolation_level": "AUTOCOMMIT"}

    def serialize_writes(self) -> bool:
        return False

    def configure(self, engine: AsyncEngine) -> None:
        @event.listens_for(engine.sync_engine, "checkout")
        def _on_checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
            # A restarted server closed every pooled connection, and asyncpg noticed each
            # close when it happened. Handing one out would fail its request; the pool
            # replaces it instead. A local flag, not a pre-ping's round trip.
            driver = getattr(dbapi_conn, "driver_connection", None)
            if driver is not None and driver.is_closed():
                raise DisconnectionError("connection closed by the server")

    def lock_for_claim(self, stmt: T, of: Any = None) -> T:
        return stmt.with_for_update(skip_locked=True, of=of)

    def lock_row(self, stmt: T) -> T:
        return stmt.with_for_update()

    async def xact_lock(self, session: AsyncSession, key: int) -> None:
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})

    def insert_ignore(self, table: Table) -> Insert:
        return postgresql.insert(table).on_conflict_do_nothing()


class SqliteDialect:
    name = "sqlite"

    def engine_kwargs(self, pool_size: int) -> dict[str, Any]:
        return {"connect_args": {"timeout": 30}}

    def read_options(self) -> dict[str, Any]:
        return {}

    def serialize_writes(self) -> bool:
        # SQLite has one writer; waiting writers otherwise poll in the busy handler
        # with sleeps of up to 100 ms. Queuing them in-process hands the lock on at once.
        return True

    def configure(self, engine: AsyncEngine) -> None:
        sync = engine.sync_engine
        # how long a write waits for another process's lock before the database counts
        # as unavailable: the URL's ``?timeout=`` (seconds), else 30 s
        busy_ms = int(float(str(engine.url.query.get("timeout", 30))) * 1000)

        @event.listens_for(sync, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Take transaction control away from the driver; "begin" below issues it.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={busy_ms}")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(sync, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql(f"BEGIN {BEGIN_MODE.get()}")

    def lock_for_claim(self, stmt: T, of: Any = None) -> T:
        # The write transaction (BEGIN IMMEDIATE) already excludes other writers.
        return stmt

    def lock_row(self, stmt: T) -> T:
        return stmt

    async def xact_lock(self, session: AsyncSession, key: int) -> None:
        return None  # BEGIN IMMEDIATE already serializes writers

    def insert_ignore(self, table: Table) -> Insert:
        return sqlite.insert(table).on_conflict_do_nothing()


_STRATEGIES: dict[str, Dialect] = {"postgresql": PostgresDialect(), "sqlite": SqliteDialect()}


def of(session: AsyncSession) -> Dialect:
    """The strategy for the database a session is bound to."""
    return _STRATEGIES[session.get_bind().dialect.name]


def dialect_for(url: str) -> Dialect:
    backend = make_url(url).get_backend_name()
    if backend in _STRATEGIES:
        return _STRATEGIES[backend]
    raise ValueError(
        f"unsupported database: {backend} (use postgresql+asyncpg or sqlite+aiosqlite)"
    )
