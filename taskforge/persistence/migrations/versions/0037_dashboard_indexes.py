"""a queue's outcomes by time (Queue.stats); queue and workflow listings by index

``idx_jobs_outcomes`` (queue_id, status, finished_at), partial on SUCCEEDED and FAILED:
the jobs of a queue that ended so in the last hour, and per minute, are counted by
bounded range probes of it. ``idx_jobs_finished`` cannot serve them: it leaves out
workflow jobs (their workflow keeps them, retention walks the others). A job writes its
entry when it ends; the claim path's rows are never in it.

``idx_jobs_processing`` (a tenant's running jobs) gets the queue as a second column:
a queue's running jobs are then one probe of it. On the tenant alone, PostgreSQL
planned that probe as a BitmapAnd with every index entry of the queue (27,000 a queue
among 100,000 jobs, 31 ms for five queues instead of 3). Still partial: an attempt
writes it once.

``jobs(queueId)`` and ``jobs(workflowId)`` page newest first. Through the tenant's
(organization_id, created_at, id) index, with the queue or workflow as a filter, a page
of a queue or workflow whose jobs are older than the rest of the tenant's read every
newer job first, a cost growing with the table (EXPLAIN ANALYZE on PostgreSQL with
100,000 newer jobs: 100,200 rows filtered out, 22 ms, for a 5,000-job workflow of
three days ago; 105,200 rows, 18 ms, for a queue whose 30,000 jobs are four days old).
``idx_jobs_queue_created`` (queue_id, created_at, id) replaces the index on queue_id
alone, which every lookup by queue finds in it too: a job writes as many index entries
as before. ``idx_jobs_workflow_created`` (workflow_id, created_at, id) is partial like
``idx_jobs_workflow_status``: jobs outside workflows write nothing to it. Both pages
are then a walk of their own rows (0.1-0.2 ms). The listing with no filter or a status
filter stays the walk of the tenant's index.

Not in batch mode: SQLite would rebuild jobs for an index.

Revision ID: 0037
Revises: 0035
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0037"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTCOMES = "status IN ('FAILED', 'SUCCEEDED')"
PROCESSING = "status = 'PROCESSING'"
IN_WORKFLOW = "workflow_id IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        "idx_jobs_outcomes",
        "jobs",
        ["queue_id", "status", "finished_at"],
        postgresql_where=sa.text(OUTCOMES),
        sqlite_where=sa.text(OUTCOMES),
    )
    op.drop_index("idx_jobs_processing", table_name="jobs")
    op.create_index(
        "idx_jobs_processing",
        "jobs",
        ["organization_id", "queue_id"],
        postgresql_where=sa.text(PROCESSING),
        sqlite_where=sa.text(PROCESSING),
    )
    op.create_index("idx_jobs_queue_created", "jobs", ["queue_id", "created_at", "id"])
    op.drop_index("ix_jobs_queue_id", table_name="jobs")
    op.create_index(
        "idx_jobs_workflow_created",
        "jobs",
        ["workflow_id", "created_at", "id"],
        postgresql_where=sa.text(IN_WORKFLOW),
        sqlite_where=sa.text(IN_WORKFLOW),
    )


def downgrade() -> None:
    op.drop_index("idx_jobs_workflow_created", table_name="jobs")
    op.create_index("ix_jobs_queue_id", "jobs", ["queue_id"])
    op.drop_index("idx_jobs_queue_created", table_name="jobs")
    op.drop_index("idx_jobs_processing", table_name="jobs")
    op.create_index(
        "idx_jobs_processing",
        "jobs",
        ["organization_id"],
        postgresql_where=sa.text(PROCESSING),
        sqlite_where=sa.text(PROCESSING),
    )
    op.drop_index("idx_jobs_outcomes", table_name="jobs")
