"""a map template's children by status, in place of their edges into it

Mapped children no longer get an edge row into their template: the edge is implied by
``jobs.map_parent_id`` and its state read off the child's status. A template's rule is
decided from ``idx_jobs_map_children`` (map_parent_id, status), partial on mapped
children: a probe per status. The edge rows that earlier expansions made are deleted
(the implied ones replace them: kept, each would be shown and counted twice), and the
children of templates deleted before keep no ``map_parent_id`` (their edges went with
their template). The downgrade stores the edges again, in the state the engine reads
(``domain.dependencies.mapped_edge``).

Not in batch mode: SQLite would rebuild jobs for an index.

Revision ID: 0038
Revises: 0037
"""

import uuid
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
    op.execute(
        "DELETE FROM job_dependencies WHERE id IN (SELECT e.id FROM job_dependencies e"
        " JOIN jobs c ON c.id = e.parent_job_id WHERE c.map_parent_id = e.child_job_id)"
    )
    op.execute(
        "UPDATE jobs SET map_parent_id = NULL, map_index = NULL WHERE map_parent_id IS NOT"
        " NULL AND NOT EXISTS (SELECT 1 FROM jobs t WHERE t.id = jobs.map_parent_id)"
    )


def downgrade() -> None:
    # the implied edges stored again, in the states the engine read them in
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT c.id, c.organization_id, c.map_parent_id, c.status, c.status_reason,"
            " w.failure_policy, c.created_at, c.finished_at FROM jobs c"
            " JOIN workflows w ON w.id = c.workflow_id WHERE c.map_parent_id IS NOT NULL"
        )
    ).all()
    edges = sa.table(
        "job_dependencies",
        *(sa.column(c) for c in ("id", "organization_id", "parent_job_id", "child_job_id")),
        *(sa.column(c) for c in ("dependency_type", "condition", "status", "created_at")),
        *(sa.column(c) for c in ("resolved_at", "resolved_by")),
    )
    values = []
    for child, org, template, status, reason, policy, created, finished in rows:
        state = _state(status, reason, policy == "MANUAL")
        values.append(
            {
                "id": uuid.uuid4(),
                "organization_id": org,
                "parent_job_id": child,
                "child_job_id": template,
                "dependency_type": "SEQUENTIAL",
                "condition": "SUCCEEDED",
                "status": state,
                "created_at": created,
                "resolved_at": None if state == "PENDING" else finished,
                "resolved_by": None if state == "PENDING" else f"parent:{status}",
            }
        )
    for i in range(0, len(values), 1000):
        op.bulk_insert(edges, values[i : i + 1000])
    op.drop_index("idx_jobs_map_children", table_name="jobs")


def _state(status: str, reason: str | None, held: bool) -> str:
    """domain.dependencies.mapped_edge, as this revision knew it."""
    if status == "SKIPPED":
        return "RESOLVED" if reason == "skipped_by_operator" else "CANCELLED"
    if status == "FAILED":
        return "PENDING" if held else "FAILED"
    return {"SUCCEEDED": "RESOLVED", "CANCELLED": "FAILED"}.get(status, "PENDING")
