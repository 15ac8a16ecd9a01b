"""GraphQL input of job administration: the bulk operations' filter."""

from __future__ import annotations

from datetime import datetime

import strawberry

from taskforge.schema.types import JobStatusEnum


@strawberry.input(description="Which jobs cancelJobs / retryJobs take; at least one criterion.")
class JobFilterInput:
    queue_id: strawberry.ID | None = None
    statuses: list[JobStatusEnum] | None = None  # type: ignore[valid-type]
    job_type: str | None = None
    created_after: datetime | None = strawberry.field(
        default=None, description="Created at or after this time."
    )
    created_before: datetime | None = strawberry.field(
        default=None, description="Created before this time."
    )
    workflow_id: strawberry.ID | None = None
