"""event stream id: names the broker channel of this database's events, so deployments
sharing one Redis never take each other's sequence numbers for their own

Revision ID: 0007
Revises: 0006
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_cursor") as batch_op:
        batch_op.add_column(sa.Column("stream_id", sa.String(length=36), nullable=True))
    # made here, once per database: every process that migrates or starts later reads it
    op.execute(f"UPDATE outbox_cursor SET stream_id = '{uuid.uuid4()}' WHERE id = 1")


def downgrade() -> None:
    with op.batch_alter_table("outbox_cursor") as batch_op:
        batch_op.drop_column("stream_id")
