"""Sub-workflows where their lifecycle meets the rest, on both backends: flow control,
a parent and its child timing out together, deleting a nested run or a running workflow
job, earlier child runs of a retried job, and the workflow state events carry when a
child run's end moves its parent."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from taskforge.domain.errors import Conflict, InvalidInput
from taskforge.domain.flow import Concurrency, RateLimit
from taskforge.domain.templates import MAX_NESTING
from taskforge.persistence.common import templates as templates_repo
from taskforge.persistence.common import workflows as wf_repo
from taskforge.persistence.tables import WorkflowTemplate
from taskforge.services import (
    engines,
    job_admin,
    jobs,
    queues,
    subworkflows,
    templates,
    workflows,
)
from taskforge.services.job_admin import JobFilter
from taskforge.services.workflows import ResumeAction
from tests.helpers import stored_events
from tests.integration.test_execution import Clock
from tests.integration.test_workflow_templates import child_of, etl, job_named, parent
from tests.integration.workflow_driver import run, statuses, step, worker_for, workflow_status


def one_job(name: str, timeout: str | None = None) -> dict[str, Any]:
    definition: dict[str, Any] = {"name": name, "jobs": [{"name": "x", "job_type": "t"}]}
    if timeout is not None:
        definition["timeout"] = timeout
    return definition


def running(ref: str, timeout: str | None = None, **more: Any) -> dict[str, Any]:
    """A run whose one job ``outer`` runs the template ``ref``."""
    definition: dict[str, Any] = {
        "name": "top",
        "jobs": [{"name": "outer", "workflow": {"template": ref}}],
        **more,
    }
    if timeout is not None:
        definition["timeout"] = timeout
    return definition


# -- flow control ------------------------------------------------------------------------


async def test_a_workflow_job_takes_no_slot_of_its_queues_flow_control(svc, org, admin) -> None:
    # one job of the queue at a time, and one start a minute: a workflow job, running
    # for as long as its child run, would hold both from its child's jobs in the queue
    await queues.update_queue(
        svc,
        admin,
        org.queue.id,
        settings={
            "concurrency": Concurrency.parse(None, 1),
            "rate_limit": RateLimit.parse(None, 2, 60),
        },
    )
    await templates.create(svc, admin, org.project.id, etl())
    wf = await workflows.create(svc, admin, org.project.id, running("etl"), start=True)
    outer = await job_named(svc, wf.id, "outer")
    assert outer.queue_id == org.queue.id and outer.status.value == "PROCESSING"
    assert (outer.concurrency_key, outer.rate_key) == (None, None)
    child = await child_of(svc, admin, outer.id)
    assert (await job_named(svc, child.id, "extract")).concurrency_key is not None
    w = await worker_for(svc, admin, org.queue.id)
    assert await run(svc, admin, w) == [["extract"], ["load"]]
    assert await workflow_status(svc, admin, child.id) == "SUCCEEDED"
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"


# -- timeouts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("top_timeout", "child_timeout", "first"),
    [("1m", "2m", "parent"), ("2m", "1m", "child"), ("1m", "1m", None)],
    ids=["parent-first", "child-first", "together"],
)
async def test_a_parent_and_its_child_time_out_in_one_pass(
    svc, org, admin, top_timeout: str, child_timeout: str, first: str | None
) -> None:
    clock = Clock(svc)
    await templates.create(svc, admin, org.project.id, one_job("slow", child_timeout))
    wf = await workflows.create(
        svc, admin, org.project.id, running("slow", top_timeout), start=True
    )
    child = await child_of(svc, admin, (await job_named(svc, wf.id, "outer")).id)
    clock.advance(150)  # both overdue
    assert await engines.time_out(svc) == 2
    assert await workflow_status(svc, admin, wf.id) == "FAILED"
    outer = await job_named(svc, wf.id, "outer")
    ended = (await workflow_status(svc, admin, child.id), outer.status.value, outer.status_reason)
    child_first = ("FAILED", "FAILED", "child_workflow_failed")  # failing its job
    parent_first = ("CANCELLED", "CANCELLED", "workflow_timeout")  # its job and child with it
    if first is None:  # one deadline: either comes first
        assert ended in (child_first, parent_first)
    else:
        assert ended == (child_first if first == "child" else parent_first)
    assert set((await statuses(svc, admin, child.id)).values()) == {"CANCELLED"}
    # the engine goes on: nothing is left overdue, and a later run times out in turn
    assert await engines.time_out(svc) == 0
    later = await workflows.create(svc, admin, org.project.id, one_job("later", "1m"), start=True)
    clock.advance(61)
    assert await engines.time_out(svc) == 1
    assert await workflow_status(svc, admin, later.id) == "FAILED"


# -- deletes -----------------------------------------------------------------------------


async def test_deleting_a_live_run_in_the_middle_of_a_nest(svc, org, admin) -> None:
    await templates.create(svc, admin, org.project.id, etl())
    middle = {"name": "middle", "jobs": [{"name": "inner", "workflow": {"template": "etl"}}]}
    await templates.create(svc, admin, org.project.id, middle)
    wf = await workflows.create(svc, admin, org.project.id, running("middle"), start=True)
    mid = await child_of(svc, admin, (await job_named(svc, wf.id, "outer")).id)
    leaf = await child_of(svc, admin, (await job_named(svc, mid.id, "inner")).id)
    assert await workflows.delete(svc, admin, mid.id) == mid.id
    outer = await job_named(svc, wf.id, "outer")
    assert (outer.status.value, outer.status_reason) == ("FAILED", "child_workflow_cancelled")
    assert await workflow_status(svc, admin, wf.id) == "FAILED"
    assert await workflow_status(svc, admin, leaf.id) == "CANCELLED"
    assert set((await statuses(svc, admin, leaf.id)).values()) == {"CANCELLED"}
    w = await worker_for(svc, admin, org.queue.id)
    assert await run(svc, admin, w) == []


async def test_deleting_a_top_level_run_cancels_its_child_runs(svc, org, admin) -> None:
    await templates.create(svc, admin, org.project.id, etl())
    wf = await workflows.create(svc, admin, org.project.id, running("etl"), start=True)
    child = await child_of(svc, admin, (await job_named(svc, wf.id, "outer")).id)
    await workflows.delete(svc, admin, wf.id)
    assert await workflow_status(svc, admin, child.id) == "CANCELLED"
    async with svc.read() as session:
        deleted = await stored_events(session)
    gone = next(e["payload"] for e in deleted if e["type"] == "workflow.deleted")
    assert gone["status"] == "RUNNING"  # deleted as it was, not ended first by its child


async def test_deleting_a_running_workflow_job_cancels_its_child_run(svc, org, admin) -> None:
    await templates.create(svc, admin, org.project.id, etl())
    wf = await workflows.create(svc, admin, org.project.id, parent({"template": "etl"}), start=True)
    w = await worker_for(svc, admin, org.queue.id)
    assert await step(svc, admin, w) == ["prep"]
    sub = await job_named(svc, wf.id, "sub")
    child = await child_of(svc, admin, sub.id)
    await jobs.delete(svc, admin, sub.id)
    assert await workflow_status(svc, admin, child.id) == "CANCELLED"
    assert set((await statuses(svc, admin, child.id)).values()) == {"CANCELLED"}
    assert "sub" not in await statuses(svc, admin, wf.id)
    # the child's jobs were cancelled with it ("after", its edge gone, runs)
    assert await run(svc, admin, w) == [["after"]]


# -- earlier child runs ------------------------------------------------------------------


async def test_an_earlier_child_run_of_a_retried_job_decides_nothing(svc, org, admin) -> None:
    await templates.create(svc, admin, org.project.id, etl())
    wf = await workflows.create(svc, admin, org.project.id, parent({"template": "etl"}), start=True)
    w = await worker_for(svc, admin, org.queue.id)
    await run(svc, admin, w, lambda name: "fail" if name == "load" else "ok")
    sub = await job_named(svc, wf.id, "sub")
    old = await child_of(svc, admin, sub.id)
    # the job has ended with its child: running the child again would decide nothing
    with pytest.raises(Conflict) as refused:
        await workflows.retry(svc, admin, old.id)
    assert f"child run of job {sub.id}" in refused.value.message
    assert "has ended" in refused.value.message
    await job_admin.retry(svc, admin, sub.id)
    new = await child_of(svc, admin, sub.id)
    assert new.id != old.id
    # now it waits for the new one: the old one is still not run again, whichever way
    with pytest.raises(Conflict) as refused:
        await workflows.retry(svc, admin, old.id)
    assert "waits for a newer child run" in refused.value.message
    old_load = await job_named(svc, old.id, "load")
    with pytest.raises(Conflict):
        await job_admin.retry(svc, admin, old_load.id)
    assert await job_admin.retry_many(svc, admin, JobFilter(workflow_id=old.id)) == 0
    assert await workflow_status(svc, admin, old.id) == "FAILED"
    # and, had it ended again, its end would be ignored
    async with svc.write() as session:
        row = await wf_repo.lock(session, admin.organization_id, old.id)
        assert row is not None
        await subworkflows.child_ended(session, row, svc.clock())
    assert (await job_named(svc, wf.id, "sub")).status.value == "PROCESSING"
    assert await run(svc, admin, w, lambda name: {"from": "new"}) == [
        ["extract"],
        ["load"],
        ["after"],
    ]
    sub = await job_named(svc, wf.id, "sub")
    assert sub.output == {"workflowId": str(new.id), "outputs": {"load": {"from": "new"}}}
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"


async def test_a_child_run_its_job_waits_for_is_resumed_and_retried(svc, org, admin) -> None:
    manual = {**etl(), "name": "manual", "failure_policy": "MANUAL"}
    await templates.create(svc, admin, org.project.id, manual)
    wf = await workflows.create(svc, admin, org.project.id, running("manual"), start=True)
    w = await worker_for(svc, admin, org.queue.id)

    def fails(name: str) -> str:
        return "fail" if name == "load" else "ok"

    assert await run(svc, admin, w, fails) == [["extract"], ["load"]]
    child = await child_of(svc, admin, (await job_named(svc, wf.id, "outer")).id)
    assert await workflow_status(svc, admin, child.id) == "PAUSED"
    # the job still waits for it: the operator's answers are taken
    await workflows.resume(svc, admin, child.id, ResumeAction.RETRY_FAILED)
    assert await run(svc, admin, w, fails) == [["load"]]
    assert await workflow_status(svc, admin, child.id) == "PAUSED"
    await job_admin.retry(svc, admin, (await job_named(svc, child.id, "load")).id)
    assert await run(svc, admin, w, fails) == [["load"]]
    assert await workflow_status(svc, admin, child.id) == "PAUSED"
    await workflows.resume(svc, admin, child.id, ResumeAction.ABORT)
    assert await workflow_status(svc, admin, child.id) == "FAILED"
    outer = await job_named(svc, wf.id, "outer")
    assert (outer.status.value, outer.status_reason) == ("FAILED", "child_workflow_failed")


# -- events ------------------------------------------------------------------------------


async def test_events_carry_the_parents_state_after_its_child_run_ended(svc, org, admin) -> None:
    """One acknowledgement finishes a job of the parent, which stays running as the engine
    reads it, and then the child run's last job: the child's end ends the parent, and
    the parent's job event carries that state, not the one read before."""
    await templates.create(svc, admin, org.project.id, one_job("one"))
    both = {
        "name": "p",
        "jobs": [
            {"name": "prep", "job_type": "t"},
            {"name": "sub", "workflow": {"template": "one"}},
        ],
    }
    # the engine refreshes workflows in id order: the parent's must come first
    for _ in range(40):
        wf = await workflows.create(svc, admin, org.project.id, both, start=True)
        child = await child_of(svc, admin, (await job_named(svc, wf.id, "sub")).id)
        if wf.id < child.id:
            break
        await workflows.cancel(svc, admin, wf.id)
    else:
        pytest.fail("no parent run sorted before its child run")
    w = await worker_for(svc, admin, org.queue.id)
    assert sorted(await step(svc, admin, w)) == ["prep", "x"]
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"
    prep = await job_named(svc, wf.id, "prep")
    async with svc.read() as session:
        events = await stored_events(session)
    done = [
        e["payload"]
        for e in events
        if e["type"] == "job.status_changed"
        and e["payload"]["jobId"] == str(prep.id)
        and e["payload"]["status"] == "SUCCEEDED"
    ]
    state = done[-1]["workflow"]
    assert state["status"] == "SUCCEEDED"
    assert {s: n for s, n in state["stats"]["counts"].items() if n} == {"SUCCEEDED": 2}


