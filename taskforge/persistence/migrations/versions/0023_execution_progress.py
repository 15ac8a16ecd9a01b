"""an execution's progress, its message, and a failed attempt's traceback

``progress`` (0..1) and ``progress_message`` are what the handler last reported while it
runs (``ctx.progress``, ``reportProgress``), ``progress_event_at`` when a report last
wrote a jobStatusChanged event (they are throttled); ``traceback`` is the tail of the
handler's traceback beside ``error`` when an attempt fails. All nullable: no rewrite of
the table.

Revision ID: 0023
Revises: 0022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import taskforge.persistence.types

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# not in batch mode: SQLite adds and drops columns in place, and a rebuilt table would
# lose the triggers of migration 0019
def upgrade() -> None:
    op.add_column("job_executions", sa.Column("progress", sa.Float(), nullable=True))
    op.add_column("job_executions", sa.Column("progress_message", sa.Text(), nullable=True))
    op.add_column(
        "job_executions",
        sa.Column(
            "progress_event_at",
            taskforge.persistence.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
    )
    op.add_column("job_executions", sa.Column("traceback", sa.Text(), nullable=True))


def downgrade() -> None:
    for column in ("traceback", "progress_event_at", "progress_message", "progress"):
        op.drop_column("job_executions", column)
