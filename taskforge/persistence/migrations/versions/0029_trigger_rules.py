"""trigger rules: when a job with incoming edges may run

``jobs.trigger_rule``: ALL_SUCCESS (the behaviour so far, and the default of every
existing row), ALL_DONE, ALL_FAILED, ONE_SUCCESS, ONE_FAILED, NONE_FAILED or
NONE_SKIPPED. The resolution engine reads it with the rows it already reads; no index.

Revision ID: 0029
Revises: 0027
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a constant default: no table rewrite on either database (not in batch mode)
    op.add_column(
        "jobs",
        sa.Column("trigger_rule", sa.String(32), nullable=False, server_default="ALL_SUCCESS"),
    )


def downgrade() -> None:
    # not in batch mode: SQLite (3.35+) drops a column in place, keeping the jobs triggers
    op.drop_column("jobs", "trigger_rule")
