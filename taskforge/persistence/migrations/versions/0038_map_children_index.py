"""a map template's children by status, in place of their edges into it

Mapped children no longer get an edge row into their template: the edge is implied by
``jobs.map_parent_id`` and its state read off the child's status. A template's rule is
decided from ``idx_jobs_map_children`` (map_parent_id, status), partial on mapped
children: a probe per status. The edge rows that earlier expansions made are kept; they
agree with the children's statuses and the engine reads both.

Not in batch mode: SQLite would rebuild jobs for an index.

Revision ID: 0038
Revises: 0037
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0038"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAPPED = "map_parent_id IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        "idx_jobs_map_children",
        "jobs",
        ["map_parent_id", "status"],
        postgresql_where=sa.text(MAPPED),
        sqlite_where=sa.text(MAPPED),
    )


def downgrade() -> None:
    op.drop_index("idx_jobs_map_children", table_name="jobs")
