"""lean hot-path indexes: a job's claim and completion update fewer index entries

Every claim and every completion changes a job's and an execution's status, and a
status change writes a new entry into every index of the row. Dropped: the jobs index
on created_at alone and the one on (status, scheduled_for, priority), which no query
of a tenant uses (listings go by idx_jobs_org_created). The orphan check's "PROCESSING
jobs of a tenant" and "live executions" (a worker's, whose leases a heartbeat extends,
and all, which the reaper reads) become partial indexes, written once per attempt
instead of on each change. The executions' foreign key to
organizations goes: an execution belongs to its job (which cascades), and the key's
check took a share lock on the tenant's row in every claim.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROCESSING = "status = 'PROCESSING'"
STARTED = "status = 'STARTED'"
# SQLite's foreign keys have no names: batch mode names the reflected ones by this
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s"}


def _org_fk() -> str:
    if op.get_bind().dialect.name == "postgresql":
        return "job_executions_organization_id_fkey"
    return "fk_job_executions_organization_id"


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_index("ix_jobs_created_at")
        batch_op.drop_index("idx_jobs_status_scheduled_priority")
        batch_op.create_index(
            "idx_jobs_processing",
            ["organization_id"],
            postgresql_where=sa.text(PROCESSING),
            sqlite_where=sa.text(PROCESSING),
        )
    with op.batch_alter_table("job_executions", naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint(_org_fk(), type_="foreignkey")
        batch_op.drop_index("idx_job_executions_lease")
        batch_op.create_index(
            "idx_job_executions_live",
            ["worker_id", "lease_expires_at"],
            postgresql_where=sa.text(STARTED),
            sqlite_where=sa.text(STARTED),
        )


def downgrade() -> None:
    with op.batch_alter_table("job_executions", naming_convention=NAMING) as batch_op:
        batch_op.drop_index("idx_job_executions_live")
        batch_op.create_index("idx_job_executions_lease", ["status", "lease_expires_at"])
        batch_op.create_foreign_key(
            _org_fk(), "organizations", ["organization_id"], ["id"], ondelete="CASCADE"
        )
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_index("idx_jobs_processing")
        batch_op.create_index(
            "idx_jobs_status_scheduled_priority", ["status", "scheduled_for", "priority"]
        )
        batch_op.create_index("ix_jobs_created_at", ["created_at"])
