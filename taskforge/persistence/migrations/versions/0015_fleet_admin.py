"""queue pause and retention, retention indexes

A queue can be paused (``paused_at``: the claim reads it in the statement that finds
the worker's queues) and can keep its finished jobs for its own number of days
(``retention_days``; NULL: the deployment's ``TASKFORGE_JOB_RETENTION_DAYS``).

Retention walks each queue's finished jobs oldest first (``idx_jobs_finished``,
partial: the claim path's rows are never in it, nor workflow jobs, which their workflow
keeps). Deleting a job sets its schedule
fires' ``job_id`` to NULL, which looks the fires up by job (``ix_schedule_fires_job_id``;
without it every deleted job scanned the fires).

Revision ID: 0015
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import taskforge.persistence.types

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXPIRABLE = "status IN ('CANCELLED', 'FAILED', 'SKIPPED', 'SUCCEEDED') AND workflow_id IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("job_queues") as batch_op:
        batch_op.add_column(
            sa.Column(
                "paused_at",
                taskforge.persistence.types.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("retention_days", sa.Integer(), nullable=True))
    op.create_index(
        "idx_jobs_finished",
        "jobs",
        ["queue_id", "finished_at"],
        postgresql_where=sa.text(EXPIRABLE),
        sqlite_where=sa.text(EXPIRABLE),
    )
    op.create_index("ix_schedule_fires_job_id", "schedule_fires", ["job_id"])


def downgrade() -> None:
    op.drop_index("ix_schedule_fires_job_id", table_name="schedule_fires")
    op.drop_index("idx_jobs_finished", table_name="jobs")
    with op.batch_alter_table("job_queues") as batch_op:
        batch_op.drop_column("retention_days")
        batch_op.drop_column("paused_at")
