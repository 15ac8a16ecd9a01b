"""event retention: how far the outbox was pruned (resume cursors below it resync);
composite indexes for the dependency engine (child edges by status, workflow jobs by status)

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import taskforge.persistence.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_index("ix_jobs_workflow_id")
        batch_op.create_index("idx_jobs_workflow_status", ["workflow_id", "status"])
    with op.batch_alter_table("job_dependencies") as batch_op:
        batch_op.drop_index("ix_job_dependencies_child_job_id")
        batch_op.create_index("idx_job_dependencies_child_status", ["child_job_id", "status"])
    with op.batch_alter_table("outbox_cursor") as batch_op:
        batch_op.add_column(
            sa.Column(
                "pruned_through",
                taskforge.persistence.types.BigId,
                nullable=False,
                server_default="0",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_cursor") as batch_op:
        batch_op.drop_column("pruned_through")
    with op.batch_alter_table("job_dependencies") as batch_op:
        batch_op.drop_index("idx_job_dependencies_child_status")
        batch_op.create_index("ix_job_dependencies_child_job_id", ["child_job_id"])
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_index("idx_jobs_workflow_status")
        batch_op.create_index("ix_jobs_workflow_id", ["workflow_id"])
