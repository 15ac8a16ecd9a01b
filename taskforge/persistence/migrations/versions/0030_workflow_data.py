"""data between workflow steps: the run's input and payload references

``workflows.input``: the run's input (NULL: none given); ``workflows.input_schema``: the
definition's JSON Schema for it; ``workflows.payload_refs``: whether any of its jobs'
payloads has references, so that the release of other workflows' jobs reads nothing
more. ``jobs.payload_template``: a workflow job's payload with its references, resolved
into ``payload`` when the job becomes ready (NULL for every other job).

Revision ID: 0030
Revises: 0031
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0030"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def upgrade() -> None:
    # nullable columns, or a constant default: no table rewrite on either database; not
    # in batch mode: SQLite would rebuild the tables (and the jobs triggers)
    op.add_column("workflows", sa.Column("input", _json(), nullable=True))
    op.add_column("workflows", sa.Column("input_schema", _json(), nullable=True))
    op.add_column(
        "workflows",
        sa.Column("payload_refs", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("jobs", sa.Column("payload_template", _json(), nullable=True))


def downgrade() -> None:
    # SQLite (3.35+) drops a column in place, keeping the jobs triggers
    op.drop_column("jobs", "payload_template")
    op.drop_column("workflows", "payload_refs")
    op.drop_column("workflows", "input_schema")
    op.drop_column("workflows", "input")
