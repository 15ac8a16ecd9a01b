"""PostgreSQL idempotency keys: the guard insert of a keyed enqueue, sent on the driver
connection (prepared once per connection; through SQLAlchemy Core it cost about as
much client CPU as the rest of the enqueue's extra work together)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.persistence.postgres.driver import driver_connection

# the rows, one array per column (one statement text for any batch); unnest keeps their
# order, which callers sort by (scope, key): concurrent batches wait in one order
INSERT_NEW_PG = """
INSERT INTO idempotency_keys (organization_id, scope, key, fingerprint, job_id, workflow_id,
    created_at, expires_at)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::uuid[],
    $7::timestamptz[], $8::timestamptz[])
ON CONFLICT DO NOTHING
RETURNING scope, key
"""

_COLUMNS = (
    "organization_id",
    "scope",
    "key",
    "fingerprint",
    "job_id",
    "workflow_id",
    "created_at",
    "expires_at",
)


async def insert_new(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[tuple[str, str]]:
    if not rows:
        return set()
    driver = await driver_connection(session)
    inserted = await driver.fetch(INSERT_NEW_PG, *[[r[c] for r in rows] for c in _COLUMNS])
    return {(r[0], r[1]) for r in inserted}
