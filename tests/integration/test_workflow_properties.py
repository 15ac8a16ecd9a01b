"""Property test on the real services: random DAGs with random outcomes and policies
always end with every job terminal, no job claimed before its edges resolved, and the
workflow's status agreeing with its jobs."""

from __future__ import annotations

import random
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from taskforge.domain.enums import EdgeStatus, JobStatus, WorkflowStatus
from taskforge.persistence.common import workflows as wf_repo
from taskforge.persistence.tables import Job, JobDependency
from taskforge.services import executions, workflow_reads, workflows
from taskforge.services.workflows import ResumeAction
from tests.integration.workflow_driver import worker_for

WORKERS: dict = {}
TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED", "SKIPPED"}
EDGE_KINDS = [
    {},
    {"type": "PARALLEL"},
    {"condition": "ALWAYS"},
    {"condition": "FAILED"},
    {"type": "CONDITIONAL", "expression": "output.ok == true"},
]


@st.composite
def dags(draw: st.DrawFn) -> dict:
    n = draw(st.integers(2, 7))
    jobs = []
    for i in range(n):
        parents = draw(st.lists(st.integers(0, i - 1), unique=True, max_size=3)) if i else []
        deps = [{"job": f"j{p}", **draw(st.sampled_from(EDGE_KINDS))} for p in parents]
        jobs.append({"name": f"j{i}", "job_type": "t", "dependencies": deps})
    policy = draw(st.sampled_from(["FAIL_FAST", "CONTINUE_ON_FAILURE", "MANUAL"]))
    return {"name": "random", "failure_policy": policy, "jobs": jobs}


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(definition=dags(), seed=st.integers(0, 2**16))
async def test_random_workflows_end_consistently(svc, org, admin, definition, seed) -> None:
    rng = random.Random(seed)
    outcome = {
        j["name"]: rng.choice(["ok", "fail", {"ok": True}, {"ok": False}])
        for j in definition["jobs"]
    }
    wf = await workflows.create(svc, admin, org.project.id, definition, start=True)
    # one worker for all examples (the subscription caps live workers)
    worker = WORKERS.get(org.queue.id) or await worker_for(svc, admin, org.queue.id)
    WORKERS[org.queue.id] = worker
    for _ in range(100):
        claimed = await executions.claim(svc, admin, worker, None, rng.randint(1, 4))
        if claimed:
            await _assert_edges_resolved(svc, [c.job.id for c in claimed])
            for c in claimed:
                what = outcome[c.job.name]
                if what == "fail":
                    await executions.fail(svc, admin, [(c.execution_id, ("no", False))])
                else:
                    out = what if isinstance(what, dict) else None
                    await executions.complete(svc, admin, [(c.execution_id, out)])
            continue
        status = (await workflow_reads.get(svc, admin, wf.id)).status
        if status is WorkflowStatus.PAUSED:
            await workflows.resume(svc, admin, wf.id, rng.choice(list(ResumeAction)))
            outcome = {k: "ok" if v == "fail" else v for k, v in outcome.items()}
            continue
        break
    async with svc.read() as session:
        jobs = list(await session.scalars(select(Job).where(Job.workflow_id == wf.id)))
    final = (await workflow_reads.get(svc, admin, wf.id)).status
    assert {j.status.value for j in jobs} <= TERMINAL, [(j.name, j.status) for j in jobs]
    failed = any(
        j.status is JobStatus.FAILED
        or (j.status is JobStatus.CANCELLED and j.status_reason != "cancelled_by_user")
        for j in jobs
    )
    assert final is (WorkflowStatus.FAILED if failed else WorkflowStatus.SUCCEEDED)
    # the counts events report (trigger-kept on PostgreSQL) are the jobs' own counts,
    # after retries, skips and cancellations
    async with svc.read() as session:
        [(status, counts)] = (await wf_repo.states(session, [wf.id])).values()
    assert status is final
    assert counts == Counter(j.status for j in jobs)


async def _assert_edges_resolved(svc, job_ids) -> None:
    async with svc.read() as session:
        edges = list(
            await session.scalars(
                select(JobDependency).where(JobDependency.child_job_id.in_(job_ids))
            )
        )
    assert all(e.status is EdgeStatus.RESOLVED for e in edges), [
        (e.dependency_type, e.status) for e in edges
    ]
