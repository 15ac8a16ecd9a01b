"""workflow retention: frozen counts, the time the last job went, and the index that
finds ended workflows whose jobs are still kept

Retention deletes an ended workflow's jobs in batches; before the first, it freezes the
jobs' counts per status on the workflow (``retained_counts``), which every read of its
counts answers from from then on; ``pruned_at`` is set once the last job has gone.
``idx_workflows_expirable`` (partial: ended, not yet pruned) gives each project's
candidates oldest first, so the engine never scans every workflow.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import taskforge.persistence.types

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXPIRABLE = "status IN ('CANCELLED', 'FAILED', 'SUCCEEDED') AND pruned_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("workflows") as batch_op:
        batch_op.add_column(
            sa.Column(
                "retained_counts",
                sa.JSON(none_as_null=True).with_variant(
                    postgresql.JSONB(none_as_null=True), "postgresql"
                ),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "pruned_at",
                taskforge.persistence.types.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
    op.create_index(
        "idx_workflows_expirable",
        "workflows",
        ["project_id", "finished_at"],
        postgresql_where=sa.text(EXPIRABLE),
        sqlite_where=sa.text(EXPIRABLE),
    )


def downgrade() -> None:
    op.drop_index("idx_workflows_expirable", table_name="workflows")
    with op.batch_alter_table("workflows") as batch_op:
        batch_op.drop_column("pruned_at")
        batch_op.drop_column("retained_counts")
