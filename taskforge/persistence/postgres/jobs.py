"""PostgreSQL jobs: statements sent on the driver connection."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import (
    Table,
)
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import TriggerRule
from taskforge.persistence.common.jobs import ADDED_COLUMNS, FLOW_DEFAULTS
from taskforge.persistence.postgres.driver import (
    JobRow,
    driver_connection,
    integrity_error,
    json_text,
)
from taskforge.persistence.store import note_inserted
from taskforge.persistence.tables import (
    Job,
    JobQueue,
)

JOBS: Table = Job.__table__  # type: ignore[assignment]


QUEUES: Table = JobQueue.__table__  # type: ignore[assignment]


# PostgreSQL: the rows of an enqueue, one array per column (one statement text for any
# batch), each taking its project from its queue; rows naming another tenant's queue or
# none are left out (the caller reports them), and so are rows of queues with flow
# control (services/flow writes them with their keys).
INSERT_IN_QUEUES_PG = """
INSERT INTO jobs (id, organization_id, project_id, queue_id, job_type, payload, priority,
    scheduled_for, status, dependency_status, max_attempts, attempts, created_at, updated_at,
    trace_context, schedule_id)
SELECT r.id, q.organization_id, q.project_id, r.queue_id, r.job_type, r.payload::jsonb,
    r.priority, r.scheduled_for, r.status, r.dependency_status, r.max_attempts, r.attempts,
    r.created_at, r.updated_at, r.trace_context, r.schedule_id
FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::int[], $7::timestamptz[],
        $8::text[], $9::text[], $10::int[], $11::int[], $12::timestamptz[], $13::timestamptz[],
        $14::text[], $15::uuid[])
    AS r(id, queue_id, job_type, payload, priority, scheduled_for, status, dependency_status,
        max_attempts, attempts, created_at, updated_at, trace_context, schedule_id)
JOIN job_queues q ON q.id = r.queue_id AND q.organization_id = $1 AND NOT q.flow_control
RETURNING jobs.id, jobs.project_id
"""


_INSERT_COLUMNS = (
    "id",
    "queue_id",
    "job_type",
    "payload",
    "priority",
    "scheduled_for",
    "status",
    "dependency_status",
    "max_attempts",
    "attempts",
    "created_at",
    "updated_at",
    "trace_context",
    "schedule_id",  # the schedule that fired it (NULL: enqueued); absent from most rows
)
_OPTIONAL = frozenset({"schedule_id"})


# the columns an enqueue leaves to their defaults (NULL, and round-robin position 0)
_UNSET: dict[str, Any] = dict.fromkeys(
    (
        "workflow_id",
        "name",
        "status_reason",
        "output",
        "error",
        "started_at",
        "finished_at",
        "concurrency_key",
        "concurrency_max",
        "rate_key",
        "rate_limit",
        "rate_period",
        "debounce_key",
        "schedule_id",
        "payload_template",
        "map_over",
        "map_count",
        "map_parent_id",
        "map_index",
    )
)
_UNSET["fair_seq"] = 0
_UNSET["trigger_rule"] = TriggerRule.ALL_SUCCESS


def _created(
    org_id: uuid.UUID,
    row: dict[str, Any],
    project_id: uuid.UUID,
    columns: tuple[str, ...] = _INSERT_COLUMNS,
) -> JobRow:
    """The stored row of an inserted one, without reading it back: every column is what
    was sent, its queue's project or NULL (the payload reads back equal, see the JSON
    rules of domain.inputs; timestamps were sent in UTC)."""
    made = object.__new__(JobRow)
    values = made.__dict__
    values.update(_UNSET)
    for column in columns:
        values[column] = row.get(column) if column in _OPTIONAL else row[column]
    values["organization_id"], values["project_id"] = org_id, project_id
    for name, convert in JobRow.converters.items():
        values[name] = convert(values[name])
    return made


def _arrays(rows: list[dict[str, Any]], names: tuple[str, ...]) -> list[list[Any]]:
    """One array per column (an INSERT ... SELECT FROM unnest), the payload as JSON text."""
    assert names[3] == "payload"
    columns = [[r.get(c) if c in _OPTIONAL else r[c] for r in rows] for c in names]
    columns[3] = [json_text(p) for p in columns[3]]
    return columns


async def insert_in_queues(
    session: AsyncSession, org_id: uuid.UUID, rows: list[dict[str, Any]]
) -> list[Any]:
    driver = await driver_connection(session)
    columns = _arrays(rows, _INSERT_COLUMNS)
    try:
        # only what the database decides comes back: returning every column cost more
        # than the insert's own round trip (1,000 rows decoded, each payload re-parsed)
        inserted = await driver.fetch(INSERT_IN_QUEUES_PG, org_id, *columns)
        note_inserted(session, "jobs", len(inserted))
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise integrity_error(exc, INSERT_IN_QUEUES_PG) from exc
    projects = dict(map(tuple, inserted))
    return [_created(org_id, r, projects[r["id"]]) for r in rows if r["id"] in projects]


# Rows of queues with flow control (services/flow has checked their queues and set
# their projects, keys and round-robin positions), one array per column as above.
_FLOW_COLUMNS = (
    *_INSERT_COLUMNS,
    "project_id",
    "status_reason",
    "finished_at",
    "concurrency_key",
    "concurrency_max",
    "rate_key",
    "rate_limit",
    "rate_period",
    "fair_seq",
)
INSERT_FLOW_PG = f"""
INSERT INTO jobs (organization_id, {", ".join(_FLOW_COLUMNS)})
SELECT $1, {", ".join("r.payload::jsonb" if c == "payload" else f"r.{c}" for c in _FLOW_COLUMNS)}
FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::int[], $7::timestamptz[],
        $8::text[], $9::text[], $10::int[], $11::int[], $12::timestamptz[],
        $13::timestamptz[], $14::text[], $15::uuid[], $16::uuid[], $17::text[],
        $18::timestamptz[], $19::text[], $20::int[], $21::text[], $22::int[], $23::int[],
        $24::bigint[])
    AS r({", ".join(_FLOW_COLUMNS)})
