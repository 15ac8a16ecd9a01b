"""lean event rows: event payloads kept as JSON text, compressed with lz4

Every job's status changes write events whose payloads (a batch of 500 packed in one
row) PostgreSQL parsed into JSONB on insert and printed back to text when the relay
stamped them, though nothing in the database reads inside them: ``json`` keeps the
text as written (validated, not converted) and lz4 compresses a large row several
times faster than the default pglz (where the server lacks lz4, pglz stays).

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LZ4 = """
DO $$ BEGIN
    ALTER TABLE events ALTER COLUMN payload SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    NULL;  -- a server built without lz4 keeps pglz
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "events",
            "payload",
            type_=sa.JSON(),
            existing_type=postgresql.JSONB(),
            postgresql_using="payload::json",
        )
        op.execute(LZ4)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE events ALTER COLUMN payload SET COMPRESSION default")
        op.alter_column(
            "events",
            "payload",
            type_=postgresql.JSONB(),
            existing_type=sa.JSON(),
            postgresql_using="payload::jsonb",
        )
