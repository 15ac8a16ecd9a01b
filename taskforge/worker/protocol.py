"""The worker channel's messages: their shapes, checked without I/O, shared by the
server (taskforge/http/worker_channel.py) and the SDK (taskforge/worker/channel.py).

Every message is one JSON object with a string ``type``; lists of jobs and
acknowledgements are arrays, read by position. See the server module for the protocol.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from taskforge.domain.enums import LogLevel

PATH = "/workers/channel"

# close codes (4xxx mirror HTTP statuses, as graphql-transport-ws does)
BAD_MESSAGE = 4400
UNAUTHENTICATED = 4401
FORBIDDEN = 4403
NOT_FOUND = 4404
RATE_LIMITED = 4429
TRY_AGAIN_LATER = 1013  # RFC 6455: the server cannot serve the connection right now
CLOSE_CODES = {
    "BAD_USER_INPUT": BAD_MESSAGE,
    "UNAUTHENTICATED": UNAUTHENTICATED,
    "FORBIDDEN": FORBIDDEN,
    "NOT_FOUND": NOT_FOUND,
    "RATE_LIMITED": RATE_LIMITED,
    "QUOTA_EXCEEDED": RATE_LIMITED,
    "UNAVAILABLE": TRY_AGAIN_LATER,
}
# codes after which a client must not connect again with the same hello
FATAL_CLOSES = frozenset({BAD_MESSAGE, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND})

MAX_CAPACITY = 10_000
MAX_ITEMS = 10_000  # acknowledgements, held executions or log entries in one message
MAX_QUEUES = 100
MAX_TYPES = 200  # job types in a hello


class ProtocolError(ValueError):
    """A malformed client message; ``reason`` goes into the close frame."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:120]  # a close reason must fit in 123 bytes


@dataclass(frozen=True, slots=True)
class Hello:
    capacity: int
    name: str | None = None
    queues: list[tuple[uuid.UUID, int]] = field(default_factory=list)
    lease: int | None = None
    worker_id: uuid.UUID | None = None
    holding: frozenset[uuid.UUID] = frozenset()
    token: str | None = None
    # the job types the worker has handlers for: it is pushed only those (None: any)
    types: list[str] | None = None
    # the worker reads a sixth item in each job, the job's trace context (tracing):
    # asked for, so that workers that unpack five items keep working
    trace: bool = False


@dataclass(frozen=True, slots=True)
class Ack:
    ok: list[uuid.UUID]
    done: list[tuple[uuid.UUID, Any]]
    # (error, retryable, traceback or None)
    failed: list[tuple[uuid.UUID, tuple[str, bool, str | None]]]

    def ids(self) -> list[uuid.UUID]:
        return [*self.ok, *(e for e, _ in self.done), *(e for e, _ in self.failed)]


@dataclass(frozen=True, slots=True)
class Beat:
    pass


@dataclass(frozen=True, slots=True)
class Logs:
    execution_id: uuid.UUID
    entries: list[tuple[LogLevel, str, dict[str, Any] | None]]


@dataclass(frozen=True, slots=True)
class Drain:
    pass


@dataclass(frozen=True, slots=True)
class Progress:
    """Running executions' latest progress: (execution id, fraction 0..1, message)."""

    items: list[tuple[uuid.UUID, float, str | None]]


ClientMessage = Hello | Ack | Beat | Logs | Drain | Progress


def _id(value: object, what: str) -> uuid.UUID:
    if not isinstance(value, str):
        raise ProtocolError(f"{what} must be an id string")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ProtocolError(f"{what} is not an id: {value[:40]!r}") from None


def _list(value: object, what: str, limit: int = MAX_ITEMS) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ProtocolError(f"`{what}` must be an array")
    if len(value) > limit:
        raise ProtocolError(f"`{what}` holds more than {limit} items")
    return value


