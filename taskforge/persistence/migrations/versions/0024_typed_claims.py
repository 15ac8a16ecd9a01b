"""handler-aware claims: ready jobs by queue and type; the types a worker runs

A worker claims only the job types it has handlers for. ``idx_jobs_ready_typed`` holds
the same claimable rows as ``idx_jobs_ready``, keyed by queue then job type then claim
order, so a typed claim walks its types' rows in order and never reads the rows of
other types (a queue full of them is not scanned on every claim). The untyped claim
keeps ``idx_jobs_ready``.

``workers.job_types``: the types a worker advertised when it registered or said hello
(NULL: it runs any type), read by ``Job.waitingForHandler``.

Revision ID: 0024
Revises: 0023
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READY = "status = 'PENDING' AND dependency_status IN ('NONE', 'SATISFIED')"


def upgrade() -> None:
    # not in batch mode: SQLite would rebuild the tables for an index and a column
    op.create_index(
        "idx_jobs_ready_typed",
        "jobs",
        ["queue_id", "job_type", sa.text("priority DESC"), "created_at"],
        postgresql_where=sa.text(READY),
        sqlite_where=sa.text(READY),
    )
    op.add_column(
        "workers",
        sa.Column(
            "job_types",
            sa.JSON(none_as_null=True).with_variant(
                postgresql.JSONB(none_as_null=True), "postgresql"
            ),
            nullable=True,
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("workers") as batch_op:
        batch_op.drop_column("job_types")
    op.drop_index("idx_jobs_ready_typed", table_name="jobs")
