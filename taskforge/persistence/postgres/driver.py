"""The asyncpg connection under a session's transaction, and the rows read on it.

The few hottest statements (claim, ack, outbox, dependency release) run on it directly:
a fixed SQL text that asyncpg prepares once per connection, without SQLAlchemy's
per-statement compile and result processing, which cost more than the round trip itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import Enum
from typing import Any, ClassVar, TypeVar

import asyncpg  # type: ignore[import-untyped]
import orjson
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge import tracing
from taskforge.domain.enums import DependencyStatus, JobStatus, TriggerRule

E = TypeVar("E", bound=Enum)


def json_text(value: Any) -> str:
    """JSON text for a json/jsonb parameter sent on the driver connection: orjson, several
    times faster than json.dumps on the hot paths; json.dumps takes what orjson refuses
    (integers over 64 bits, keys that are not strings)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


def members(enum: type[E]) -> Callable[[Any], E]:
    """A converter from a stored value to its enum member: a dict lookup, several times
    cheaper than calling the enum (claims and acknowledgements convert every row)."""
    return {m.value: m for m in enum}.__getitem__


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
) -> asyncpg.Connection:
    """The asyncpg connection under this session's transaction.

    SQLAlchemy's asyncpg adapter sends BEGIN lazily, before its first statement; a raw
    statement sent earlier would run in autocommit, outside the unit of work. So the
    adapter's transaction is started here, the way its own cursors start it. Should
    those internals change, this raises rather than run a statement outside the unit
    of work (the PostgreSQL store tests catch it).

    ``standalone``: the caller's statement need not be atomic with anything after it
    (e.g. it is all its unit of work does), so when no transaction is open yet it runs
    and commits on its own, which spares the BEGIN and COMMIT round trips; statements
    after it then open the transaction.
    """
    fairy = await (await session.connection()).get_raw_connection()
    driver = fairy.driver_connection
    adapter: Any = fairy.dbapi_connection
    if not isinstance(driver, asyncpg.Connection) or not hasattr(adapter, "_start_transaction"):
        raise RuntimeError("no asyncpg connection under this session")
    if standalone and not driver.is_in_transaction():
        return tracing.traced_driver(driver, "postgresql")
    if getattr(adapter, "_transaction", None) is None:
        async with adapter._execute_mutex:
            await adapter._start_transaction()
    if not driver.is_in_transaction() and getattr(adapter, "isolation_level", None) != "autocommit":
        raise RuntimeError("the driver connection is not in the unit of work's transaction")
    return tracing.traced_driver(driver, "postgresql")


class JobRow(DriverRow):
    """A job read on the driver connection."""

    converters = {
        "status": members(JobStatus),
        "dependency_status": members(DependencyStatus),
        "trigger_rule": members(TriggerRule),
    }


def integrity_error(exc: asyncpg.IntegrityConstraintViolationError, sql: str) -> IntegrityError:
    """A constraint violation on the driver connection as SQLAlchemy reports the same
    violation of a portable statement: callers see one error type from every store."""
    return IntegrityError(sql, None, exc)
