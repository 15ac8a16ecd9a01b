"""schedule policies: overlap, jitter, pause after failures, backfill

``scheduled_jobs`` gains its policies (overlap_policy, jitter_seconds,
pause_after_failures) and what they keep: the last run the timetable fired
(last_job_id / last_workflow_id: is it live?), the occurrence BUFFER_ONE holds
(buffered_fire_at, with a partial index the engine walks each tick), the occurrences
skipped, the failures in a row and why the schedule paused itself, the timetable's next
occurrence beside its jittered fire time (next_occurrence_at; NULL on older rows: the
same as next_run_at), and where the last backfill ends. ``schedule_fires`` rows of a
backfill wait with ``backfill_due_at`` (partial index) until the engine fires them.
``jobs.schedule_id`` and ``workflows.schedule_id`` name the schedule that created a run,
so that its end reaches the schedule without a query per job.

Existing schedules keep ALLOW_ALL (what they did so far); new workflow schedules
default to SKIP.

Revision ID: 0031
Revises: 0032
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import taskforge.persistence.types

revision: str = "0031"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = taskforge.persistence.types.UTCDateTime(timezone=True)
BUFFERED = "buffered_fire_at IS NOT NULL"
BACKFILL = "backfill_due_at IS NOT NULL"
ZERO = sa.text("0")


def upgrade() -> None:
    # not in batch mode (SQLite would rebuild the tables and the jobs triggers); columns
    # with a constant default or none: no table rewrite on either database
    op.add_column("jobs", sa.Column("schedule_id", sa.Uuid(), nullable=True))
    op.add_column("workflows", sa.Column("schedule_id", sa.Uuid(), nullable=True))
    for column in (
        sa.Column("next_occurrence_at", UTC, nullable=True),
        sa.Column("jitter_seconds", sa.Integer(), nullable=False, server_default=ZERO),
        sa.Column("overlap_policy", sa.String(32), nullable=False, server_default="ALLOW_ALL"),
        sa.Column("last_job_id", sa.Uuid(), nullable=True),
        sa.Column("last_workflow_id", sa.Uuid(), nullable=True),
        sa.Column("buffered_fire_at", UTC, nullable=True),
        sa.Column("skipped_count", sa.Integer(), nullable=False, server_default=ZERO),
        sa.Column("pause_after_failures", sa.Integer(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False, server_default=ZERO),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        sa.Column("backfill_until", UTC, nullable=True),
    ):
        op.add_column("scheduled_jobs", column)
    op.create_index(
        "idx_scheduled_jobs_buffered",
        "scheduled_jobs",
        ["buffered_fire_at"],
        postgresql_where=sa.text(BUFFERED),
        sqlite_where=sa.text(BUFFERED),
    )
    op.add_column("schedule_fires", sa.Column("backfill_due_at", UTC, nullable=True))
    op.create_index(
        "idx_schedule_fires_backfill",
        "schedule_fires",
        ["backfill_due_at"],
        postgresql_where=sa.text(BACKFILL),
        sqlite_where=sa.text(BACKFILL),
    )


def downgrade() -> None:
    op.drop_index("idx_schedule_fires_backfill", table_name="schedule_fires")
    op.drop_column("schedule_fires", "backfill_due_at")
    op.drop_index("idx_scheduled_jobs_buffered", table_name="scheduled_jobs")
    for column in (
        "backfill_until",
        "paused_reason",
        "consecutive_failures",
        "pause_after_failures",
        "skipped_count",
        "buffered_fire_at",
        "last_workflow_id",
        "last_job_id",
        "overlap_policy",
        "jitter_seconds",
        "next_occurrence_at",
    ):
        op.drop_column("scheduled_jobs", column)
    # SQLite (3.35+) drops a column in place, keeping the jobs triggers
    op.drop_column("workflows", "schedule_id")
    op.drop_column("jobs", "schedule_id")
