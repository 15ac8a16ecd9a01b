"""Which database failures are outages (UNAVAILABLE, retry) and which stay defects."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import exc as sa_exc

from taskforge.persistence.outages import describe, is_unavailable


def wrapped(orig: BaseException, invalidated: bool = False) -> sa_exc.DBAPIError:
    """As SQLAlchemy raises a driver error (its ``orig``, raised from it)."""
    error = sa_exc.DBAPIError("SELECT 1", {}, orig, connection_invalidated=invalidated)
    error.__cause__ = orig
    return error


OUTAGES = [
    ConnectionRefusedError(111, "Connection refused"),
    ConnectionResetError(104, "Connection reset by peer"),
    OSError("Multiple exceptions: [Errno 111] Connect call failed"),
    TimeoutError(),  # connecting took too long
    sa_exc.TimeoutError("QueuePool limit of size 10 overflow 10 reached"),
    asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
    asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.exceptions.CrashShutdownError("terminating connection because of crash"),
    asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
    asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle"),
    asyncpg.InterfaceError("cannot call rollback(): the underlying connection is closed"),
    asyncpg.InternalClientError("cannot switch to state 15; another operation (2) is in progress"),
    wrapped(Exception("anything"), invalidated=True),
    wrapped(asyncpg.exceptions.AdminShutdownError("terminating connection")),
]

DEFECTS = [
    ValueError("a bug"),
    asyncpg.exceptions.UniqueViolationError("duplicate key value"),
    asyncpg.exceptions.DeadlockDetectedError("deadlock detected"),  # retried by use cases
    asyncpg.exceptions.QueryCanceledError("canceling statement due to statement timeout"),
    asyncpg.exceptions.DatabaseDroppedError("database dropped"),
    asyncpg.exceptions.OutdatedSchemaCacheError("cache lookup failed"),
    # two operations at once on one connection is our bug, never an outage
    asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
    wrapped(asyncpg.exceptions.UndefinedTableError('relation "x" does not exist')),
]


@pytest.mark.parametrize("error", OUTAGES, ids=lambda e: type(e).__name__)
def test_outages(error: BaseException) -> None:
    assert is_unavailable(error)


@pytest.mark.parametrize("error", DEFECTS, ids=lambda e: type(e).__name__)
def test_defects(error: BaseException) -> None:
    assert not is_unavailable(error)


def test_the_cause_is_the_drivers_in_a_few_words() -> None:
    shutdown = asyncpg.exceptions.AdminShutdownError("terminating connection")
    assert describe(wrapped(shutdown)) == "57P01: terminating connection"
    refused = ConnectionRefusedError(111, "Connection refused")
    assert describe(refused) == "ConnectionRefusedError: [Errno 111] Connection refused"
    confused = asyncpg.InternalClientError("cannot switch to state 15; another operation (2)")
    assert describe(wrapped(confused, invalidated=True)) == "connection ended by the server"