# -- nesting -----------------------------------------------------------------------------


async def test_a_stored_chain_too_deep_is_refused_after_reading_the_limit(
    svc, org, admin, monkeypatch
) -> None:
    """Templates saved before a check (or by hand) may nest deeper than the limit: the
    check reads at most MAX_NESTING levels of them, then refuses."""
    async with svc.write() as session:
        for i in range(3 * MAX_NESTING):
            down = [{"name": "down", "workflow": {"template": f"c{i + 1}"}}]
            leaf = [{"name": "x", "job_type": "t"}]
            session.add(
                WorkflowTemplate(
                    id=uuid.uuid4(),
                    organization_id=admin.organization_id,
                    project_id=org.project.id,
                    name=f"c{i}",
                    version=1,
                    definition={
                        "name": f"c{i}",
                        "jobs": leaf if i == 3 * MAX_NESTING - 1 else down,
                    },
                    job_count=1,
                    created_at=svc.clock() - timedelta(minutes=1),
                )
            )
    reads = []
    real = templates_repo.versions

    async def counted(session, org_id, project_id, nodes):
        reads.append(list(nodes))
        return await real(session, org_id, project_id, nodes)

    monkeypatch.setattr(templates_repo, "versions", counted)
    definition = {"name": "top", "jobs": [{"name": "go", "workflow": {"template": "c0"}}]}
    with pytest.raises(InvalidInput) as refused:
        await workflows.create(svc, admin, org.project.id, definition)
    assert len(reads) <= MAX_NESTING  # not the 30 levels stored
    assert refused.value.details["field"] == "jobs[0].workflow.template"
    assert f"more than {MAX_NESTING} levels" in refused.value.message
