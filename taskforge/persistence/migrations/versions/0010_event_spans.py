"""event spans: one outbox row holds the events of one tenant, topic and type that a
transaction wrote in a row, numbered seq .. seq + span - 1

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch_op:
        batch_op.add_column(sa.Column("span", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    # rows of several events cannot be split back here: refuse rather than lose them
    if op.get_bind().execute(sa.text("SELECT 1 FROM events WHERE span > 1 LIMIT 1")).first():
        raise RuntimeError("events hold spans of several events; prune them first")
    with op.batch_alter_table("events") as batch_op:
        batch_op.drop_column("span")
