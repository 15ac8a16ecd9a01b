"""jobs.trace_context: the W3C traceparent of the request that created the job

With tracing on (taskforge[otel], TASKFORGE_TRACING), a job keeps the trace context of
the span that enqueued it (a workflow's job: its step span), and a claim hands it to
the worker, whose attempt spans continue that trace. NULL without tracing.

Revision ID: 0022
Revises: 0021
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a nullable column without a default: no table rewrite on either database
    op.add_column("jobs", sa.Column("trace_context", sa.String(256), nullable=True))


def downgrade() -> None:
    # not in batch mode: SQLite (3.35+) drops a column in place, keeping the jobs triggers
    op.drop_column("jobs", "trace_context")
