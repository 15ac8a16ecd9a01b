"""a workflow schedule's run input

``scheduled_jobs.input``: the input each run of a workflow schedule starts with (NULL:
none), checked against the definition's input_schema when the schedule is saved and
again at each occurrence.

Revision ID: 0036
Revises: 0033
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0036"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def upgrade() -> None:
    # nullable: no table rewrite on either database; not in batch mode (SQLite would
    # rebuild the table)
    op.add_column("scheduled_jobs", sa.Column("input", _json(), nullable=True))


def downgrade() -> None:
    op.drop_column("scheduled_jobs", "input")
