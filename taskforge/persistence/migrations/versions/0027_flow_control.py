"""flow control: concurrency keys, rate limits and round-robin claim order

``job_queues.flow_control``: set once a queue has seen a flow rule; only such queues'
claims take the flow path. Per job: its concurrency key value and max, its rate-limit
key value, limit and period, and ``fair_seq``, its round-robin position among its
queue's concurrency keys (0 elsewhere). The ready indexes gain ``fair_seq`` between
priority and age (claim order: priority, round robin, age; in a queue without flow rules
every job has 0, so the order stays priority then age). Two partial indexes hold only
keyed rows (running ones; live ones), and ``rate_limit_starts`` records the starts a
rate limit counts.

Revision ID: 0027
Revises: 0028
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import taskforge.persistence.types

revision: str = "0027"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = taskforge.persistence.types.UTCDateTime(timezone=True)
READY = "status = 'PENDING' AND dependency_status IN ('NONE', 'SATISFIED')"
RUNNING_KEYED = "(status || '') = 'PROCESSING' AND concurrency_key IS NOT NULL"
LIVE_KEYED = "status IN ('PENDING', 'PROCESSING', 'SCHEDULED') AND concurrency_key IS NOT NULL"


def _ready_indexes(with_fair_seq: bool) -> None:
    order = ["fair_seq"] if with_fair_seq else []
    op.create_index(
        "idx_jobs_ready",
        "jobs",
        ["queue_id", sa.text("priority DESC"), *order, "created_at"],
        postgresql_where=sa.text(READY),
        sqlite_where=sa.text(READY),
    )
    op.create_index(
        "idx_jobs_ready_typed",
        "jobs",
        ["queue_id", "job_type", sa.text("priority DESC"), *order, "created_at"],
        postgresql_where=sa.text(READY),
        sqlite_where=sa.text(READY),
    )


def upgrade() -> None:
    # not in batch mode (SQLite would rebuild the tables); columns with a constant
    # default or none: no table rewrite on either database
    op.add_column(
        "job_queues",
        sa.Column("flow_control", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("jobs", sa.Column("concurrency_key", sa.String(255), nullable=True))
    op.add_column("jobs", sa.Column("concurrency_max", sa.Integer(), nullable=True))
    op.add_column("jobs", sa.Column("rate_key", sa.String(255), nullable=True))
    op.add_column("jobs", sa.Column("rate_limit", sa.Integer(), nullable=True))
    op.add_column("jobs", sa.Column("rate_period", sa.Integer(), nullable=True))
    op.add_column(
        "jobs",
        sa.Column("fair_seq", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
    )
    # the ready indexes hold only claimable rows: rebuilding them reads the backlog
    op.drop_index("idx_jobs_ready_typed", table_name="jobs")
    op.drop_index("idx_jobs_ready", table_name="jobs")
    _ready_indexes(with_fair_seq=True)
    op.create_index(
        "idx_jobs_concurrency_running",
        "jobs",
        ["queue_id", "concurrency_key"],
        postgresql_where=sa.text(RUNNING_KEYED),
        sqlite_where=sa.text(RUNNING_KEYED),
    )
    op.create_index(
        "idx_jobs_concurrency_live",
        "jobs",
        ["queue_id", "concurrency_key", "fair_seq"],
        postgresql_where=sa.text(LIVE_KEYED),
        sqlite_where=sa.text(LIVE_KEYED),
    )
    op.create_table(
        "rate_limit_starts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("queue_id", sa.Uuid(), nullable=False),
        sa.Column("rate_key", sa.String(255), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "idx_rate_limit_starts_key", "rate_limit_starts", ["queue_id", "rate_key", "started_at"]
    )
    op.create_index("idx_rate_limit_starts_expires", "rate_limit_starts", ["expires_at"])


def downgrade() -> None:
    op.drop_table("rate_limit_starts")
    op.drop_index("idx_jobs_concurrency_live", table_name="jobs")
    op.drop_index("idx_jobs_concurrency_running", table_name="jobs")
    op.drop_index("idx_jobs_ready_typed", table_name="jobs")
    op.drop_index("idx_jobs_ready", table_name="jobs")
    _ready_indexes(with_fair_seq=False)
    # not in batch mode: SQLite (3.35+) drops a column in place, keeping the jobs triggers
    for column in (
        "fair_seq",
        "rate_period",
        "rate_limit",
        "rate_key",
        "concurrency_max",
        "concurrency_key",
    ):
        op.drop_column("jobs", column)
    op.drop_column("job_queues", "flow_control")
