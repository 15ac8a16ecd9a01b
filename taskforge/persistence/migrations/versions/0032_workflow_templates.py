"""workflow_templates, and what links a run to its template and to its parent

A template is a project's named, versioned definition. A run records the template
(name, version) it was copied from; a child run, started by a workflow job, records that
job and its workflow (``idx_workflows_parent_job`` finds the children of jobs being
cancelled or drawn) and how deep it nests; and each run, how many of its jobs are
workflow jobs. Nullable columns without defaults, and two with a constant default: no
table rewrite on either database.

Revision ID: 0032
Revises: 0029
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import taskforge.persistence.types

revision: str = "0032"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = taskforge.persistence.types.UTCDateTime(timezone=True)
JSON = taskforge.persistence.types.PortableJSON
CHILD = "parent_job_id IS NOT NULL"


def upgrade() -> None:
    op.create_table(
        "workflow_templates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("job_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organization_id", "project_id", "name", "version"),
    )
    op.create_index(
        "idx_workflow_templates_org_created",
        "workflow_templates",
        ["organization_id", "created_at", "id"],
    )
    # not in batch mode: SQLite would rebuild the table for a column
    op.add_column("workflows", sa.Column("template_name", sa.String(length=200), nullable=True))
    op.add_column("workflows", sa.Column("template_version", sa.Integer(), nullable=True))
    op.add_column("workflows", sa.Column("parent_job_id", sa.Uuid(), nullable=True))
    op.add_column("workflows", sa.Column("parent_workflow_id", sa.Uuid(), nullable=True))
    for column in ("nesting", "subworkflow_jobs"):
        op.add_column(
            "workflows",
            sa.Column(column, sa.Integer(), nullable=False, server_default=sa.text("0")),
        )
    op.create_index(
        "idx_workflows_parent_job",
        "workflows",
        ["parent_job_id"],
        postgresql_where=sa.text(CHILD),
        sqlite_where=sa.text(CHILD),
    )


def downgrade() -> None:
    op.drop_index("idx_workflows_parent_job", table_name="workflows")
    for column in (
        "subworkflow_jobs",
        "nesting",
        "parent_workflow_id",
        "parent_job_id",
        "template_version",
        "template_name",
    ):
        op.drop_column("workflows", column)
    op.drop_index("idx_workflow_templates_org_created", table_name="workflow_templates")
    op.drop_table("workflow_templates")
