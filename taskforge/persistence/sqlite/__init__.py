"""The SQLite store: SQLAlchemy Core statements; one writer at a time, so the lock
strategy is empty."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Insert, Integer, Table, cast, event, func, literal
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql.selectable import GenerativeSelect

from taskforge.persistence import store
from taskforge.persistence.sqlite import (
    dependencies,
    executions,
    flow,
    graph,
    jobs,
    keys,
    outbox,
    retention,
    workflows,
)
from taskforge.persistence.types import UTCDateTime

T = TypeVar("T", bound=GenerativeSelect)


class SqliteStore:
    embedded = True

    def __init__(self) -> None:
        self.executions: store.Executions = executions
        self.jobs: store.Jobs = jobs
        self.flow: store.Flow = flow
        self.keys: store.Keys = keys
        self.outbox: store.Outbox = outbox
        self.workflows: store.Workflows = workflows
        self.graph: store.Graph = graph
        self.dependencies: store.Dependencies = dependencies
        self.retention: store.Retention = retention

    def engine_kwargs(self, pool_size: int) -> dict[str, Any]:
        return {"connect_args": {"timeout": 30}}

    def read_options(self) -> dict[str, Any]:
        return {}

    def serialize_writes(self) -> bool:
        # SQLite has one writer; waiting writers otherwise poll in the busy handler
        # with sleeps of up to 100 ms. Queuing them in-process hands the lock on at once.
        return True

    def committed(self, engine: AsyncEngine, session: AsyncSession) -> None:
        pass  # no cached plans to go stale: SQLite plans each statement anew

    async def idle(self, cancel_after: float | None = None) -> None:
        pass

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
            # IMMEDIATE for writes: a reader never has to upgrade its lock mid-transaction
            conn.exec_driver_sql("BEGIN IMMEDIATE" if store.WRITING.get() else "BEGIN DEFERRED")

    def lock_for_claim(self, stmt: T, of: Any = None) -> T:
        return stmt  # the write transaction (BEGIN IMMEDIATE) already excludes other writers

    def lock_row(self, stmt: T) -> T:
        return stmt

    async def xact_lock(self, session: AsyncSession, key: int) -> None:
        return None  # BEGIN IMMEDIATE already serializes writers

    async def xact_locks(
        self, session: AsyncSession, keys: Sequence[int], shared: bool = False
    ) -> None:
        return None  # BEGIN IMMEDIATE already serializes writers

    def insert_ignore(self, table: Table) -> Insert:
        return sqlite.insert(table).on_conflict_do_nothing()

    def minutes_since(self, column: Any, start: datetime) -> ColumnElement[int]:
        # whole seconds of the stored text ("YYYY-MM-DD HH:MM:SS.ffffff", UTC): its first
        # 19 characters, since SQLite's date functions round a fraction to milliseconds
        # (59.9999995 would be the next minute). ``start`` is a minute's start: the
        # integer division of whole seconds is then the minute
        def seconds(value: Any) -> ColumnElement[int]:
            return cast(func.strftime("%s", func.substr(value, 1, 19)), Integer)

        return (seconds(column) - seconds(literal(start, UTCDateTime()))) // 60
