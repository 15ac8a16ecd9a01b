"""initial schema

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import taskforge.persistence.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "organizations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("billing_email", sa.String(length=320), nullable=False),
        sa.Column(
            "created_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organizations_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "outbox_cursor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # the relay's cursor row always exists, so electing a relay is one row lock
    op.execute("INSERT INTO outbox_cursor (id, last_seq) VALUES (1, 0)")
    op.create_table(
        "events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "created_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seq"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("idx_events_org_seq", ["organization_id", "seq"], unique=False)
        batch_op.create_index(
            "idx_events_unstamped",
            ["id"],
            unique=False,
            sqlite_where=sa.text("seq IS NULL"),
            postgresql_where=sa.text("seq IS NULL"),
        )

    op.create_table(
        "projects",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "created_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organization_id", "name"),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_projects_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column(
            "tier",
            sa.Enum("STARTER", "PRO", "ENTERPRISE", name="tier", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("max_jobs_per_month", sa.Integer(), nullable=True),
        sa.Column("max_workers", sa.Integer(), nullable=True),
        sa.Column(
            "current_period_end",
            taskforge.persistence.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("usage_period", sa.String(length=7), nullable=False),
        sa.Column("jobs_used", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organization_id"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum("ADMIN", "MEMBER", name="userrole", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "created_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_users_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "permissions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "created_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expires_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "last_used_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "revoked_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_api_keys_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "job_queues",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "created_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "name"),
    )
    with op.batch_alter_table("job_queues", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_job_queues_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "workers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "worker_type",
            sa.Enum(
                "GENERAL",
                "SPECIALIZED_CPU",
                "SPECIALIZED_IO",
                name="workertype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "ONLINE", "OFFLINE", "DRAINING", name="workerstatus", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column(
            "last_heartbeat", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "created_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workers_last_heartbeat"), ["last_heartbeat"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_workers_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_workers_project_id"), ["project_id"], unique=False)

    op.create_table(
        "workflows",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "definition",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "RUNNING",
                "PAUSED",
                "SUCCEEDED",
                "FAILED",
                "CANCELLED",
                name="workflowstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "failure_policy",
            sa.Enum(
                "FAIL_FAST",
                "CONTINUE_ON_FAILURE",
                "MANUAL",
                name="failurepolicy",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("timeout_seconds", sa.Integer(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "started_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "finished_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("workflows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workflows_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("queue_id", sa.Uuid(), nullable=False),
        sa.Column("workflow_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("job_type", sa.String(length=200), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "SCHEDULED",
                "PROCESSING",
                "SUCCEEDED",
                "FAILED",
                "CANCELLED",
                "SKIPPED",
                name="jobstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("status_reason", sa.String(length=200), nullable=True),
        sa.Column(
            "dependency_status",
            sa.Enum(
                "NONE",
                "WAITING",
                "SATISFIED",
                "FAILED",
                name="dependencystatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column(
            "scheduled_for", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=True),
        sa.Column(
            "output",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "created_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "started_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "finished_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["queue_id"], ["job_queues.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workflow_id"], ["workflows.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(
            "idx_jobs_claim", ["queue_id", "status", "priority", "created_at"], unique=False
        )
        batch_op.create_index(
            "idx_jobs_org_created", ["organization_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "idx_jobs_status_scheduled_priority",
            ["status", "scheduled_for", "priority"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_jobs_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_queue_id"), ["queue_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_workflow_id"), ["workflow_id"], unique=False)

    op.create_table(
        "queue_worker_assignments",
        sa.Column("queue_id", sa.Uuid(), nullable=False),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(["queue_id"], ["job_queues.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["worker_id"], ["workers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("queue_id", "worker_id"),
    )
    with op.batch_alter_table("queue_worker_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_queue_worker_assignments_worker_id"), ["worker_id"], unique=False
        )

    op.create_table(
        "scheduled_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("queue_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("ONCE", "RECURRING", "CRON", name="schedulekind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("expression", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("job_type", sa.String(length=200), nullable=True),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column(
            "workflow_definition",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "ACTIVE",
                "PAUSED",
                "COMPLETED",
                "FAILED",
                name="schedulestatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("misfire_policy", sa.String(length=32), nullable=False),
        sa.Column("max_runs", sa.Integer(), nullable=True),
        sa.Column("runs_count", sa.Integer(), nullable=False),
        sa.Column(
            "next_run_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "last_run_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "deleted_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "created_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["queue_id"], ["job_queues.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("scheduled_jobs", schema=None) as batch_op:
        batch_op.create_index("idx_scheduled_jobs_due", ["status", "next_run_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_scheduled_jobs_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "job_dependencies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("parent_job_id", sa.Uuid(), nullable=False),
        sa.Column("child_job_id", sa.Uuid(), nullable=False),
        sa.Column(
            "dependency_type",
            sa.Enum(
                "SEQUENTIAL",
                "PARALLEL",
                "CONDITIONAL",
                "FAN_IN",
                "FAN_OUT",
                name="dependencytype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "condition",
            sa.Enum(
                "SUCCEEDED",
                "FAILED",
                "ALWAYS",
                name="dependencycondition",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("expression", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "RESOLVED",
                "FAILED",
                "CANCELLED",
                name="edgestatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "resolved_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column(
            "created_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(["child_job_id"], ["jobs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["parent_job_id"], ["jobs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("parent_job_id", "child_job_id"),
    )
    with op.batch_alter_table("job_dependencies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_job_dependencies_child_job_id"), ["child_job_id"], unique=False
        )

    op.create_table(
        "job_executions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("worker_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "STARTED",
                "SUCCEEDED",
                "FAILED",
                "RETRYING",
                "CANCELLED",
                name="executionstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attempt_number", sa.Integer(), nullable=False),
        sa.Column(
            "output",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "started_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "finished_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "lease_expires_at",
            taskforge.persistence.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "created_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["worker_id"], ["workers.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("job_executions", schema=None) as batch_op:
        batch_op.create_index(
            "idx_job_executions_lease", ["status", "lease_expires_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_job_executions_job_id"), ["job_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_job_executions_worker_id"), ["worker_id"], unique=False
        )

    op.create_table(
        "execution_logs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "DEBUG", "INFO", "WARN", "ERROR", name="loglevel", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "logged_at", taskforge.persistence.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(["execution_id"], ["job_executions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("execution_logs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_execution_logs_execution_id"), ["execution_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("execution_logs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_execution_logs_execution_id"))

    op.drop_table("execution_logs")
    with op.batch_alter_table("job_executions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_executions_worker_id"))
        batch_op.drop_index(batch_op.f("ix_job_executions_job_id"))
        batch_op.drop_index("idx_job_executions_lease")

    op.drop_table("job_executions")
    with op.batch_alter_table("job_dependencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_dependencies_child_job_id"))

    op.drop_table("job_dependencies")
    with op.batch_alter_table("scheduled_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheduled_jobs_organization_id"))
        batch_op.drop_index("idx_scheduled_jobs_due")

    op.drop_table("scheduled_jobs")
    with op.batch_alter_table("queue_worker_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_queue_worker_assignments_worker_id"))

    op.drop_table("queue_worker_assignments")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_workflow_id"))
        batch_op.drop_index(batch_op.f("ix_jobs_queue_id"))
        batch_op.drop_index(batch_op.f("ix_jobs_created_at"))
        batch_op.drop_index("idx_jobs_status_scheduled_priority")
        batch_op.drop_index("idx_jobs_org_created")
        batch_op.drop_index("idx_jobs_claim")

    op.drop_table("jobs")
    with op.batch_alter_table("workflows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflows_organization_id"))

    op.drop_table("workflows")
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workers_project_id"))
        batch_op.drop_index(batch_op.f("ix_workers_organization_id"))
        batch_op.drop_index(batch_op.f("ix_workers_last_heartbeat"))

    op.drop_table("workers")
    with op.batch_alter_table("job_queues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_queues_organization_id"))

    op.drop_table("job_queues")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_organization_id"))

    op.drop_table("api_keys")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_organization_id"))

    op.drop_table("users")
    op.drop_table("subscriptions")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projects_organization_id"))

    op.drop_table("projects")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(
            "idx_events_unstamped",
            sqlite_where=sa.text("seq IS NULL"),
            postgresql_where=sa.text("seq IS NULL"),
        )
        batch_op.drop_index("idx_events_org_seq")

    op.drop_table("events")
    op.drop_table("outbox_cursor")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organizations_created_at"))

    op.drop_table("organizations")
