"""scheduler: schedule fields, fired occurrences (the double-fire guard), rate windows

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import taskforge.persistence.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = taskforge.persistence.types.UTCDateTime(timezone=True)
JSON = taskforge.persistence.types.PortableJSON


def upgrade() -> None:
    with op.batch_alter_table("scheduled_jobs") as batch_op:
        batch_op.add_column(sa.Column("max_attempts", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("anchor_at", UTC, nullable=True))
        batch_op.add_column(sa.Column("rate_limit_per_minute", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("pending_fire_at", UTC, nullable=True))
        batch_op.add_column(
            sa.Column("deferrals", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("last_deferred_at", UTC, nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("metadata", JSON, nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("created_by", sa.String(length=100), nullable=True))
        batch_op.alter_column(
            "misfire_policy",
            existing_type=sa.String(length=32),
            type_=sa.Enum(
                "SKIP",
                "FIRE_ONCE",
                "FIRE_ALL",
                name="misfirepolicy",
                native_enum=False,
                length=32,
            ),
            existing_nullable=False,
        )
    op.create_table(
        "schedule_fires",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("schedule_id", sa.Uuid(), nullable=False),
        sa.Column("fire_at", UTC, nullable=False),
        sa.Column("fired_at", UTC, nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("workflow_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["schedule_id"], ["scheduled_jobs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["workflow_id"], ["workflows.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("schedule_id", "fire_at"),
    )
    with op.batch_alter_table("schedule_fires") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_schedule_fires_organization_id"), ["organization_id"], unique=False
        )
    op.create_table(
        "rate_windows",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("job_type", sa.String(length=200), nullable=False),
        sa.Column("window_start", UTC, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("organization_id", "job_type", "window_start"),
    )


def downgrade() -> None:
    op.drop_table("rate_windows")
    with op.batch_alter_table("schedule_fires") as batch_op:
        batch_op.drop_index(batch_op.f("ix_schedule_fires_organization_id"))
    op.drop_table("schedule_fires")
    with op.batch_alter_table("scheduled_jobs") as batch_op:
        batch_op.alter_column(
            "misfire_policy",
            existing_type=sa.Enum(name="misfirepolicy", native_enum=False, length=32),
            type_=sa.String(length=32),
            existing_nullable=False,
        )
        for column in (
            "created_by",
            "metadata",
            "last_error",
            "last_deferred_at",
            "deferrals",
            "pending_fire_at",
            "rate_limit_per_minute",
            "anchor_at",
            "max_attempts",
        ):
            batch_op.drop_column(column)
