"""the workflow index holds workflow jobs only

``idx_jobs_workflow_status`` serves ``workflow_id = ...`` (a workflow's jobs, "has it a
live job") and nothing else, yet every job outside a workflow wrote an entry to it on
each status change (a claim's and an acknowledgement's updates are never HOT: status
is indexed), two of the ten index entries a job wrote on its way through. Partial on
``workflow_id IS NOT NULL``, which every such condition implies (a strict comparison),
it gets no entry for them.

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IN_WORKFLOW = "workflow_id IS NOT NULL"


def upgrade() -> None:
    # not in batch mode: SQLite would not rebuild jobs for an index
    op.drop_index("idx_jobs_workflow_status", table_name="jobs")
    op.create_index(
        "idx_jobs_workflow_status",
        "jobs",
        ["workflow_id", "status"],
        postgresql_where=sa.text(IN_WORKFLOW),
        sqlite_where=sa.text(IN_WORKFLOW),
    )


def downgrade() -> None:
    op.drop_index("idx_jobs_workflow_status", table_name="jobs")
    op.create_index("idx_jobs_workflow_status", "jobs", ["workflow_id", "status"])
