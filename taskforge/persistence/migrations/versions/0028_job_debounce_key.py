"""jobs.debounce_key: the key value of a debounced job, and its waiting jobs' index

A job enqueued with ``debounce: {key, period}`` keeps the value of its key expression;
the next enqueue of that value into its queue cancels it while it waits (PENDING or
SCHEDULED), found by ``idx_jobs_debounce``. NULL for every other job, which then
writes no index entry.

Revision ID: 0028
Revises: 0026
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = "debounce_key IS NOT NULL AND status IN ('PENDING', 'SCHEDULED')"


def upgrade() -> None:
    # a nullable column without a default: no table rewrite on either database; not in
    # batch mode: SQLite would rebuild the table (and its triggers) for a column
    op.add_column("jobs", sa.Column("debounce_key", sa.Text(), nullable=True))
    op.create_index(
        "idx_jobs_debounce",
        "jobs",
        ["queue_id", "debounce_key"],
        postgresql_where=sa.text(WAITING),
        sqlite_where=sa.text(WAITING),
    )


def downgrade() -> None:
    op.drop_index("idx_jobs_debounce", table_name="jobs")
    # SQLite (3.35+) drops a column in place, keeping the jobs triggers
    op.drop_column("jobs", "debounce_key")
