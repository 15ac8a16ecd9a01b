"""workflow job counts: on PostgreSQL, statement triggers on jobs record each change to a
workflow's job count per status, so the workflow state attached to every job event sums
a few rows instead of counting all of the workflow's jobs

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import taskforge.persistence.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One function for the three triggers (transition tables allow one event per trigger).
# An UPDATE counts only rows whose status or workflow changed; zero sums are not kept.
FUNCTION = """
CREATE FUNCTION taskforge_workflow_job_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO workflow_job_counts (workflow_id, status, delta)
        SELECT workflow_id, status, count(*) FROM new_jobs
        WHERE workflow_id IS NOT NULL GROUP BY workflow_id, status;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO workflow_job_counts (workflow_id, status, delta)
        SELECT workflow_id, status, -count(*) FROM old_jobs
        WHERE workflow_id IS NOT NULL GROUP BY workflow_id, status;
    ELSE
        INSERT INTO workflow_job_counts (workflow_id, status, delta)
        SELECT workflow_id, status, sum(d) FROM (
            SELECT o.workflow_id, o.status, -1 AS d
            FROM old_jobs o JOIN new_jobs n ON n.id = o.id
            WHERE o.workflow_id IS NOT NULL
                AND (o.status, o.workflow_id) IS DISTINCT FROM (n.status, n.workflow_id)
            UNION ALL
            SELECT n.workflow_id, n.status, 1
            FROM old_jobs o JOIN new_jobs n ON n.id = o.id
            WHERE n.workflow_id IS NOT NULL
                AND (o.status, o.workflow_id) IS DISTINCT FROM (n.status, n.workflow_id)
        ) AS moved
        GROUP BY workflow_id, status HAVING sum(d) <> 0;
    END IF;
    RETURN NULL;
END
$$
"""
TRIGGERS = [
    "CREATE TRIGGER jobs_workflow_counts_insert AFTER INSERT ON jobs"
    " REFERENCING NEW TABLE AS new_jobs"
    " FOR EACH STATEMENT EXECUTE FUNCTION taskforge_workflow_job_counts()",
    "CREATE TRIGGER jobs_workflow_counts_update AFTER UPDATE ON jobs"
    " REFERENCING OLD TABLE AS old_jobs NEW TABLE AS new_jobs"
    " FOR EACH STATEMENT EXECUTE FUNCTION taskforge_workflow_job_counts()",
    "CREATE TRIGGER jobs_workflow_counts_delete AFTER DELETE ON jobs"
    " REFERENCING OLD TABLE AS old_jobs"
    " FOR EACH STATEMENT EXECUTE FUNCTION taskforge_workflow_job_counts()",
]


def upgrade() -> None:
    op.create_table(
        "workflow_job_counts",
        sa.Column("id", taskforge.persistence.types.BigId, autoincrement=True, nullable=False),
        sa.Column("workflow_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("delta", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("workflow_job_counts") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workflow_job_counts_workflow_id"), ["workflow_id"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)
        for trigger in TRIGGERS:
            op.execute(trigger)
        op.execute(
            "INSERT INTO workflow_job_counts (workflow_id, status, delta)"
            " SELECT workflow_id, status, count(*) FROM jobs"
            " WHERE workflow_id IS NOT NULL GROUP BY workflow_id, status"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER jobs_workflow_counts_{name} ON jobs")
        op.execute("DROP FUNCTION taskforge_workflow_job_counts()")
    with op.batch_alter_table("workflow_job_counts") as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_job_counts_workflow_id"))
    op.drop_table("workflow_job_counts")
