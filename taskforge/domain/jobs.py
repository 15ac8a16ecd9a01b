"""Job statuses: which are terminal or active; transitions live in ``domain.transitions``."""

from __future__ import annotations

from datetime import datetime

from taskforge.domain.enums import DependencyStatus, JobStatus
from taskforge.domain.transitions import CLAIMABLE, DUE, JOBS

S = JobStatus

TERMINAL: frozenset[JobStatus] = frozenset({S.SUCCEEDED, S.FAILED, S.CANCELLED, S.SKIPPED})


def can_transition(current: JobStatus, target: JobStatus) -> bool:
    return JOBS.allows(current, target)


def sources_of(target: JobStatus) -> frozenset[JobStatus]:
    """Statuses from which ``target`` is reachable (used in guarded UPDATEs)."""
    return JOBS.sources(target)


def check_transition(job_id: object, current: JobStatus, target: JobStatus) -> None:
    JOBS.check(job_id, current, target)


# not yet ended: a queue holding any of these is not deleted without force
ACTIVE: frozenset[JobStatus] = frozenset({S.PENDING, S.SCHEDULED, S.PROCESSING})


# a job whose dependencies let it start (the ready index's dependency predicate)
READY_DEPENDENCIES = frozenset({DependencyStatus.NONE, DependencyStatus.SATISFIED})


def claimable(
    status: JobStatus,
    dependency_status: DependencyStatus,
    scheduled_for: datetime | None,
    now: datetime,
) -> bool:
    """A claim could take it now: ready (the ready index's rows) or due (promoted first)."""
    if status in CLAIMABLE:
        return dependency_status in READY_DEPENDENCIES
    return status in DUE and scheduled_for is not None and scheduled_for <= now


def next_eligible_at(status: JobStatus, scheduled_for: datetime | None) -> datetime | None:
    """When a waiting job can next be claimed, if a time decides it: a SCHEDULED job's
    ``scheduledFor`` (a delayed start, a retry's backoff, a debounce period, a rate
    limit's window), None for any other (claimable now, waiting on its dependencies,
    running or ended)."""
    return scheduled_for if status in DUE else None
