"""Job state machine: which transitions are allowed, as one table."""

from __future__ import annotations

from taskforge.domain.enums import JobStatus
from taskforge.domain.errors import InvalidTransition

S = JobStatus

TERMINAL: frozenset[JobStatus] = frozenset({S.SUCCEEDED, S.FAILED, S.CANCELLED, S.SKIPPED})

# target -> statuses it may be reached from
_ALLOWED: dict[JobStatus, frozenset[JobStatus]] = {
    S.PROCESSING: frozenset({S.PENDING, S.SCHEDULED}),
    S.SUCCEEDED: frozenset({S.PROCESSING}),
    S.FAILED: frozenset({S.PROCESSING, S.PENDING, S.SCHEDULED}),
    S.SCHEDULED: frozenset({S.PROCESSING, S.PENDING}),
    S.CANCELLED: frozenset({S.PENDING, S.SCHEDULED, S.PROCESSING}),
    S.SKIPPED: frozenset({S.PENDING, S.SCHEDULED}),
    S.PENDING: frozenset({S.FAILED, S.CANCELLED, S.SKIPPED, S.SCHEDULED}),
}


def can_transition(current: JobStatus, target: JobStatus) -> bool:
    return current in _ALLOWED.get(target, frozenset())


def sources_of(target: JobStatus) -> frozenset[JobStatus]:
    """Statuses from which ``target`` is reachable (used in guarded UPDATEs)."""
    return _ALLOWED.get(target, frozenset())


def check_transition(job_id: object, current: JobStatus, target: JobStatus) -> None:
    if not can_transition(current, target):
        raise InvalidTransition("job", job_id, current.value, target.value)


# not yet ended: a queue holding any of these is not deleted without force
ACTIVE: frozenset[JobStatus] = frozenset({S.PENDING, S.SCHEDULED, S.PROCESSING})
