"""users and invitations: user names, deactivation, password changes (tokens issued
before are refused), who created an API key, and single-use invitations stored by the
hash of their token

Revision ID: 0013
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import taskforge.persistence.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = taskforge.persistence.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("deactivated_at", UTC, nullable=True))
        batch_op.add_column(sa.Column("password_changed_at", UTC, nullable=True))
    with op.batch_alter_table("api_keys") as batch_op:
        batch_op.add_column(sa.Column("created_by", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            "fk_api_keys_created_by_users", "users", ["created_by"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_index("ix_api_keys_created_by", ["created_by"], unique=False)
    op.create_table(
        "invitations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column(
            "role",
            sa.Enum("ADMIN", "MEMBER", name="userrole", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("accepted_at", UTC, nullable=True),
        sa.Column("revoked_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["invited_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("invitations") as batch_op:
        batch_op.create_index("ix_invitations_organization_id", ["organization_id"], unique=False)
        batch_op.create_index("ix_invitations_email", ["email"], unique=False)


def downgrade() -> None:
    op.drop_table("invitations")
    with op.batch_alter_table("api_keys") as batch_op:
        batch_op.drop_index("ix_api_keys_created_by")
        batch_op.drop_constraint("fk_api_keys_created_by_users", type_="foreignkey")
        batch_op.drop_column("created_by")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("password_changed_at")
        batch_op.drop_column("deactivated_at")
        batch_op.drop_column("name")
