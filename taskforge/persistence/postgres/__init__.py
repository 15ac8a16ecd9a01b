"""The PostgreSQL store: raw statements on the asyncpg connection for the hot paths,
row locks, SKIP LOCKED and advisory locks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Insert,
    Integer,
    Table,
    bindparam,
    cast,
    event,
    extract,
    func,
    literal,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql.selectable import GenerativeSelect

from taskforge.persistence import store
from taskforge.persistence.postgres import (
    dependencies,
    executions,
    flow,
    graph,
    jobs,
    keys,
    outbox,
    retention,
    statistics,
    workflows,
)
from taskforge.persistence.types import UTCDateTime

T = TypeVar("T", bound=GenerativeSelect)

XACT_LOCKS = text("SELECT pg_advisory_xact_lock(k) FROM unnest(:keys) AS k").bindparams(
    bindparam("keys", type_=postgresql.ARRAY(BigInteger))
)
SHARED_XACT_LOCKS = text(
    "SELECT pg_advisory_xact_lock_shared(k) FROM unnest(:keys) AS k"
).bindparams(bindparam("keys", type_=postgresql.ARRAY(BigInteger)))


class PostgresStore:
    embedded = False

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
        self.statistics = statistics.Statistics()

    def engine_kwargs(self, pool_size: int) -> dict[str, Any]:
        # no pre-ping: it costs a round trip per checkout; recycle, and drop connections
        # known closed at checkout (configure). No JIT: its compilation (tens of ms) is
        # planned from row estimates, which a table filled a moment ago can put over
        # jit_above_cost for statements that run in a millisecond; none of ours is a long
        # analytical query that it would pay off for.
        return {
            "pool_size": pool_size,
            "max_overflow": pool_size,
            "pool_recycle": 1800,
            "connect_args": {"server_settings": {"jit": "off"}},
        }

    def read_options(self) -> dict[str, Any]:
        # single-statement reads need no BEGIN/COMMIT round trips
        return {"isolation_level": "AUTOCOMMIT"}

    def serialize_writes(self) -> bool:
        return False

    def committed(self, engine: AsyncEngine, session: AsyncSession) -> None:
        if inserted := session.info.get(store.INSERTED):
            self.statistics.committed(engine, inserted)

    async def idle(self, cancel_after: float | None = None) -> None:
        await self.statistics.idle(cancel_after)

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

    async def xact_locks(
        self, session: AsyncSession, keys: Sequence[int], shared: bool = False
    ) -> None:
        if len(keys) == 1 and not shared:
            await self.xact_lock(session, keys[0])
        elif keys:
            # a function scan yields the array in order and each row locks as it is made
            statement = SHARED_XACT_LOCKS if shared else XACT_LOCKS
            await session.execute(statement, {"keys": list(keys)})

    def insert_ignore(self, table: Table) -> Insert:
        return postgresql.insert(table).on_conflict_do_nothing()

    def minutes_since(self, column: Any, start: datetime) -> ColumnElement[int]:
        # an interval's epoch is numeric (exact); floor, as the difference may hold
        # fractions of a second
        since = extract("epoch", column - literal(start, UTCDateTime()))
        return cast(func.floor(since / 60), Integer)
