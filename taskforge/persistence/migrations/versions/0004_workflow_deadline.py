"""workflow deadline (timeouts) and listing index

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import taskforge.persistence.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "status IN ('RUNNING', 'PAUSED')"


def upgrade() -> None:
    with op.batch_alter_table("workflows") as batch_op:
        batch_op.add_column(
            sa.Column(
                "deadline_at",
                taskforge.persistence.types.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
        batch_op.create_index(
            "idx_workflows_deadline",
            ["deadline_at"],
            postgresql_where=sa.text(LIVE),
            sqlite_where=sa.text(LIVE),
        )
        batch_op.create_index("idx_workflows_org_created", ["organization_id", "created_at", "id"])


def downgrade() -> None:
    with op.batch_alter_table("workflows") as batch_op:
        batch_op.drop_index("idx_workflows_org_created")
        batch_op.drop_index("idx_workflows_deadline")
        batch_op.drop_column("deadline_at")
