"""dynamic fan-out: mapped jobs (map_over) and their templates

``jobs.map_over``: on a job that maps over a list (its template), the list's reference
(``parents.extract.output.rows`` or ``input.items``); ``jobs.map_count``: how many
children it made when it expanded (NULL until then: its next release expands it, the
one after that ends it). ``jobs.map_parent_id`` and ``jobs.map_index``: on each mapped
child, its template and its item's position. ``workflows.map_templates``: how many of a
run's jobs map over a list (fixed at creation), so that the release of other runs' jobs
reads nothing more. Nullable columns and one with a constant default: no table rewrite
on either database; no index (a template's children are read through their edges).

Revision ID: 0033
Revises: 0030
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # not in batch mode: SQLite would rebuild the tables (and the jobs triggers)
    op.add_column("jobs", sa.Column("map_over", sa.Text(), nullable=True))
    op.add_column("jobs", sa.Column("map_count", sa.Integer(), nullable=True))
    op.add_column("jobs", sa.Column("map_parent_id", sa.Uuid(), nullable=True))
    op.add_column("jobs", sa.Column("map_index", sa.Integer(), nullable=True))
    op.add_column(
        "workflows",
        sa.Column("map_templates", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )


def downgrade() -> None:
    # SQLite (3.35+) drops a column in place, keeping the jobs triggers
    op.drop_column("workflows", "map_templates")
    for column in ("map_index", "map_parent_id", "map_count", "map_over"):
        op.drop_column("jobs", column)
