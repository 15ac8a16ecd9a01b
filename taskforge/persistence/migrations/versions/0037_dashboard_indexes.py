"""a queue's outcomes by time (Queue.stats); queue and finished-time listings by index

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

``jobs(queueId)`` pages newest first. Through the tenant's (organization_id,
created_at, id) index, with the queue as a filter, a page of a queue whose jobs are
older than the rest of the tenant's read every newer job first, a cost growing with the
table (EXPLAIN ANALYZE on PostgreSQL: 105,200 rows filtered out, 18 ms, for a queue
whose 30,000 jobs are four days older than 100,000 others). ``idx_jobs_queue_created``
(queue_id, created_at, id) replaces the index on queue_id alone, which every lookup by
queue finds in it too: a job writes as many index entries as before, but larger ones,
and B-tree deduplication, which kept the old index small (a few distinct queues), has
nothing to merge in these keys: with 141,000 jobs in 5 queues it takes 8.0 MB where the
index on queue_id took 1.0 MB. Without the id (5.5 MB) a page sorts the ties of
created_at by id (an incremental sort), and for that sort the planner walked the
tenant's index instead after a cursor, past the tenant's newer jobs. A queue's page is a
walk of its own rows (0.1-0.2 ms). ``jobs(workflowId)`` reads the workflow's jobs through
``idx_jobs_workflow_status`` (``workflow_id = $1`` implies its predicate) and sorts them:
a workflow holds at most ``TASKFORGE_LIMIT_WORKFLOW_JOBS`` jobs (a top-N sort of 5,000
in 2 ms), and an index of its own in created order would take an entry on every write
of a workflow job that changes an indexed column.

``idx_jobs_org_finished`` (organization_id, finished_at, id), partial on finished_at IS
NOT NULL: ``jobs(finishedAfter/finishedBefore)`` lists the tenant's jobs newest-finished
first along it, a walk of the range asked for instead of every job the tenant has. A job
writes its entry when it ends.

The listing with no filter, a status or a type filter stays the walk of the tenant's
created index.

Order (PostgreSQL): every new index is built first, under a temporary name where it
replaces one, and the old ones are dropped last, then the new ones renamed. CREATE INDEX
takes a SHARE lock on jobs (writes wait, reads go on) but DROP INDEX takes an ACCESS
EXCLUSIVE one, which the migration's transaction holds until it commits: dropped first,
every read of jobs would wait for all the builds. CONCURRENTLY, which would not block
writes either, cannot run inside the migration's transaction. SQLite has no ALTER INDEX
RENAME and locks the whole database while it migrates anyway: there the replaced index
is dropped and built again under its name.

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
FINISHED = "finished_at IS NOT NULL"
# idx_jobs_processing's replacement while the old one still exists (PostgreSQL)
PROCESSING_NEW = "idx_jobs_processing_0037"


def _processing(name: str, columns: list[str]) -> None:
    op.create_index(
        name,
        "jobs",
        columns,
        postgresql_where=sa.text(PROCESSING),
        sqlite_where=sa.text(PROCESSING),
    )


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_index(
        "idx_jobs_outcomes",
        "jobs",
        ["queue_id", "status", "finished_at"],
        postgresql_where=sa.text(OUTCOMES),
        sqlite_where=sa.text(OUTCOMES),
    )
    op.create_index("idx_jobs_queue_created", "jobs", ["queue_id", "created_at", "id"])
    op.create_index(
        "idx_jobs_org_finished",
        "jobs",
        ["organization_id", "finished_at", "id"],
        postgresql_where=sa.text(FINISHED),
        sqlite_where=sa.text(FINISHED),
    )
    if postgres:
        _processing(PROCESSING_NEW, ["organization_id", "queue_id"])
    # the drops last: each holds an ACCESS EXCLUSIVE lock on jobs until the commit
    op.drop_index("ix_jobs_queue_id", table_name="jobs")
    op.drop_index("idx_jobs_processing", table_name="jobs")
    if postgres:
        op.execute(f"ALTER INDEX {PROCESSING_NEW} RENAME TO idx_jobs_processing")
    else:
        _processing("idx_jobs_processing", ["organization_id", "queue_id"])


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_index("ix_jobs_queue_id", "jobs", ["queue_id"])
    if postgres:
        _processing(PROCESSING_NEW, ["organization_id"])
    op.drop_index("idx_jobs_org_finished", table_name="jobs")
    op.drop_index("idx_jobs_queue_created", table_name="jobs")
    op.drop_index("idx_jobs_outcomes", table_name="jobs")
    op.drop_index("idx_jobs_processing", table_name="jobs")
    if postgres:
        op.execute(f"ALTER INDEX {PROCESSING_NEW} RENAME TO idx_jobs_processing")
    else:
        _processing("idx_jobs_processing", ["organization_id"])
