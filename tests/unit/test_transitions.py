"""The transition tables: every status change the code performs is in them, a few that
must never happen are refused, and the gate writes nothing when it refuses."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from itertools import product
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskforge.domain import transitions
from taskforge.domain.enums import (
    ExecutionStatus,
    FailurePolicy,
    JobStatus,
    ScheduleStatus,
    WorkflowStatus,
)
from taskforge.domain.errors import InvalidTransition
from taskforge.domain.executions import REPAIR
from taskforge.domain.jobs import can_transition, check_transition, sources_of
from taskforge.domain.workflows import TERMINAL_WORKFLOW, derive_status

J, E, W, S = JobStatus, ExecutionStatus, WorkflowStatus, ScheduleStatus

# (source, target) of every status change the services and the store perform today
PERFORMED: list[tuple[Any, Any]] = [
    # jobs
    (J.PENDING, J.PROCESSING),  # claim
    (J.SCHEDULED, J.PENDING),  # promote_due: a scheduled job or a retry comes due
    (J.PROCESSING, J.SUCCEEDED),  # completeJob
    (J.PROCESSING, J.SCHEDULED),  # failJob / reaper, attempts left
    (J.PENDING, J.SCHEDULED),  # updateJob: a later start
    (J.PROCESSING, J.FAILED),  # failJob / reaper, attempts used up
    (J.PENDING, J.FAILED),  # a payload reference cannot resolve as the job becomes ready
    (J.PENDING, J.CANCELLED),  # cancelJob, dependency failed, FAIL_FAST
    (J.SCHEDULED, J.CANCELLED),
    (J.PROCESSING, J.CANCELLED),  # cancelJob, cancelWorkflow, workflow timeout
    (J.PENDING, J.SKIPPED),  # conditional branch not taken
    (J.SCHEDULED, J.SKIPPED),
    (J.FAILED, J.SKIPPED),  # resumeWorkflow SKIP_FAILED (operator)
    (J.FAILED, J.PENDING),  # retryWorkflow, resumeWorkflow RETRY_FAILED
    (J.CANCELLED, J.PENDING),
    (J.SKIPPED, J.PENDING),
    # executions
    (E.STARTED, E.SUCCEEDED),
    (E.STARTED, E.FAILED),
    (E.STARTED, E.RETRYING),
    (E.STARTED, E.CANCELLED),
    (E.RETRYING, E.CANCELLED),  # a decision closes the attempt waiting for its retry
    # workflows
    (W.PENDING, W.RUNNING),  # startWorkflow
    (W.PAUSED, W.RUNNING),  # resumeWorkflow
    (W.FAILED, W.RUNNING),  # retryWorkflow
    (W.CANCELLED, W.RUNNING),
    (W.RUNNING, W.PAUSED),  # MANUAL policy, a job failed
    (W.RUNNING, W.SUCCEEDED),
    (W.PAUSED, W.SUCCEEDED),  # re-derived once the failed job is gone (deleteJob)
    (W.RUNNING, W.FAILED),  # a job failed, or the timeout
    (W.PAUSED, W.FAILED),  # resumeWorkflow ABORT, or the timeout while paused
    (W.PENDING, W.CANCELLED),
    (W.RUNNING, W.CANCELLED),
    (W.PAUSED, W.CANCELLED),
    # schedules
    (S.ACTIVE, S.PAUSED),
    (S.PAUSED, S.ACTIVE),
    (S.ACTIVE, S.COMPLETED),  # last run fired
    (S.COMPLETED, S.ACTIVE),  # updateSchedule raises max_runs
    (S.PAUSED, S.COMPLETED),  # updateSchedule lowers max_runs
    (S.FAILED, S.COMPLETED),
    (S.ACTIVE, S.FAILED),  # an occurrence could not fire
]

REFUSED: list[tuple[Any, Any]] = [
    (J.SUCCEEDED, J.PROCESSING),
    (J.SUCCEEDED, J.PENDING),  # only as a repair (no attempt on record)
    (J.CANCELLED, J.SUCCEEDED),
    (J.FAILED, J.SUCCEEDED),
    (J.SKIPPED, J.CANCELLED),
    (J.PENDING, J.SUCCEEDED),
    (J.SCHEDULED, J.PROCESSING),  # a due job is promoted to PENDING first
    (E.SUCCEEDED, E.FAILED),  # a finished attempt is never rewritten
    (E.CANCELLED, E.STARTED),
    (E.RETRYING, E.SUCCEEDED),
    (W.SUCCEEDED, W.RUNNING),
    (W.CANCELLED, W.CANCELLED),
    (W.PENDING, W.SUCCEEDED),
    (S.COMPLETED, S.PAUSED),
    (S.FAILED, S.ACTIVE),
]


@pytest.mark.parametrize(("source", "target"), PERFORMED)
def test_every_transition_the_code_performs_is_allowed(source: Any, target: Any) -> None:
    assert transitions.allows(source, target)
    assert source in transitions.sources(target)


@pytest.mark.parametrize(("source", "target"), REFUSED)
def test_forbidden_transitions_are_refused(source: Any, target: Any) -> None:
    assert not transitions.allows(source, target)
    kind = transitions.machine_of(target).kind
    with pytest.raises(InvalidTransition) as raised:
        transitions.check(kind, "x", source, target)
    assert raised.value.details["current"] == source.value


def test_the_tables_hold_nothing_the_code_does_not_do() -> None:
    performed = set(PERFORMED)
    for machine in (transitions.JOBS, transitions.EXECUTIONS, transitions.WORKFLOWS):
        assert machine.edges() <= performed, machine.kind
    assert transitions.SCHEDULES.edges() <= performed


def test_operator_skip_of_a_failed_job_is_allowed() -> None:
    assert can_transition(J.FAILED, J.SKIPPED)
    assert J.FAILED in sources_of(J.SKIPPED)
    check_transition("j", J.FAILED, J.SKIPPED)


def test_repairs_are_in_their_tables() -> None:
    """Every repair of ``domain.executions.REPAIR`` passes a gate: an attempt closes
    along the execution table, a job moves along the repair table."""
    for (job, latest), fix in REPAIR.items():
        if fix.execution is not None:
            assert latest is not None
            assert transitions.EXECUTIONS.allows(latest, fix.execution), (job, latest)
        if fix.job is not None:
            assert transitions.JOB_REPAIRS.allows(job, fix.job), (job, latest)


def test_a_repair_is_no_lifecycle_transition() -> None:
    assert transitions.JOB_REPAIRS.allows(J.SUCCEEDED, J.PENDING)
    assert not transitions.JOBS.allows(J.SUCCEEDED, J.PENDING)
    with pytest.raises(InvalidTransition):
        transitions.repair(Thing(uuid.uuid4(), J.PENDING), J.PROCESSING)


@dataclass
class Thing:
    id: uuid.UUID
    status: Any


ALL = [*J, *E, *W, *S]
KINDS = [JobStatus, ExecutionStatus, WorkflowStatus, ScheduleStatus]


@given(st.sampled_from(KINDS).flatmap(lambda k: st.tuples(st.sampled_from(k), st.sampled_from(k))))
def test_the_gate_moves_exactly_when_the_table_allows(pair: tuple[Any, Any]) -> None:
    current, target = pair
    thing = Thing(uuid.uuid4(), current)
    if transitions.allows(current, target):
        assert transitions.move(thing, target) is current
        assert thing.status is target
    else:
        with pytest.raises(InvalidTransition):
            transitions.move(thing, target)
        assert thing.status is current  # nothing written


def test_check_names_the_kind() -> None:
    with pytest.raises(InvalidTransition) as raised:
        transitions.check("workflow", "w1", W.SUCCEEDED, W.RUNNING)
    assert "workflow" in raised.value.message


JOB_STATES = [(status, reason) for status in J for reason in (None, "cancelled_by_user")]


@pytest.mark.parametrize(
    ("current", "policy"), list(product([W.RUNNING, W.PAUSED], list(FailurePolicy)))
)
def test_every_derived_workflow_status_is_allowed(
    current: WorkflowStatus, policy: FailurePolicy
) -> None:
    """The engine re-derives RUNNING and PAUSED workflows: whatever the jobs say, the
    result is no change or a transition of the table."""
    for a, b in product(JOB_STATES, repeat=2):
        new = derive_status(current, policy, [a, b])
        assert new is current or transitions.allows(current, new), (current, policy, a, b)
    # a terminal workflow is never re-derived into something else
    for done in TERMINAL_WORKFLOW:
        assert not transitions.allows(done, W.PAUSED)


def test_set_based_sources_stay_within_the_tables() -> None:
    t = transitions
    assert {J.PENDING} == t.CLAIMABLE
    assert t.sources(J.PENDING) >= t.DUE
    assert {J.PROCESSING} == t.RUNNING
    assert t.sources(J.CANCELLED) & t.sources(J.SKIPPED) >= t.NOT_STARTED
    assert {E.STARTED} == t.STARTED
    assert {E.STARTED, E.RETRYING} == t.OPEN
