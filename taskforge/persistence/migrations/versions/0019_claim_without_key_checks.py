"""claims and enqueues without per-row key checks that other keys or triggers imply

A claim inserts one execution per job, and each insert ran two foreign-key checks, each
a query locking the parent row (the job, already locked by the claim itself, and the
worker, the same row 500 times): over a quarter of the claim statement's time. The keys
go; what they did stays:
- a job's deletion deletes its executions (was ON DELETE CASCADE), and a worker's
  deletion clears its executions' worker (was ON DELETE SET NULL), by triggers: on
  PostgreSQL once per statement over the deleted rows, on SQLite per row;
- an execution only ever names a live job and worker: the claim inserts executions for
  jobs it holds locked, and locks the claiming worker's row once (a concurrent deletion
  of the worker waits for the claim to commit, then its trigger clears what it wrote).

An enqueue's rows ran three checks each (organization, project, queue): over a third of
the insert's time. A job's organization and project are its queue's (the insert takes
them from the queue's row), so the queue's key, kept, implies the other two: a
project's deletion reaches its jobs through its queues, an organization's goes table by
table (its removal plan).

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's foreign keys have no names: batch mode names the reflected ones by this
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s"}

PG_UP = [
    """
    CREATE FUNCTION taskforge_jobs_gone() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- = ANY(ARRAY(...)): index probes, whatever the transition table's size
        DELETE FROM job_executions WHERE job_id = ANY(ARRAY(SELECT id FROM gone));
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER jobs_gone_executions AFTER DELETE ON jobs
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION taskforge_jobs_gone()
    """,
    """
    CREATE FUNCTION taskforge_workers_gone() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE job_executions SET worker_id = NULL
        WHERE worker_id = ANY(ARRAY(SELECT id FROM gone));
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER workers_gone_executions AFTER DELETE ON workers
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION taskforge_workers_gone()
    """,
]
PG_DOWN = [
    "DROP TRIGGER workers_gone_executions ON workers",
    "DROP FUNCTION taskforge_workers_gone()",
    "DROP TRIGGER jobs_gone_executions ON jobs",
    "DROP FUNCTION taskforge_jobs_gone()",
]
SQLITE_UP = [
    """
    CREATE TRIGGER jobs_gone_executions AFTER DELETE ON jobs FOR EACH ROW
    BEGIN DELETE FROM job_executions WHERE job_id = OLD.id; END
    """,
    """
    CREATE TRIGGER workers_gone_executions AFTER DELETE ON workers FOR EACH ROW
    BEGIN UPDATE job_executions SET worker_id = NULL WHERE worker_id = OLD.id; END
    """,
]
SQLITE_DOWN = [
    "DROP TRIGGER workers_gone_executions",
    "DROP TRIGGER jobs_gone_executions",
]


# SQLite's rebuild of jobs (batch mode) reflects this index without its DESC, and a claim
# would then walk equal priorities in reverse: it is made again as the model has it
READY_INDEX_SQLITE = [
    "DROP INDEX idx_jobs_ready",
    """
    CREATE INDEX idx_jobs_ready ON jobs (queue_id, priority DESC, created_at)
    WHERE status = 'PENDING' AND dependency_status IN ('NONE', 'SATISFIED')
    """,
]


def _fk(column: str) -> str:
    if op.get_bind().dialect.name == "postgresql":
        return f"job_executions_{column}_fkey"
    return f"fk_job_executions_{column}"


def _jobs_fk(column: str) -> str:
    if op.get_bind().dialect.name == "postgresql":
        return f"jobs_{column}_fkey"
    return f"fk_jobs_{column}"


def upgrade() -> None:
    # before the triggers: SQLite's rebuild of a table does not keep its triggers
    with op.batch_alter_table("jobs", naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint(_jobs_fk("organization_id"), type_="foreignkey")
        batch_op.drop_constraint(_jobs_fk("project_id"), type_="foreignkey")
    with op.batch_alter_table("job_executions", naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint(_fk("job_id"), type_="foreignkey")
        batch_op.drop_constraint(_fk("worker_id"), type_="foreignkey")
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in PG_UP if postgres else [*READY_INDEX_SQLITE, *SQLITE_UP]:
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in PG_DOWN if postgres else SQLITE_DOWN:
        op.execute(statement)
    with op.batch_alter_table("job_executions", naming_convention=NAMING) as batch_op:
        batch_op.create_foreign_key(_fk("job_id"), "jobs", ["job_id"], ["id"], ondelete="CASCADE")
        batch_op.create_foreign_key(
            _fk("worker_id"), "workers", ["worker_id"], ["id"], ondelete="SET NULL"
        )
    with op.batch_alter_table("jobs", naming_convention=NAMING) as batch_op:
        batch_op.create_foreign_key(
            _jobs_fk("organization_id"),
            "organizations",
            ["organization_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_foreign_key(
            _jobs_fk("project_id"), "projects", ["project_id"], ["id"], ondelete="CASCADE"
        )
    if op.get_bind().dialect.name != "postgresql":
        for statement in READY_INDEX_SQLITE:
            op.execute(statement)
