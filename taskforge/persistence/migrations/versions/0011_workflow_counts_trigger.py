"""workflow job counts without a join: an UPDATE's delta is its old rows -1 and its new
rows +1, summed per (workflow, status)

The join of the transition tables that 0008 used to drop unchanged rows was planned once
per connection, from the size of the first statement's tables: after a one-row update, a
10,000-row one ran as a nested loop, 10^8 comparisons (10 s). Unchanged rows cancel out
in the sum instead, which is linear whatever the plan. (A column list on the trigger
would spare statements that leave status alone, but PostgreSQL refuses column lists on
triggers with transition tables.)

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = """
CREATE OR REPLACE FUNCTION taskforge_workflow_job_counts() RETURNS trigger
LANGUAGE plpgsql AS $$
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
        SELECT workflow_id, status, sum(d) FROM ({moved}) AS moved
        GROUP BY workflow_id, status HAVING sum(d) <> 0;
    END IF;
    RETURN NULL;
END
$$
"""
MOVED = """
    SELECT workflow_id, status, -1 AS d FROM old_jobs WHERE workflow_id IS NOT NULL
    UNION ALL
    SELECT workflow_id, status, 1 FROM new_jobs WHERE workflow_id IS NOT NULL
"""
MOVED_0008 = """
    SELECT o.workflow_id, o.status, -1 AS d
    FROM old_jobs o JOIN new_jobs n ON n.id = o.id
    WHERE o.workflow_id IS NOT NULL
        AND (o.status, o.workflow_id) IS DISTINCT FROM (n.status, n.workflow_id)
    UNION ALL
    SELECT n.workflow_id, n.status, 1
    FROM old_jobs o JOIN new_jobs n ON n.id = o.id
    WHERE n.workflow_id IS NOT NULL
        AND (o.status, o.workflow_id) IS DISTINCT FROM (n.status, n.workflow_id)
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION.format(moved=MOVED))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION.format(moved=MOVED_0008))
