"""Job statuses: which are terminal or active; transitions live in ``domain.transitions``."""

from __future__ import annotations

from taskforge.domain.enums import JobStatus
from taskforge.domain.transitions import JOBS

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