def _int(value: object, what: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ProtocolError(f"`{what}` must be an integer from {low} to {high}")
    return value


def _tuple(value: object, what: str, sizes: tuple[int, ...]) -> list[Any]:
    if not isinstance(value, list) or len(value) not in sizes:
        counts = " or ".join(map(str, sizes))
        raise ProtocolError(f"each `{what}` item must be an array of {counts}")
    return value


def _hello(m: dict[str, Any]) -> Hello:
    worker = m.get("workerId")
    name = m.get("name")
    if name is not None and not isinstance(name, str):
        raise ProtocolError("`name` must be a string")
    token = m.get("token")
    if token is not None and not isinstance(token, str):
        raise ProtocolError("`token` must be a string")
    queues = []
    for item in _list(m.get("queues"), "queues", MAX_QUEUES):
        qid, weight = _tuple(item, "queues", (2,))
        queues.append((_id(qid, "a queue id"), _int(weight, "weight", 1, 100)))
    if worker is None and (name is None or not queues):
        raise ProtocolError("a new worker's hello needs `name` and `queues`")
    lease = m.get("lease")
    types = m.get("types")
    if types is not None:
        types = _list(types, "types", MAX_TYPES)
        if not types or not all(isinstance(t, str) for t in types):
            raise ProtocolError("`types` must be a non-empty array of job type strings")
    trace = m.get("trace", False)
    if not isinstance(trace, bool):
        raise ProtocolError("`trace` must be a boolean")
    return Hello(
        capacity=_int(m.get("capacity"), "capacity", 1, MAX_CAPACITY),
        name=name,
        queues=queues,
        lease=None if lease is None else _int(lease, "lease", 1, 3600),
        worker_id=None if worker is None else _id(worker, "`workerId`"),
        holding=frozenset(_id(e, "a held execution") for e in _list(m.get("holding"), "holding")),
        token=token,
        types=types,
        trace=trace,
    )


def _ack(m: dict[str, Any]) -> Ack:
    ok = [_id(e, "an execution id") for e in _list(m.get("ok"), "ok")]
    done = []
    for item in _list(m.get("done"), "done"):
        eid, output = _tuple(item, "done", (2,))
        if output is not None and not isinstance(output, dict):
            raise ProtocolError("an output must be an object or null")
        done.append((_id(eid, "an execution id"), output))
    failed = []
    for item in _list(m.get("failed"), "failed"):
        eid, error, retryable, *rest = _tuple(item, "failed", (3, 4))
        trace = rest[0] if rest else None
        if (
            not isinstance(error, str)
            or not isinstance(retryable, bool)
            or not (trace is None or isinstance(trace, str))
        ):
            raise ProtocolError(
                "a failure is [executionId, error string, retryable boolean, traceback?]"
            )
        failed.append((_id(eid, "an execution id"), (error, retryable, trace)))
    if len(ok) + len(done) + len(failed) > MAX_ITEMS:
        raise ProtocolError(f"an ack holds more than {MAX_ITEMS} items")
    return Ack(ok, done, failed)


def _logs(m: dict[str, Any]) -> Logs:
    entries = []
    for item in _list(m.get("entries"), "entries"):
        level, message, *rest = _tuple(item, "entries", (2, 3))
        metadata = rest[0] if rest else None
        try:
            parsed = LogLevel(level)
        except ValueError:
            raise ProtocolError(f"unknown log level {str(level)[:20]!r}") from None
        if not isinstance(message, str) or not (metadata is None or isinstance(metadata, dict)):
            raise ProtocolError("a log entry is [level, message string, metadata object?]")
        entries.append((parsed, message, metadata))
    return Logs(_id(m.get("executionId"), "`executionId`"), entries)


def _progress(m: dict[str, Any]) -> Progress:
    items = []
    for item in _list(m.get("items"), "items"):
        eid, fraction, *rest = _tuple(item, "items", (2, 3))
        message = rest[0] if rest else None
        if (
            isinstance(fraction, bool)
            or not isinstance(fraction, int | float)
            or not 0 <= fraction <= 1
            or not (message is None or isinstance(message, str))
        ):
            raise ProtocolError("a progress item is [executionId, fraction 0..1, message?]")
        items.append((_id(eid, "an execution id"), float(fraction), message))
    return Progress(items)


def parse(message: object) -> ClientMessage:
    """The client message, or ProtocolError saying what is wrong with it."""
    if not isinstance(message, dict):
        raise ProtocolError("a message must be a JSON object")
    kind = message.get("type")
    if kind == "ack":
        return _ack(message)
    if kind == "beat":
        return Beat()
    if kind == "hello":
        return _hello(message)
    if kind == "logs":
        return _logs(message)
    if kind == "drain":
        return Drain()
    if kind == "progress":
        return _progress(message)
    if not isinstance(kind, str):
        raise ProtocolError("a message needs a string `type`")
    raise ProtocolError(f"unknown message type {kind[:40]!r}")


# server -> worker


def welcome(worker_id: uuid.UUID) -> dict[str, Any]:
    return {"type": "welcome", "workerId": worker_id}


def jobs(
    items: list[list[Any]], parents: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """``items``: [executionId, jobId, jobType, attempt, payload] each, and the job's
    trace context (W3C traceparent or null) last for a worker whose hello asked for it.
    ``parents``: by job id, the outputs of a workflow job's direct parents by job name
    (a handler's ``ctx.parents``); only jobs that have parents, and absent when none has."""
    message: dict[str, Any] = {"type": "jobs", "jobs": items}
    if parents:
        message["parents"] = parents
    return message


def acked(rejected: list[list[Any]]) -> dict[str, Any]:
    """``rejected``: [executionId, code, message] each (none: all were applied)."""
    return {"type": "acked", "rejected": rejected}


def error(code: str, message: str, about: str | None = None) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message, "about": about}


DRAINED: dict[str, Any] = {"type": "drained"}


def cancel(execution_ids: list[uuid.UUID]) -> dict[str, Any]:
    """These executions were cancelled: the worker stops their handlers (nothing to ack)."""
    return {"type": "cancel", "executionIds": execution_ids}
