"""Status transitions of jobs, executions, workflows and schedules, as tables.

Each table maps a target status to the statuses it may be reached from. Every row
says who takes it: a worker, the engine (scheduler loop, dependency resolver, lease
reaper, workflow timeouts) or an operator (a mutation). A status is set at creation
(a job PENDING or SCHEDULED, an execution STARTED, a workflow PENDING, a schedule
ACTIVE) without a transition.

``move`` is the gate the services change an entity's status through: it checks the
table and sets the status, or raises ``InvalidTransition`` and leaves the entity as
it was. Set-based updates in the store take their WHERE's source statuses from
``sources``. Consistency repairs (``domain.executions.REPAIR``) move a job against
its lifecycle, e.g. SUCCEEDED back to PENDING when no attempt is on record; they go
through ``repair``, which checks their own table, derived from ``REPAIR``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from taskforge.domain.enums import ExecutionStatus, JobStatus, ScheduleStatus, WorkflowStatus
from taskforge.domain.errors import InvalidTransition
from taskforge.domain.executions import REPAIR

St = TypeVar("St", bound=StrEnum)

J, E, W, S = JobStatus, ExecutionStatus, WorkflowStatus, ScheduleStatus


@dataclass(frozen=True)
class Machine(Generic[St]):
    """One kind's table: target -> the statuses it may be reached from."""

    kind: str
    table: Mapping[St, frozenset[St]]

    def sources(self, target: St) -> frozenset[St]:
        return self.table.get(target, frozenset())

    def allows(self, current: St, target: St) -> bool:
        return current in self.sources(target)

    def check(self, ident: object, current: St, target: St) -> None:
        if not self.allows(current, target):
            raise InvalidTransition(self.kind, ident, current.value, target.value)

    def edges(self) -> frozenset[tuple[St, St]]:
        """Every allowed (source, target) pair."""
        return frozenset((s, t) for t, sources in self.table.items() for s in sources)


JOBS: Machine[JobStatus] = Machine(
    "job",
    {
        # engine: a claim takes a ready job (a due SCHEDULED one is promoted first)
        J.PROCESSING: frozenset({J.PENDING}),
        # worker: completeJob acknowledges the running attempt
        J.SUCCEEDED: frozenset({J.PROCESSING}),
        # worker (failJob) or engine (lease reaper): no attempts left, or not retryable;
        # engine: a payload reference that names nothing as the job becomes ready
        J.FAILED: frozenset({J.PROCESSING, J.PENDING}),
        # worker (failJob) or engine (lease reaper): attempts left, retry after backoff;
        # operator: updateJob moves a waiting job's start to a later time
        J.SCHEDULED: frozenset({J.PROCESSING, J.PENDING}),
        # operator: cancelJob, cancelWorkflow, workflow abort; engine: a workflow's
        # timeout (running jobs too), a failed dependency or FAIL_FAST (not started only)
        J.CANCELLED: frozenset({J.PENDING, J.SCHEDULED, J.PROCESSING}),
        # engine: a conditional branch not taken (not started only);
        # operator: resumeWorkflow SKIP_FAILED counts a failed step as done
        J.SKIPPED: frozenset({J.PENDING, J.SCHEDULED, J.FAILED}),
        # engine: a scheduled job or a retry comes due;
        # operator: retryWorkflow, resumeWorkflow RETRY_FAILED, retryJob(s) re-run ended
        # jobs; updateJob brings a scheduled start forward to now
        J.PENDING: frozenset({J.SCHEDULED, J.FAILED, J.CANCELLED, J.SKIPPED}),
    },
)

EXECUTIONS: Machine[ExecutionStatus] = Machine(
    "execution",
    {
        # worker: completeJob; repair: a job SUCCEEDED meanwhile closes its attempt
        E.SUCCEEDED: frozenset({E.STARTED}),
        # worker (failJob) or engine (lease reaper, orphan cleanup); repair likewise
        E.FAILED: frozenset({E.STARTED}),
        # worker (failJob) or engine (lease reaper): the job waits for its retry
        E.RETRYING: frozenset({E.STARTED}),
        # operator (cancel) or engine (workflow ended, dependency failed): the decision
        # closes the open attempt, running or waiting for its retry
        E.CANCELLED: frozenset({E.STARTED, E.RETRYING}),
    },
)

