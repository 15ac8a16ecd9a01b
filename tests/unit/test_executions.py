from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from taskforge.domain.enums import ExecutionStatus, JobStatus
from taskforge.domain.executions import (
    CONSISTENT,
    DECIDED,
    FINISHED,
    JOB_FOR_EXECUTION,
    OPEN,
    REPAIR,
    consistent,
    next_attempt_at,
    repair,
    retry_delay,
)
from taskforge.domain.queues import RetryPolicy

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_backoff_without_jitter_is_exponential_and_capped() -> None:
    policy = RetryPolicy(max_attempts=10, base_delay=2, multiplier=3, max_delay=100, jitter=False)
    assert [retry_delay(policy, n) for n in range(1, 6)] == [2, 6, 18, 54, 100]


@given(st.integers(1, 30), st.floats(0, 50), st.floats(1, 5), st.floats(0, 500))
def test_jitter_stays_within_half_and_full_delay(attempt, base, mult, cap) -> None:
    policy = RetryPolicy(base_delay=base, multiplier=mult, max_delay=max(cap, base), jitter=True)
    full = min(policy.max_delay, base * mult ** (attempt - 1))
    assert full / 2 <= retry_delay(policy, attempt) <= full


def test_attempts_run_out() -> None:
    policy = RetryPolicy(max_attempts=3, base_delay=1, jitter=False)
    assert next_attempt_at(policy, 1, NOW) == NOW + timedelta(seconds=1)
    assert next_attempt_at(policy, 2, NOW) == NOW + timedelta(seconds=2)
    assert next_attempt_at(policy, 3, NOW) is None
    assert next_attempt_at(policy, 3, NOW, max_attempts=5) is not None  # job override


def test_every_execution_status_maps_to_a_consistent_job_status() -> None:
    for execution, job in JOB_FOR_EXECUTION.items():
        assert consistent(job, execution)
    assert set(CONSISTENT) == set(JobStatus)
    assert not consistent(JobStatus.PROCESSING, None)
    assert not consistent(JobStatus.SUCCEEDED, ExecutionStatus.STARTED)
    assert not consistent(JobStatus.PENDING, ExecutionStatus.STARTED)


ALL_PAIRS = [(j, e) for j in JobStatus for e in [None, *ExecutionStatus]]


def _after(
    job: JobStatus, latest: ExecutionStatus | None
) -> tuple[JobStatus, ExecutionStatus | None]:
    fix = repair(job, latest)
    assert fix is not None
    return fix.job or job, fix.execution or latest


def test_every_pair_is_consistent_or_has_exactly_one_repair() -> None:
    for job, latest in ALL_PAIRS:
        assert consistent(job, latest) is ((job, latest) not in REPAIR), (job, latest)
    for (job, latest), fix in REPAIR.items():
        assert (fix.job is None) is not (fix.execution is None), (job, latest)  # one side moves
        assert consistent(*_after(job, latest)), (job, latest, fix)


def test_repairs_never_revive_a_decision_nor_rewrite_a_finished_attempt() -> None:
    for (job, latest), fix in REPAIR.items():
        if job in DECIDED:  # a cancelled or skipped job stays as it is
            assert fix.job is None and fix.execution is ExecutionStatus.CANCELLED, (job, latest)
        if fix.execution is not None:  # only an open attempt is closed
            assert latest in OPEN, (job, latest)
        if fix.job is not None and latest is not None:  # otherwise the attempt says
            assert fix.job is JOB_FOR_EXECUTION[latest], (job, latest)


def test_the_two_pairs_of_the_issue() -> None:
    # cancelled while waiting for a retry: the open attempt closes, the job stays
    assert repair(JobStatus.CANCELLED, ExecutionStatus.RETRYING) == (
        None,
        ExecutionStatus.CANCELLED,
    )
    # an operator's skip of a failed job: consistent as it is
    assert consistent(JobStatus.SKIPPED, ExecutionStatus.FAILED)
    assert repair(JobStatus.SKIPPED, ExecutionStatus.FAILED) is None
    assert set(ExecutionStatus) == FINISHED | OPEN and not FINISHED & OPEN
