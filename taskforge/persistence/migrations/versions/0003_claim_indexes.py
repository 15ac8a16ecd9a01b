"""partial indexes for claims: ready jobs in claim order, due scheduled jobs

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READY = "status = 'PENDING' AND dependency_status IN ('NONE', 'SATISFIED')"
DUE = "status = 'SCHEDULED'"


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_index("idx_jobs_claim")
        batch_op.create_index(
            "idx_jobs_ready",
            ["queue_id", sa.text("priority DESC"), "created_at"],
            postgresql_where=sa.text(READY),
            sqlite_where=sa.text(READY),
        )
        batch_op.create_index(
            "idx_jobs_due",
            ["queue_id", "scheduled_for"],
            postgresql_where=sa.text(DUE),
            sqlite_where=sa.text(DUE),
        )


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_index("idx_jobs_due")
        batch_op.drop_index("idx_jobs_ready")
        batch_op.create_index(
            "idx_jobs_claim", ["queue_id", "status", "priority", "created_at"], unique=False
        )
