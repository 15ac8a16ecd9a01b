"""Stateful property test on the real services, on both backends: random sequences of
enqueue, claim, acknowledgements (stale ones too), cancel, operator skip, retry, resume,
delete, lease expiry and timeouts (a controlled clock and the reaper), and the repairs
(syncJobStatus, cleanupOrphans). After every step each job and its latest execution
form a pair the consistency table accepts, a cancelled or skipped job stays so, and no
such job is claimed again unless it was explicitly retried.

Hypothesis drives the machine synchronously; every rule runs the async services to
completion on an event loop of the test's own (the test function is not async).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from taskforge.domain.enums import ExecutionStatus, JobStatus, Tier, WorkflowStatus
from taskforge.domain.errors import Conflict, NotFound, TaskForgeError
from taskforge.domain.executions import consistent
from taskforge.persistence.tables import Job, JobExecution
from taskforge.runtime import Runtime
from taskforge.services import (
    consistency,
    engines,
    executions,
    jobs,
    queues,
    workers,
    workflow_reads,
    workflows,
)
from taskforge.services.workflows import ResumeAction
from tests.conftest import admin_of, make_settings, new_org
from tests.integration.test_execution import make_worker

QUEUE = {
    "max_attempts": 3,
    "base_delay": 10,
    "multiplier": 2,
    "max_delay": 40,
    "jitter": False,
    "timeout_seconds": 45,
}
# set by a client's, an operator's or the engine's decision
DECIDED = {JobStatus.CANCELLED, JobStatus.SKIPPED}
POLICIES = ["MANUAL", "FAIL_FAST", "CONTINUE_ON_FAILURE"]
J, E = JobStatus, ExecutionStatus
# the states rules aim at, beside any job at all
AIMS: dict[str, set[tuple[JobStatus, ExecutionStatus | None]]] = {
    "any": set(),
    "running": {(J.PROCESSING, E.STARTED)},
    "retrying": {(J.SCHEDULED, E.RETRYING), (J.PENDING, E.RETRYING)},
    "decided": {(s, e) for s in DECIDED for e in [None, *ExecutionStatus]},
}
RETRIABLE = (WorkflowStatus.FAILED, WorkflowStatus.CANCELLED)
LIVE = (WorkflowStatus.RUNNING, WorkflowStatus.PAUSED)
CLIENT = ["cancel any", "cancel running", "cancel retrying", "delete job", "delete workflow"]
# SKIP_FAILED (the operator's skip of finding 10) twice as often as the others
OPERATOR = ["cancel", "retry", "RETRY_FAILED", "SKIP_FAILED", "SKIP_FAILED", "ABORT"]
# what a worker does with a claim: succeed, fail (retryably or not), or keep it running
OUTCOMES = ["ok", "retry", "fail", "hold"]
# an index counted from the newest: rules mostly act on what just happened
RECENT = st.integers(0, 5)
MACHINE = settings(
    max_examples=30,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class Env:
    """What the examples share: the loop, the services, and the clock they read."""

    def __init__(self, loop: asyncio.AbstractEventLoop, svc: Any) -> None:
        self.loop, self.svc = loop, svc
        self.now = svc.clock()
        svc.clock = lambda: self.now


class ConsistencyMachine(RuleBasedStateMachine):
    env: ClassVar[Env]

    def run(self, coro: Any) -> Any:
        # a tick per call: rows written by different calls never tie on created_at, so
        # claims come in one order and a replayed example takes the same path
        self.env.now += timedelta(milliseconds=1)
        return self.env.loop.run_until_complete(coro)

    @initialize(
        policies=st.lists(st.sampled_from(POLICIES), min_size=1, max_size=2),
        n=st.integers(0, 3),
    )
    def tenant(self, policies: list[str], n: int) -> None:
        """A fresh organization per example, with a retrying queue, one worker, and some
        workflows and jobs to start from."""
        self.svc = self.env.svc
        org = self.run(new_org(self.svc, "Machine", Tier.ENTERPRISE))
        self.org_id, self.project_id = org.organization.id, org.project.id
        self.admin = admin_of(org)
        queue = self.run(
            queues.create_queue(self.svc, self.admin, self.project_id, "r", settings=QUEUE)
        )
        self.queue_id = queue.id
        # workflows' first steps wait here, so that a rule can make one fail
        first = self.run(
            queues.create_queue(self.svc, self.admin, self.project_id, "first", settings=QUEUE)
        )
        self.first_queue = first.id
        self.worker = self.run(make_worker(self.svc, self.admin, queue.id, first.id)).id
        self.jobs: list[uuid.UUID] = []
        self.workflows: list[uuid.UUID] = []
        self.claims: list[uuid.UUID] = []  # execution ids, oldest first
        # cancelled or skipped, and not explicitly retried since
        self.decided: set[uuid.UUID] = set()
        # each job's (status, latest execution's status) and each workflow's status, as
        # the last step left them
        self.seen: dict[uuid.UUID, tuple[JobStatus, ExecutionStatus | None]] = {}
        self.seen_workflows: dict[uuid.UUID, WorkflowStatus] = {}
        for policy in policies:
            self.create_workflow(policy, timed=False)
        if n:
            self.enqueue(n, later=False)

    def pick(self, items: list[uuid.UUID], back: int) -> uuid.UUID:
        return items[-1 - back % len(items)]

    def jobs_in(self, which: str) -> list[uuid.UUID]:
        """The jobs in one of the states a rule aims at (all of them when none is)."""
        aimed = [j for j in self.jobs if j in self.seen and self.seen[j] in AIMS[which]]
        return aimed or self.jobs

    def workflows_in(self, *statuses: WorkflowStatus) -> list[uuid.UUID]:
        return [w for w in self.workflows if self.seen_workflows.get(w) in statuses]

    def attempt(self, coro: Any) -> bool:
        """Run an operation whose target may refuse it (wrong state, gone): a refusal is
        a coded error, never anything else."""
        try:
            self.run(coro)
        except TaskForgeError:
            return False
        return True

    def acknowledge(self, execution_id: uuid.UUID, outcome: str) -> None:
        if outcome == "hold":  # the worker keeps it running (until its lease expires)
            return
        if outcome == "ok":
            acks = self.run(executions.complete(self.svc, self.admin, [(execution_id, None)]))
        else:
            failure = ("boom", outcome == "retry")
            acks = self.run(executions.fail(self.svc, self.admin, [(execution_id, failure)]))
        # a stale acknowledgement (cancelled, expired, deleted) is refused with a code
        assert acks[0].error is None or isinstance(acks[0].error, Conflict | NotFound), acks

    # -- what clients and workers do --------------------------------------------------

    @rule(n=st.integers(1, 3), later=st.booleans())
    def enqueue(self, n: int, later: bool) -> None:
        when = self.env.now + timedelta(seconds=15) if later else None
        specs = [  # one priority each: a batch's rows share their created_at
            jobs.NewJob(queue_id=self.queue_id, job_type="t", priority=p, scheduled_for=when)
            for p in range(2, 2 + n)
        ]
        self.jobs += [j.id for j in self.run(jobs.enqueue(self.svc, self.admin, specs))]

    @rule(policy=st.sampled_from(POLICIES), timed=st.booleans())
    def create_workflow(self, policy: str, timed: bool) -> None:
        definition: dict[str, Any] = {
            "name": "wf",
            "failure_policy": policy,
            "jobs": [
                {"name": "a", "job_type": "t", "queue": "first", "priority": 9},
                {"name": "b", "job_type": "t", "queue": "r", "depends_on": ["a"]},
                {"name": "side", "job_type": "t", "queue": "r", "priority": 1},
            ],
        }
        if timed:
            definition["timeout"] = "1m"
        wf = self.run(workflows.create(self.svc, self.admin, self.project_id, definition, True))
        self.workflows.append(wf.id)
        self.jobs += [j.id for j in self.run(workflow_reads.jobs_of(self.svc, self.admin, [wf.id]))]

    @rule(
        outcomes=st.lists(st.sampled_from(OUTCOMES), min_size=1, max_size=3),
        lease=st.sampled_from([10, 30, 60]),
        then_cancel=st.booleans(),
    )
    def work(self, outcomes: list[str], lease: int, then_cancel: bool) -> None:
        """Claim up to len(outcomes) jobs (not first steps) and do with each what its
        outcome says; then, perhaps, a client cancels the last one (running, waiting for
        its retry, or ended)."""
        claimed = self.take([self.queue_id], outcomes, lease)
        if claimed and then_cancel:
            self.cancel_job(claimed[-1])

    def take(self, queue_ids: list[uuid.UUID], outcomes: list[str], lease: int) -> list[uuid.UUID]:
        """Claim and acknowledge; returns the jobs claimed."""
        claimed = self.run(
            executions.claim(self.svc, self.admin, self.worker, queue_ids, len(outcomes), lease)
        )
        for c, outcome in zip(claimed, outcomes, strict=False):
            assert c.job.id not in self.decided, f"job {c.job.id} was cancelled, claimed again"
            self.claims.append(c.execution_id)
            self.acknowledge(c.execution_id, outcome)
        return [c.job.id for c in claimed]

    @precondition(lambda self: self.workflows)
    @rule(outcome=st.sampled_from(OUTCOMES))
    def first_step(self, outcome: str) -> None:
        """A worker of the workflows' first steps (their own queue) runs the oldest one:
        when it fails for good, a MANUAL workflow waits for its operator and a FAIL_FAST
        one cancels the rest."""
        self.take([self.first_queue], [outcome], lease=60)

    @precondition(lambda self: self.claims)
    @rule(back=RECENT, outcome=st.sampled_from(OUTCOMES))
    def acknowledge_again(self, back: int, outcome: str) -> None:
        """A late (often stale) acknowledgement of an earlier claim."""
        self.acknowledge(self.pick(self.claims, back), outcome)

    @precondition(lambda self: self.jobs)
    @rule(back=st.integers(0, 20), what=st.sampled_from(CLIENT))
    def client(self, back: int, what: str) -> None:
        """cancelJob (of any job, a running one, or one waiting for its retry), deleteJob,
        or deleteWorkflow with its jobs."""
        if what == "delete workflow":
            if not self.workflows:
                return
            wf = self.pick(self.workflows, back)
            gone = {j.id for j in self.run(workflow_reads.jobs_of(self.svc, self.admin, [wf]))}
            if self.attempt(workflows.delete(self.svc, self.admin, wf)):
                self.workflows.remove(wf)
                self.jobs = [j for j in self.jobs if j not in gone]
        elif what == "delete job":
            job_id = self.pick(self.jobs, back)
            if self.attempt(jobs.delete(self.svc, self.admin, job_id)):
                self.jobs.remove(job_id)
        else:
            self.cancel_job(self.pick(self.jobs_in(what.removeprefix("cancel ")), back))

    def cancel_job(self, job_id: uuid.UUID) -> None:
        self.attempt(jobs.cancel(self.svc, self.admin, job_id, "no"))

    # -- what operators do ------------------------------------------------------------

    @precondition(lambda self: self.workflows)
    @rule(back=RECENT, what=st.sampled_from(OPERATOR))
    def operator(self, back: int, what: str) -> None:
        """cancelWorkflow, retryWorkflow, or resumeWorkflow (SKIP_FAILED is the operator's
        skip), aimed at a workflow in a status that accepts it when there is one."""
        accepts = {"retry": RETRIABLE, "cancel": LIVE}.get(what, (WorkflowStatus.PAUSED,))
        wf = self.pick(self.workflows_in(*accepts) or self.workflows, back)
        if what == "cancel":
            self.attempt(workflows.cancel(self.svc, self.admin, wf))
        elif what == "retry":
            if self.attempt(workflows.retry(self.svc, self.admin, wf)):
                # explicitly retried: its cancelled and skipped jobs may run again
                again = self.run(workflow_reads.jobs_of(self.svc, self.admin, [wf]))
                self.decided -= {j.id for j in again if j.status not in DECIDED}
        else:
            self.attempt(workflows.resume(self.svc, self.admin, wf, ResumeAction(what)))

    # -- time, the engines' steps, and the repairs --------------------------------------

    @rule(seconds=st.sampled_from([1, 11, 31, 61]))
    def time_passes(self, seconds: int) -> None:
        """Retries come due, leases expire, queue and workflow timeouts pass, silent
        workers go OFFLINE."""
        self.env.now += timedelta(seconds=seconds)
        self.run(executions.reap(self.svc))
        self.run(engines.time_out(self.svc))
        self.run(workers.mark_silent_offline(self.svc))

    @precondition(lambda self: self.jobs)
    @rule(back=st.integers(0, 20), which=st.sampled_from(["decided", "any", "everything"]))
    def repair(self, back: int, which: str) -> None:
        """syncJobStatus of one job (often a cancelled or skipped one), or cleanupOrphans
        of the tenant."""
        if which == "everything":
            self.run(consistency.cleanup_orphans(self.svc, self.admin))
        else:
            job_id = self.pick(self.jobs_in(which), back)
            self.attempt(consistency.sync_job_status(self.svc, self.admin, job_id))

    # -- after every step -------------------------------------------------------------

    @invariant()
    def pairs_agree_and_decisions_hold(self) -> None:
        self.seen.clear()
        rows = self.run(workflow_reads.by_ids(self.svc, self.admin, self.workflows))
        self.seen_workflows = {wf.id: wf.status for wf in rows}
        for job_id, status, latest in self.run(self.pairs()):
            self.seen[job_id] = (status, latest)
            assert consistent(status, latest), (job_id, status, latest)
            if job_id in self.decided:
                assert status in DECIDED, f"job {job_id} was revived: {status}, {latest}"
            elif status in DECIDED:
                self.decided.add(job_id)

    async def pairs(self) -> list[tuple[uuid.UUID, JobStatus, ExecutionStatus | None]]:
        """(job, status, latest execution's status) of every job of the tenant."""
        latest = (
            select(JobExecution.status)
            .where(JobExecution.job_id == Job.id)
            .order_by(JobExecution.attempt_number.desc(), JobExecution.created_at.desc())
            .limit(1)
            .scalar_subquery()
        )
        async with self.svc.read() as session:
            rows = await session.execute(
                select(Job.id, Job.status, latest).where(Job.organization_id == self.org_id)
            )
            return [(i, s, None if e is None else ExecutionStatus(e)) for i, s, e in rows]


@pytest.mark.timeout(300)  # passes in well under a minute; a failure shrinks for longer
def test_consistency_holds_after_every_step(database_url: str, tmp_path: Path) -> None:
    loop = asyncio.new_event_loop()
    try:
        runtime = Runtime.create(make_settings(database_url, tmp_path))
        loop.run_until_complete(runtime.start(migrate=False, engines=False))
        try:
            machine = type("Machine", (ConsistencyMachine,), {"env": Env(loop, runtime.services)})
            run_state_machine_as_test(machine, settings=MACHINE)
        finally:
            loop.run_until_complete(runtime.stop())
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
