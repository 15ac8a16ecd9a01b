"""Executions: retry timing, and which execution status goes with which job status.

The mapping is the consistency rule of seed 004 applied to jobs and their attempts:
a job and its latest execution never disagree. Who wins when they do is data too
(``REPAIR``): a job CANCELLED or SKIPPED by a client, an operator or the engine is a
decision, and the attempts follow it (an open attempt closes as CANCELLED); otherwise
a finished attempt is the record of what happened, and the job follows it. A finished
attempt (SUCCEEDED, FAILED, CANCELLED) is never rewritten.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import NamedTuple

from taskforge.domain.enums import ExecutionStatus, JobStatus
from taskforge.domain.queues import RetryPolicy

E, J = ExecutionStatus, JobStatus

# an attempt still open: running, or the latest one waiting for its retry
OPEN: frozenset[ExecutionStatus] = frozenset({E.STARTED, E.RETRYING})
FINISHED: frozenset[ExecutionStatus] = frozenset({E.SUCCEEDED, E.FAILED, E.CANCELLED})
# job statuses set by someone's decision: they win over what the attempts say
DECIDED: frozenset[JobStatus] = frozenset({J.CANCELLED, J.SKIPPED})

# job status -> the statuses its latest execution may have (None: no execution yet)
CONSISTENT: dict[JobStatus, frozenset[ExecutionStatus | None]] = {
    # waiting: never ran, its retry came due, or re-run after a failure or a cancel
    J.PENDING: frozenset({None, E.RETRYING, E.CANCELLED, E.FAILED}),
    J.SCHEDULED: frozenset({None, E.RETRYING}),
    J.PROCESSING: frozenset({E.STARTED}),
    J.SUCCEEDED: frozenset({E.SUCCEEDED}),
    J.FAILED: frozenset({None, E.FAILED}),
    # a decision: no attempt open, whatever the finished ones said
    J.CANCELLED: frozenset({None, *FINISHED}),
    J.SKIPPED: frozenset({None, *FINISHED}),
}

# what a latest execution says the job should be, when the two disagree
JOB_FOR_EXECUTION: dict[ExecutionStatus, JobStatus] = {
    E.STARTED: J.PROCESSING,
    E.SUCCEEDED: J.SUCCEEDED,
    E.FAILED: J.FAILED,
    E.RETRYING: J.SCHEDULED,
    E.CANCELLED: J.CANCELLED,
}


class Repair(NamedTuple):
    """What brings a pair back into agreement: the job's new status, or the latest
    execution's (None: that side stays)."""

    job: JobStatus | None = None
    execution: ExecutionStatus | None = None


def _job(status: JobStatus) -> Repair:
    return Repair(job=status)


def _close(status: ExecutionStatus) -> Repair:
    return Repair(execution=status)


# (job status, latest execution status) -> the repair, for every pair not in CONSISTENT
REPAIR: dict[tuple[JobStatus, ExecutionStatus | None], Repair] = {
    # a job that ran with no attempt on record runs again
    (J.PROCESSING, None): _job(J.PENDING),
    (J.SUCCEEDED, None): _job(J.PENDING),
    # an open attempt of a job that is not running closes as the job says
    (J.PENDING, E.STARTED): _close(E.CANCELLED),
    (J.SCHEDULED, E.STARTED): _close(E.RETRYING),
    (J.SUCCEEDED, E.STARTED): _close(E.SUCCEEDED),
    (J.FAILED, E.STARTED): _close(E.FAILED),
    (J.CANCELLED, E.STARTED): _close(E.CANCELLED),
    (J.SKIPPED, E.STARTED): _close(E.CANCELLED),
    # a decision wins: the attempt waiting for its retry is closed, the job stays
    (J.CANCELLED, E.RETRYING): _close(E.CANCELLED),
    (J.SKIPPED, E.RETRYING): _close(E.CANCELLED),
    # otherwise the latest attempt is the record of what happened: the job follows it
    (J.PROCESSING, E.RETRYING): _job(J.SCHEDULED),
    (J.SUCCEEDED, E.RETRYING): _job(J.SCHEDULED),
    (J.FAILED, E.RETRYING): _job(J.SCHEDULED),
    (J.PENDING, E.SUCCEEDED): _job(J.SUCCEEDED),
    (J.SCHEDULED, E.SUCCEEDED): _job(J.SUCCEEDED),
    (J.PROCESSING, E.SUCCEEDED): _job(J.SUCCEEDED),
    (J.FAILED, E.SUCCEEDED): _job(J.SUCCEEDED),
    (J.SCHEDULED, E.FAILED): _job(J.FAILED),
    (J.PROCESSING, E.FAILED): _job(J.FAILED),
    (J.SUCCEEDED, E.FAILED): _job(J.FAILED),
    (J.SCHEDULED, E.CANCELLED): _job(J.CANCELLED),
    (J.PROCESSING, E.CANCELLED): _job(J.CANCELLED),
    (J.SUCCEEDED, E.CANCELLED): _job(J.CANCELLED),
    (J.FAILED, E.CANCELLED): _job(J.CANCELLED),
}


def consistent(job: JobStatus, latest: ExecutionStatus | None) -> bool:
    return latest in CONSISTENT[job]


def repair(job: JobStatus, latest: ExecutionStatus | None) -> Repair | None:
    """The repair of a pair that disagrees; None for a consistent one."""
    return None if consistent(job, latest) else REPAIR[(job, latest)]


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


# A failure's traceback is kept up to this many bytes (UTF-8), its end: the frames
# nearest the error and the exception line are what a reader needs.
TRACEBACK_BYTES = 16 * 1024
PROGRESS_MESSAGE_CHARS = 1000
# progress reports of one attempt write a jobStatusChanged event this often at most (the
# SDK reports every half second; a client reporting in a loop must not flood subscribers);
# a final one (1.0) always does
PROGRESS_EVENT_SECONDS = 0.25


def progress_event_due(last: datetime | None, now: datetime, fraction: float) -> bool:
    """Whether a changed progress report writes an event."""
    return last is None or fraction >= 1.0 or (now - last).total_seconds() >= PROGRESS_EVENT_SECONDS


def bounded_traceback(text: str | None, limit: int = TRACEBACK_BYTES) -> str | None:
    """The tail of a traceback within ``limit`` bytes, NULs replaced (stored as text)."""
    if not text:
        return None
    text = text.replace("\x00", "\ufffd")
    data = text.encode("utf-8", "backslashreplace")
    if len(data) <= limit:
        return data.decode()
    marker = "…(truncated)\n"
    tail = data[len(data) - (limit - len(marker.encode())) :]
    return marker + tail.decode("utf-8", "ignore")
