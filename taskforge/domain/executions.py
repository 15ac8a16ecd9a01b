"""Executions: retry timing, and which execution status goes with which job status.

The mapping is the consistency rule of seed 004 applied to jobs and their attempts:
a job and its latest execution never disagree.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from taskforge.domain.enums import ExecutionStatus, JobStatus
from taskforge.domain.queues import RetryPolicy

E, J = ExecutionStatus, JobStatus

# job status -> the statuses its latest execution may have (None: no execution yet)
CONSISTENT: dict[JobStatus, frozenset[ExecutionStatus | None]] = {
    J.PENDING: frozenset({None, E.RETRYING, E.CANCELLED, E.FAILED}),
    J.SCHEDULED: frozenset({None, E.RETRYING}),
    J.PROCESSING: frozenset({E.STARTED}),
    J.SUCCEEDED: frozenset({E.SUCCEEDED}),
    J.FAILED: frozenset({None, E.FAILED}),
    J.CANCELLED: frozenset({None, E.CANCELLED, E.FAILED, E.SUCCEEDED}),
    J.SKIPPED: frozenset({None}),
}

# what a latest execution says the job should be, when the two disagree
JOB_FOR_EXECUTION: dict[ExecutionStatus, JobStatus] = {
    E.STARTED: J.PROCESSING,
    E.SUCCEEDED: J.SUCCEEDED,
    E.FAILED: J.FAILED,
    E.RETRYING: J.SCHEDULED,
    E.CANCELLED: J.CANCELLED,
}


def consistent(job: JobStatus, latest: ExecutionStatus | None) -> bool:
    return latest in CONSISTENT[job]


def retry_delay(policy: RetryPolicy, attempt: int, rng: random.Random | None = None) -> float:
    """Seconds before the next attempt after ``attempt`` (1-based) failed.

    Exponential from ``base_delay`` by ``multiplier``, capped at ``max_delay``; with
    jitter, uniformly spread over [delay/2, delay] ("equal jitter") so retries of many
    jobs that failed together do not arrive together.
    """
    delay = min(policy.max_delay, policy.base_delay * policy.multiplier ** (attempt - 1))
    if policy.jitter and delay > 0:
        delay = (rng or random).uniform(delay / 2, delay)
    return delay


def next_attempt_at(
    policy: RetryPolicy, attempt: int, now: datetime, max_attempts: int | None = None
) -> datetime | None:
    """When to run again, or None if the attempts are used up."""
    if attempt >= (max_attempts or policy.max_attempts):
        return None
    return now + timedelta(seconds=retry_delay(policy, attempt))
