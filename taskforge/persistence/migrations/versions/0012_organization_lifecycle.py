"""organizations: suspension and deletion marks; subscriptions: the period anchor

``organizations.suspended_at`` and ``deleted_at`` (nullable: a row without them is
active, so the previous release reads and writes as before); ``subscriptions.period_anchor``,
the instant the subscription's periods count from (each period ends a whole number of
months after it). Rows of the previous release have none: their period is set lazily,
keeping the usage of the running calendar month.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from taskforge.persistence.types import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(sa.Column("suspended_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("period_anchor", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("period_anchor")
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("deleted_at")
        batch.drop_column("suspended_at")
