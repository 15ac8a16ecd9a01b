"""PostgreSQL retention: one statement finds a batch of expired jobs across queues, one
a batch of expired workflows across projects."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from taskforge.persistence.common.workflows import _LIVE_SQL
from taskforge.persistence.tables import (
    EXPIRABLE_PREDICATE,
    FINISHED_PREDICATE,
    WORKFLOW_EXPIRABLE_PREDICATE,
)

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


# Per project (LATERAL: one range scan of idx_workflows_expirable per project, oldest
# first), the ended workflows not yet pruned past the longest retention among the
# project's queues, with no job still live (one probe of idx_jobs_workflow_status each),
# locked (SKIP LOCKED: one held by another replica's retention, a fold or a use case waits
# for the next batch; FOR UPDATE re-checks a row changed meanwhile, e.g. retried).
EXPIRED_WORKFLOWS_PG = text(f"""
SELECT w.id FROM workflows w
WHERE w.id IN (
    SELECT c.id FROM (
        SELECT p.id AS project_id,
            COALESCE(max(COALESCE(q.retention_days, :default_days)), :default_days) AS days
        FROM projects p LEFT JOIN job_queues q ON q.project_id = p.id
        GROUP BY p.id
    ) k
    CROSS JOIN LATERAL (
        SELECT x.id FROM workflows x
        WHERE x.project_id = k.project_id AND x.{WORKFLOW_EXPIRABLE_PREDICATE}
            AND x.finished_at < CAST(:now AS timestamptz) - make_interval(days => k.days)
            AND NOT EXISTS (
                SELECT 1 FROM jobs j WHERE j.workflow_id = x.id AND j.status IN ({_LIVE_SQL})
            )
        ORDER BY x.finished_at
        LIMIT :limit
    ) c
    LIMIT :limit
)
AND w.{WORKFLOW_EXPIRABLE_PREDICATE}
FOR UPDATE OF w SKIP LOCKED
""")


async def expired_workflows(
    session: AsyncSession, now: datetime, default_days: float, limit: int
) -> list[uuid.UUID]:
    rows = await session.execute(
        EXPIRED_WORKFLOWS_PG, {"now": now, "default_days": int(default_days), "limit": limit}
    )
    return [r.id for r in rows]
