"""backfills fire per schedule: each schedule's next backfilled run, and its queue

``scheduled_jobs.backfill_next_at``: when the schedule's next waiting backfilled
occurrence may fire (NULL: none waits, or the schedule is paused), spaced from its last
backfilled fire and moved to the next rate window when the rate limit holds it back.
The engine walks the schedules whose time has come (a partial index), not the waiting
occurrences of every schedule, and takes each one's first few from its own queue
(``idx_schedule_fires_waiting``, per schedule, replacing the index over all of them).
Schedules with occurrences waiting start at their first one's due time (paused ones on
resume).

Revision ID: 0035
Revises: 0036
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import taskforge.persistence.types

revision: str = "0035"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = taskforge.persistence.types.UTCDateTime(timezone=True)
NEXT = "backfill_next_at IS NOT NULL"
WAITING = "backfill_due_at IS NOT NULL"


def upgrade() -> None:
    op.add_column("scheduled_jobs", sa.Column("backfill_next_at", UTC, nullable=True))
    op.create_index(
        "idx_scheduled_jobs_backfill",
        "scheduled_jobs",
        ["backfill_next_at"],
        postgresql_where=sa.text(NEXT),
        sqlite_where=sa.text(NEXT),
    )
    op.drop_index("idx_schedule_fires_backfill", table_name="schedule_fires")
    op.create_index(
        "idx_schedule_fires_waiting",
        "schedule_fires",
        ["schedule_id", "backfill_due_at"],
        postgresql_where=sa.text(WAITING),
        sqlite_where=sa.text(WAITING),
    )
    op.execute(
        "UPDATE scheduled_jobs SET backfill_next_at = (SELECT min(f.backfill_due_at) "
        "FROM schedule_fires f WHERE f.schedule_id = scheduled_jobs.id "
        f"AND f.{WAITING}) "
        "WHERE status IN ('ACTIVE', 'COMPLETED') AND deleted_at IS NULL"
    )


def downgrade() -> None:
    op.drop_index("idx_schedule_fires_waiting", table_name="schedule_fires")
    op.create_index(
        "idx_schedule_fires_backfill",
        "schedule_fires",
        ["backfill_due_at"],
        postgresql_where=sa.text(WAITING),
        sqlite_where=sa.text(WAITING),
    )
    op.drop_index("idx_scheduled_jobs_backfill", table_name="scheduled_jobs")
    op.drop_column("scheduled_jobs", "backfill_next_at")
