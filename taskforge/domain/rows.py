"""Row shapes the stores return where the two databases once returned different ones:
small frozen types, the same from every store."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from taskforge.domain.enums import (
    DependencyCondition,
    DependencyType,
    FailurePolicy,
    JobStatus,
    WorkflowStatus,
)


class GraphJob(NamedTuple):
    """A job as a graph shows it; its id is the uuid's text and ``status`` the plain
    string (cheap for big graphs: a graph is keyed and sent by these strings).
    ``run_seconds``, its critical-path weight, is what the graph needs of its start and
    finish: decoding two timestamps per job was most of a 10,000-job read."""

    id: str
    name: str | None
    job_type: str
    status: str
    run_seconds: float | None  # finished_at - started_at; None until it has finished
    # a mapped child's template (its id's text) and its item's position; None otherwise
    map_parent_id: str | None = None
    map_index: int | None = None


class GraphEdge(NamedTuple):
    """An edge as a graph shows it; ids as the uuids' text, enums as plain strings."""

    id: str
    parent_job_id: str
    child_job_id: str
    dependency_type: str
    condition: str
    status: str


@dataclass(frozen=True, slots=True)
class RefreshRow:
    """What the engine decides a workflow's status on: its status, its failure policy
    and whether any of its jobs is still live; and its jobs' counts per status as
    ``workflows.states`` gives them, read with it (the state its job events carry)."""

    id: uuid.UUID
    status: WorkflowStatus
    failure_policy: FailurePolicy
    live: bool
    counts: dict[JobStatus, int]


@dataclass(frozen=True)
class Released:
    """Children released in one statement, grouped as their event reports them.
    ``due``: PENDING, claimable now; False: SCHEDULED (moved to a later start), no
    worker to wake, but released all the same (its payload template resolves now)."""

    organization_id: uuid.UUID
    project_id: uuid.UUID
    queue_id: uuid.UUID
    workflow_id: uuid.UUID | None
    ids: list[uuid.UUID]
    due: bool = True

    @property
    def key(self) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID, uuid.UUID | None]:
        return self.organization_id, self.project_id, self.queue_id, self.workflow_id


@dataclass(frozen=True, slots=True)
class PendingEdge:
    """A PENDING dependency edge, as the engine evaluates it."""

    id: uuid.UUID
    parent_job_id: uuid.UUID
    child_job_id: uuid.UUID
    dependency_type: DependencyType
    condition: DependencyCondition
    expression: str | None


class Succeeded(NamedTuple):
    """An attempt a success acknowledgement ended, with what its job's event and the
    engine need."""

    execution_id: uuid.UUID
    job_id: uuid.UUID
    organization_id: uuid.UUID
    queue_id: uuid.UUID
    project_id: uuid.UUID
    job_type: str
    workflow_id: uuid.UUID | None
    # the attempt's start (the run time series)
    started_at: datetime | None = None
    # the schedule that fired the job (its end counts on the schedule), else None
    schedule_id: uuid.UUID | None = None
