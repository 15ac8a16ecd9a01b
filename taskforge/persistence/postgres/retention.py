"""PostgreSQL retention: one statement finds a batch of expired jobs across queues."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.persistence.tables import EXPIRABLE_PREDICATE, FINISHED_PREDICATE

# Per queue (LATERAL: one range scan of idx_jobs_finished per queue, oldest first, never
# a scan of every finished job), the finished jobs outside workflows past the queue's
# retention (its own, else the default), then those with no edge to a job that has not
# finished, locked (SKIP LOCKED: a job another transaction holds waits for the next
# sweep; FOR UPDATE re-checks the status of a job changed meanwhile).
EXPIRED_PG = text(f"""
SELECT j.id FROM jobs j
WHERE j.id IN (
    SELECT c.id FROM job_queues q
    CROSS JOIN LATERAL (
        SELECT id FROM jobs x
        WHERE x.queue_id = q.id AND {EXPIRABLE_PREDICATE}
            AND x.finished_at < CAST(:now AS timestamptz)
                - make_interval(days => COALESCE(q.retention_days, :default_days))
            AND NOT EXISTS (
                SELECT 1 FROM job_dependencies e JOIN jobs o ON o.id = e.child_job_id
                WHERE e.parent_job_id = x.id AND NOT o.{FINISHED_PREDICATE}
            )
            AND NOT EXISTS (
                SELECT 1 FROM job_dependencies e JOIN jobs o ON o.id = e.parent_job_id
                WHERE e.child_job_id = x.id AND NOT o.{FINISHED_PREDICATE}
            )
        ORDER BY x.finished_at
        LIMIT :limit
    ) c
    LIMIT :limit
)
AND j.{FINISHED_PREDICATE}
FOR UPDATE OF j SKIP LOCKED
""")


async def expired(
    session: AsyncSession, now: datetime, default_days: float, limit: int
) -> list[uuid.UUID]:
    rows = await session.execute(
        EXPIRED_PG, {"now": now, "default_days": int(default_days), "limit": limit}
    )
    return [r.id for r in rows]