"""


async def insert_rows(
    session: AsyncSession, org_id: uuid.UUID, rows: list[dict[str, Any]]
) -> list[Any]:
    driver = await driver_connection(session)
    columns = _arrays(rows, _FLOW_COLUMNS)
    try:
        await driver.execute(INSERT_FLOW_PG, org_id, *columns)
        note_inserted(session, "jobs", len(rows))
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise integrity_error(exc, INSERT_FLOW_PG) from exc
    return [_created(org_id, r, r["project_id"], _FLOW_COLUMNS) for r in rows]


# Jobs added to a running workflow (mapped children, spawned jobs), one array per column
# as above, the flow columns with them; the types in ADDED_COLUMNS' order, then the flow
# columns'.
_ADDED = (*ADDED_COLUMNS, *FLOW_DEFAULTS)
_ADDED_TYPES = (
    *("uuid", "uuid", "uuid", "uuid", "uuid", "text", "text", "text", "int", "int"),
    *("text", "text", "int", "timestamptz", "timestamptz", "text", "uuid", "int"),
    *("text", "int", "text", "int", "int", "bigint"),
)
_ADDED_TYPE = dict(zip(_ADDED, _ADDED_TYPES, strict=True))


@functools.cache
def _insert_added_pg(shared: tuple[str, ...]) -> str:
    """The statement for rows whose ``shared`` columns are one value each ($1...), the
    others one array each."""
    varying = [c for c in _ADDED if c not in shared]
    params = {c: f"${i}::{_ADDED_TYPE[c]}" for i, c in enumerate(shared, 1)}
    arrays = [f"${i}::{_ADDED_TYPE[c]}[]" for i, c in enumerate(varying, len(shared) + 1)]
    values = [params.get(c, f"r.{c}") for c in _ADDED]
    values[_ADDED.index("payload")] += "::jsonb"
    return f"""
INSERT INTO jobs ({", ".join(_ADDED)})
SELECT {", ".join(values)}
FROM unnest({", ".join(arrays)}) AS r({", ".join(varying)})
"""


def _added_value(column: str, value: Any) -> Any:
    if column == "payload":
        return json_text(value)
    if column in ("status", "dependency_status"):  # enums as their stored names
        return str(value)
    return value


async def insert_added(
    session: AsyncSession, rows: list[dict[str, Any]], shared: Mapping[str, Any] | None = None
) -> None:
    driver = await driver_connection(session)
    await session.flush()  # the driver does not autoflush
    common = dict(shared or {})
    assert not rows or common.keys().isdisjoint(rows[0]), "a column both shared and per row"
    names = tuple(c for c in _ADDED if c in common)
    args = [_added_value(c, common[c]) for c in names]
    for c in _ADDED:
        if c in common:
            continue
        if c in ("payload", "status", "dependency_status"):
            args.append([_added_value(c, r[c]) for r in rows])
        else:
            default = FLOW_DEFAULTS.get(c)
            args.append([r.get(c, default) for r in rows])
    statement = _insert_added_pg(names)
    try:
        await driver.execute(statement, *args)
        note_inserted(session, "jobs", len(rows))
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise integrity_error(exc, statement) from exc
