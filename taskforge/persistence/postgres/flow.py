"""PostgreSQL flow claims: statements sent on the driver connection."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.domain.enums import JobStatus
from taskforge.domain.flow_claims import Candidate
from taskforge.persistence.postgres.driver import JobRow, driver_connection
from taskforge.persistence.postgres.executions import CLAIM_PG, workflow_states
from taskforge.persistence.tables import READY_PREDICATE, RUNNING_KEYED_PREDICATE

# in the order given (a subquery's order is kept by the scan above it): two lockers of
# overlapping sets never wait on each other in a cycle
LOCK_PG = """
SELECT count(pg_advisory_xact_lock(k))
FROM (SELECT k FROM unnest($1::bigint[]) WITH ORDINALITY AS l(k, n) ORDER BY n) AS s
"""

# The walk of a flow claim, in claim order (priority, round-robin position, age), by the
# ready index, each row with the running jobs of its concurrency key: a probe of the keyed
# running index by (queue, key), stopping at the key's max. Rows whose key is full are
# filtered before the LIMIT, so they are read but never returned: a key's backlog never
# hides the next key's jobs. (One aggregate of the queue's running jobs, looked up per
# row, was planned by the statistics: by idx_jobs_processing, every tenant's running
# jobs, or, generic, by every job of the queue.) No row locks: the claim holds its
# queues' claim locks, and starts the chosen jobs by primary key (SKIP LOCKED: a job a
# cancel holds is left). Sent after the locks: its snapshot sees the claims committed
# before them.
FLOW_WALK_PG = """
SELECT j.id, j.queue_id, j.concurrency_key, j.concurrency_max, j.rate_key, j.rate_limit,
    j.rate_period, r.n AS running
FROM jobs j
CROSS JOIN LATERAL (
    SELECT count(*) AS n FROM (
        SELECT 1 FROM jobs k
        WHERE k.queue_id = j.queue_id AND k.concurrency_key = j.concurrency_key
            AND {running}
        LIMIT j.concurrency_max
    ) AS s
) AS r
WHERE j.queue_id {queues}{types} AND {ready}
    AND (j.concurrency_key IS NULL OR r.n < j.concurrency_max)
ORDER BY j.priority DESC, j.fair_seq, j.created_at
LIMIT $2 OFFSET $3
"""


def _walk(queues: str, types: str = "") -> str:
    return FLOW_WALK_PG.format(
        queues=queues,
        types=types,
        ready=READY_PREDICATE,
        running=RUNNING_KEYED_PREDICATE.replace("status", "k.status").replace(
            "concurrency_key", "k.concurrency_key"
        ),
    )


# keyed by (several queues, typed): one queue walks its index in claim order; several
# are sorted (as the plain claim's "= ANY"); a typed claim filters its types
FLOW_WALKS_PG = {
    (False, False): _walk("= $1"),
    (True, False): _walk("= ANY($1::uuid[])"),
    (False, True): _walk("= $1", " AND j.job_type = ANY($4::text[])"),
    (True, True): _walk("= ANY($1::uuid[])", " AND j.job_type = ANY($4::text[])"),
}


# The chosen jobs started, as the plain claim starts its walk's (CLAIM_PG).
START_PG = CLAIM_PG.format(
    picked=f"""    SELECT id FROM jobs
    WHERE id = ANY($1::uuid[]) AND {READY_PREDICATE} AND EXISTS (SELECT 1 FROM w)
    LIMIT $2
    FOR UPDATE SKIP LOCKED""",
    processing=JobStatus.PROCESSING,
    parents="NULL::jsonb",  # the caller reads them
)


async def lock(session: AsyncSession, ids: Sequence[int]) -> None:
    driver = await driver_connection(session)
    await driver.fetchval(LOCK_PG, list(ids))


async def candidates(
    session: AsyncSession,
    group: Sequence[uuid.UUID],
    window: int,
    job_types: Sequence[str] | None = None,
    after: int = 0,
) -> list[Candidate]:
    driver = await driver_connection(session)
    several = len(group) > 1
    sql = FLOW_WALKS_PG[several, job_types is not None]
    args: list[Any] = [list(group) if several else group[0], window, after]
    if job_types is not None:
        args.append(list(job_types))
    return [Candidate(*r) for r in await driver.fetch(sql, *args)]  # the columns' order


async def start(
    session: AsyncSession,
    ids: Sequence[uuid.UUID],
    now: datetime,
    worker_id: uuid.UUID,
    lease_until: datetime,
    deadlines: dict[uuid.UUID, datetime | None],
) -> list[tuple[Any, uuid.UUID, bool | None]]:
    if not ids:
        return []
    driver = await driver_connection(session)
    rows: list[Any] = JobRow.all(
        await driver.fetch(
            START_PG,
            list(ids),
            len(ids),
            now,
            worker_id,
            lease_until,
            list(deadlines),
            list(deadlines.values()),
        )
    )
    workflow_states(session, rows)
    return [(r, r.execution_id, r.starts_edges) for r in rows]