WORKFLOWS: Machine[WorkflowStatus] = Machine(
    "workflow",
    {
        # operator: startWorkflow (PENDING), resumeWorkflow (PAUSED), retryWorkflow
        # (FAILED, CANCELLED); engine: a paused workflow whose failure is gone
        W.RUNNING: frozenset({W.PENDING, W.PAUSED, W.FAILED, W.CANCELLED}),
        # engine: MANUAL policy, a job failed
        W.PAUSED: frozenset({W.RUNNING}),
        # engine: every job ended well (a paused one too, once its failed job is deleted)
        W.SUCCEEDED: frozenset({W.RUNNING, W.PAUSED}),
        # engine: every job ended and one failed, or the timeout passed;
        # operator: resumeWorkflow ABORT (PAUSED)
        W.FAILED: frozenset({W.RUNNING, W.PAUSED}),
        # operator: cancelWorkflow
        W.CANCELLED: frozenset({W.PENDING, W.RUNNING, W.PAUSED}),
    },
)

SCHEDULES: Machine[ScheduleStatus] = Machine(
    "schedule",
    {
        # operator: resumeSchedule (PAUSED), updateSchedule allowing more runs (COMPLETED)
        S.ACTIVE: frozenset({S.PAUSED, S.COMPLETED}),
        # operator: pauseSchedule
        S.PAUSED: frozenset({S.ACTIVE}),
        # engine: last run fired or no occurrence left;
        # operator: updateSchedule lowering max_runs to the runs done
        S.COMPLETED: frozenset({S.ACTIVE, S.PAUSED, S.FAILED}),
        # engine: a due occurrence could not fire (quota used up, queue deleted)
        S.FAILED: frozenset({S.ACTIVE}),
    },
)


def _job_repairs() -> dict[JobStatus, frozenset[JobStatus]]:
    table: dict[JobStatus, set[JobStatus]] = {}
    for (job, _), fix in REPAIR.items():
        if fix.job is not None:
            table.setdefault(fix.job, set()).add(job)
    return {target: frozenset(sources) for target, sources in table.items()}


# operator (syncJobStatus) or engine (orphan cleanup): a job follows its latest attempt
JOB_REPAIRS: Machine[JobStatus] = Machine("job", _job_repairs())

# Source statuses of the store's set-based writes: a table's sources, or the part of
# them an engine step takes (tests keep each within its table).
CLAIMABLE = JOBS.sources(J.PROCESSING)  # claim: -> PROCESSING
DUE = frozenset({J.SCHEDULED})  # promote_due: -> PENDING
RUNNING = JOBS.sources(J.SUCCEEDED)  # acknowledgement: -> SUCCEEDED
NOT_STARTED = frozenset({J.PENDING, J.SCHEDULED})  # end_not_started: -> CANCELLED, SKIPPED
STARTED = EXECUTIONS.sources(E.SUCCEEDED)  # acknowledgement of the attempt: -> SUCCEEDED
OPEN = EXECUTIONS.sources(E.CANCELLED)  # close_open_attempts: -> CANCELLED

_BY_TYPE: dict[type[StrEnum], Machine[Any]] = {
    JobStatus: JOBS,
    ExecutionStatus: EXECUTIONS,
    WorkflowStatus: WORKFLOWS,
    ScheduleStatus: SCHEDULES,
}
_BY_KIND: dict[str, Machine[Any]] = {m.kind: m for m in _BY_TYPE.values()}


def machine_of(status: St) -> Machine[St]:
    machine: Machine[St] = _BY_TYPE[type(status)]
    return machine


def sources(target: St) -> frozenset[St]:
    """Statuses ``target`` may be reached from (the WHERE of a guarded update)."""
    return machine_of(target).sources(target)


def allows(current: St, target: St) -> bool:
    return machine_of(target).allows(current, target)


def check(kind: str, ident: object, current: St, target: St) -> None:
    """Raise InvalidTransition unless ``kind``'s table allows current -> target."""
    machine: Machine[St] = _BY_KIND[kind]
    machine.check(ident, current, target)


class Stateful(Protocol[St]):
    """Anything with an id and a status: ORM rows and records alike."""

    @property
    def id(self) -> Any: ...

    status: St


def move(entity: Stateful[St], target: St) -> St:
    """The gate: ``entity.status`` becomes ``target`` if the table allows it, else
    InvalidTransition and nothing is written. Returns the previous status."""
    previous = entity.status
    machine_of(target).check(entity.id, previous, target)
    entity.status = target
    return previous


def repair(entity: Stateful[JobStatus], target: JobStatus) -> JobStatus:
    """The gate for consistency repairs of a job (``domain.executions.REPAIR``)."""
    previous = entity.status
    JOB_REPAIRS.check(entity.id, previous, target)
    entity.status = target
    return previous
