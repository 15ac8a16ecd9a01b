"""Workflow templates and sub-workflows on both backends: versions, runs made from a
template, workflow jobs running a template as a child run (success, failure, cancel,
retry, nesting), refused cycles and unknown templates, tenant isolation, and that no
worker ever claims a workflow job."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from taskforge.domain.enums import OverlapPolicy, ScheduleKind
from taskforge.domain.errors import Conflict, InvalidInput, NotFound
from taskforge.domain.templates import MAX_NESTING, WORKFLOW_JOB_TYPE, TemplateRef
from taskforge.persistence.common import templates as templates_repo
from taskforge.persistence.common import workflows as wf_repo
from taskforge.services import (
    consistency,
    dependencies,
    executions,
    job_admin,
    jobs,
    queues,
    scheduler,
    schedules,
    templates,
    tenancy,
    workflow_reads,
    workflows,
)
from taskforge.services.dependencies import Direction
from taskforge.services.schedules import ScheduleSpec
from tests.conftest import admin_of
from tests.integration.test_execution import Clock
from tests.integration.workflow_driver import run, statuses, step, worker_for, workflow_status


def etl(version_tag: str = "v1", fail: bool = False) -> dict[str, Any]:
    """A small template: extract -> load (a leaf)."""
    return {
        "name": "etl",
        "description": f"extract and load ({version_tag})",
        "jobs": [
            {"name": "extract", "job_type": "t", "payload": {"tag": version_tag}},
            {"name": "load", "job_type": "fail" if fail else "t", "depends_on": ["extract"]},
        ],
    }


def parent(ref: dict[str, Any], policy: str = "FAIL_FAST") -> dict[str, Any]:
    """prep -> sub (runs a template) -> after."""
    return {
        "name": "parent",
        "failure_policy": policy,
        "jobs": [
            {"name": "prep", "job_type": "t"},
            {"name": "sub", "workflow": ref, "depends_on": ["prep"], "input": {"day": 1}},
            {"name": "after", "job_type": "t", "depends_on": ["sub"]},
        ],
    }


async def run_once(svc, admin, w) -> list[str]:
    """One claim-and-complete step: the names run."""
    return sorted(await step(svc, admin, w))


async def save(svc, admin, org, definition) -> Any:
    return await templates.create(svc, admin, org.project.id, definition)


async def job_named(svc, workflow_id: uuid.UUID, name: str) -> Any:
    async with svc.read() as session:
        return next(j for j in await wf_repo.jobs(session, workflow_id) if j.name == name)


async def child_of(svc, admin, job_id: uuid.UUID) -> Any:
    async with svc.read() as session:
        found = await templates_repo.latest_children(session, admin.organization_id, [job_id])
    return await workflow_reads.get(svc, admin, found[job_id])


# -- versions ----------------------------------------------------------------------------


async def test_versions_count_up_and_latest_is_the_default(svc, org, admin) -> None:
    first = await save(svc, admin, org, etl("v1"))
    # YAML text is stored as data
    second = await save(svc, admin, org, "name: etl\njobs:\n  - {name: only, job_type: t}\n")
    assert (first.name, first.version, first.job_count) == ("etl", 1, 2)
    assert (second.version, second.job_count) == (2, 1)
    assert second.definition == {"name": "etl", "jobs": [{"name": "only", "job_type": "t"}]}
    assert first.description == "extract and load (v1)"
    latest = await templates.get(svc, admin, org.project.id, "etl")
    pinned = await templates.get(svc, admin, org.project.id, "etl", 1)
    assert (latest.id, pinned.id) == (second.id, first.id)
    await save(svc, admin, org, {"name": "other", "jobs": [{"name": "x", "job_type": "t"}]})
    newest = await templates.list_templates(svc, admin, first=10, after=None)
    assert [(t.name, t.version) for t in newest.items] == [("other", 1), ("etl", 2)]
    every = await templates.list_templates(
        svc, admin, first=10, after=None, name="etl", all_versions=True
    )
    assert [t.version for t in every.items] == [2, 1] and await every.total() == 2
    with pytest.raises(NotFound):
        await templates.get(svc, admin, org.project.id, "etl", 3)
    with pytest.raises(NotFound):
        await templates.get(svc, admin, org.project.id, "nope")
    with pytest.raises(InvalidInput) as bad:
        await templates.get(svc, admin, org.project.id, "etl", 0)
    assert bad.value.details["field"] == "version"


async def test_a_bad_definition_is_refused_as_a_workflow_would_be(svc, org, admin) -> None:
    with pytest.raises(InvalidInput) as bad:
        await save(svc, admin, org, {"name": "x", "jobs": [{"name": "a", "jb_type": "t"}]})
    assert "did you mean 'job_type'" in bad.value.message
    with pytest.raises(InvalidInput) as bad:
        await save(svc, admin, org, {"name": "x", "jobs": [{"name": "a"}]})
    assert bad.value.details["field"] == "jobs[0].job_type"
    ref_typo = {"name": "x", "jobs": [{"name": "a", "workflow": {"templat": "etl"}}]}
    with pytest.raises(InvalidInput) as bad:
        await save(svc, admin, org, ref_typo)
    assert "did you mean 'template'" in bad.value.message
    for job, field in [
        ({"name": "a", "workflow": {"template": "etl", "version": 0}}, "jobs[0].workflow.version"),
        (
            {"name": "a", "workflow": {"template": "etl", "version": True}},
            "jobs[0].workflow.version",
        ),
        ({"name": "a", "workflow": {"template": ""}}, "jobs[0].workflow.template"),
        ({"name": "a", "workflow": "etl"}, "jobs[0].workflow"),
        ({"name": "a", "workflow": {"template": "etl"}, "job_type": "t"}, "jobs[0].job_type"),
        ({"name": "a", "workflow": {"template": "etl"}, "payload": {}}, "jobs[0].payload"),
        ({"name": "a", "workflow": {"template": "etl"}, "input": [1]}, "jobs[0].input"),
        ({"name": "a", "job_type": "t", "input": {}}, "jobs[0].input"),
    ]:
        with pytest.raises(InvalidInput) as bad:
            await save(svc, admin, org, {"name": "x", "jobs": [job]})
        assert bad.value.details["field"] == field, (job, bad.value.message)


# -- runs from templates -------------------------------------------------------------------


async def test_a_run_copies_its_template_and_a_new_version_changes_no_run(svc, org, admin) -> None:
    await save(svc, admin, org, etl("v1"))
    ref = TemplateRef("etl")
    first = await workflows.create(svc, admin, org.project.id, None, template=ref)
    await save(svc, admin, org, etl("v2"))
    latest = await workflows.create(svc, admin, org.project.id, None, template=ref)
    pinned = await workflows.create(
        svc, admin, org.project.id, None, template=TemplateRef("etl", 1), start=True
    )
    assert (first.template_name, first.template_version) == ("etl", 1)
    assert (latest.template_version, pinned.template_version) == (2, 1)
    assert (await workflow_reads.get(svc, admin, first.id)).definition == etl("v1")
    assert (await job_named(svc, first.id, "extract")).payload == {"tag": "v1"}
    assert (await job_named(svc, latest.id, "extract")).payload == {"tag": "v2"}
    w = await worker_for(svc, admin, org.queue.id)
    assert await run(svc, admin, w) == [["extract"], ["load"]]
    assert await workflow_status(svc, admin, pinned.id) == "SUCCEEDED"


async def test_a_run_gives_a_definition_or_a_template(svc, org, admin) -> None:
    await save(svc, admin, org, etl())
    with pytest.raises(InvalidInput) as bad:
        await workflows.create(svc, admin, org.project.id, etl(), template=TemplateRef("etl"))
    assert bad.value.details["field"] == "template"
    with pytest.raises(InvalidInput):
        await workflows.create(svc, admin, org.project.id, None)
    with pytest.raises(NotFound) as missing:
        await workflows.create(svc, admin, org.project.id, None, template=TemplateRef("etl", 9))
    assert missing.value.details["field"] == "template"


async def test_a_repeated_create_from_a_template_returns_the_first_run(svc, org, admin) -> None:
    await save(svc, admin, org, etl("v1"))
    ref = TemplateRef("etl")
    first = await workflows.create(
        svc, admin, org.project.id, None, idempotency_key="k", template=ref
    )
    await save(svc, admin, org, etl("v2"))  # the same request, whatever is latest now
    again = await workflows.create(
        svc, admin, org.project.id, None, idempotency_key="k", template=ref
    )
    assert again.id == first.id and again.deduplicated
    with pytest.raises(Conflict):
        await workflows.create(
            svc, admin, org.project.id, None, idempotency_key="k", template=TemplateRef("etl", 2)
        )


# -- sub-workflows -----------------------------------------------------------------------


async def test_a_sub_workflow_runs_and_its_success_releases_what_follows(svc, org, admin) -> None:
    await save(svc, admin, org, etl())
    wf = await workflows.create(svc, admin, org.project.id, parent({"template": "etl"}), start=True)
    w = await worker_for(svc, admin, org.queue.id)
    assert await run(svc, admin, w, lambda name: {"done": name}) == [
        ["prep"],
        ["extract"],
        ["load"],
        ["after"],
    ]
    sub = await job_named(svc, wf.id, "sub")
    child = await child_of(svc, admin, sub.id)
    assert sub.job_type == WORKFLOW_JOB_TYPE and sub.status.value == "SUCCEEDED"
    assert sub.payload == {"template": "etl", "version": None, "input": {"day": 1}}
    assert sub.output == {"workflowId": str(child.id), "outputs": {"load": {"done": "load"}}}
    assert (child.template_name, child.template_version, child.nesting) == ("etl", 1, 1)
    assert (child.parent_job_id, child.parent_workflow_id) == (sub.id, wf.id)
    assert child.status.value == "SUCCEEDED"
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"


async def test_a_failed_sub_workflow_fails_its_job_and_what_depends_on_it(svc, org, admin) -> None:
    await save(svc, admin, org, etl())
    wf = await workflows.create(svc, admin, org.project.id, parent({"template": "etl"}), start=True)
    w = await worker_for(svc, admin, org.queue.id)
    waves = await run(svc, admin, w, lambda name: "fail" if name == "load" else "ok")
    assert waves == [["prep"], ["extract"], ["load"]]
    sub = await job_named(svc, wf.id, "sub")
    child = await child_of(svc, admin, sub.id)
    assert child.status.value == "FAILED"
    assert sub.status.value == "FAILED" and str(child.id) in (sub.error or "")
    assert (await statuses(svc, admin, wf.id))["after"] == "CANCELLED"
    assert await workflow_status(svc, admin, wf.id) == "FAILED"


async def test_a_workflow_job_gives_its_input_to_the_child_run(svc, org, admin) -> None:
    """The job's input, its references resolved as it became ready, is the child run's
    input, held to the template's input schema; one that does not conform fails the job."""
    schema = {"type": "object", "required": ["day"], "properties": {"day": {"type": "string"}}}
    await save(svc, admin, org, {**etl(), "input_schema": schema})
    definition = parent({"template": "etl"})
    definition["jobs"][1]["input"] = {"day": "{{ parents.prep.output.day }}", "n": 2}
    wf = await workflows.create(svc, admin, org.project.id, definition, start=True)
    w = await worker_for(svc, admin, org.queue.id)
    assert await step(svc, admin, w, {"prep": {"day": "2026-12-05"}}) == ["prep"]
    child = await child_of(svc, admin, (await job_named(svc, wf.id, "sub")).id)
    assert child.input == {"day": "2026-12-05", "n": 2}
    # a value the schema refuses: the child cannot start, the job says why
    wf = await workflows.create(svc, admin, org.project.id, definition, start=True)
    assert "prep" in await step(svc, admin, w, {"prep": {"day": 5}})  # (and the first child's)
    sub = await job_named(svc, wf.id, "sub")
    assert sub.status.value == "FAILED" and sub.status_reason == "child_workflow_not_started"
    assert "day" in (sub.error or "")


async def test_retrying_a_failed_workflow_job_starts_a_new_child_run(svc, org, admin) -> None:
    await save(svc, admin, org, etl())
    wf = await workflows.create(svc, admin, org.project.id, parent({"template": "etl"}), start=True)
    w = await worker_for(svc, admin, org.queue.id)
    await run(svc, admin, w, lambda name: "fail" if name == "load" else "ok")
    sub = await job_named(svc, wf.id, "sub")
    failed_child = await child_of(svc, admin, sub.id)
    await job_admin.retry(svc, admin, sub.id)
    retried = await child_of(svc, admin, sub.id)
    assert retried.id != failed_child.id and retried.status.value == "RUNNING"
    assert (await job_named(svc, wf.id, "sub")).status.value == "PROCESSING"
    assert await run(svc, admin, w) == [["extract"], ["load"], ["after"]]
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"


async def test_cancelling_the_parent_cancels_the_children_recursively(svc, org, admin) -> None:
    await save(svc, admin, org, etl())
    middle = {"name": "middle", "jobs": [{"name": "inner", "workflow": {"template": "etl"}}]}
    await save(svc, admin, org, middle)
    top = {"name": "top", "jobs": [{"name": "outer", "workflow": {"template": "middle"}}]}
    wf = await workflows.create(svc, admin, org.project.id, top, start=True)
    w = await worker_for(svc, admin, org.queue.id)
    claimed = await executions.claim(svc, admin, w, None, 10)
    assert [c.job.name for c in claimed] == ["extract"]  # two levels down
    outer = await job_named(svc, wf.id, "outer")
    mid = await child_of(svc, admin, outer.id)
    inner = await job_named(svc, mid.id, "inner")
    leaf = await child_of(svc, admin, inner.id)
    assert (mid.nesting, leaf.nesting) == (1, 2)
    await workflows.cancel(svc, admin, wf.id)
    for run_id in (wf.id, mid.id, leaf.id):
        assert await workflow_status(svc, admin, run_id) == "CANCELLED"
    assert set((await statuses(svc, admin, leaf.id)).values()) == {"CANCELLED"}
    assert (await job_named(svc, wf.id, "outer")).status.value == "CANCELLED"


async def test_cancelling_the_workflow_job_cancels_its_child(svc, org, admin) -> None:
    await save(svc, admin, org, etl())
    wf = await workflows.create(
        svc, admin, org.project.id, parent({"template": "etl"}, "CONTINUE_ON_FAILURE"), start=True
    )
    w = await worker_for(svc, admin, org.queue.id)
    assert await run_once(svc, admin, w) == ["prep"]
    sub = await job_named(svc, wf.id, "sub")
    await jobs.cancel(svc, admin, sub.id)
    child = await child_of(svc, admin, sub.id)
    assert child.status.value == "CANCELLED"
    assert (await job_named(svc, wf.id, "sub")).status.value == "CANCELLED"
    assert await run(svc, admin, w) == []  # the child's jobs are gone with it


async def test_cancelling_the_child_run_fails_its_workflow_job(svc, org, admin) -> None:
    await save(svc, admin, org, etl())
    wf = await workflows.create(svc, admin, org.project.id, parent({"template": "etl"}), start=True)
    w = await worker_for(svc, admin, org.queue.id)
    await run_once(svc, admin, w)
    sub = await job_named(svc, wf.id, "sub")
    child = await child_of(svc, admin, sub.id)
    await workflows.cancel(svc, admin, child.id)
    sub = await job_named(svc, wf.id, "sub")
    assert sub.status.value == "FAILED" and sub.status_reason == "child_workflow_cancelled"
    assert await workflow_status(svc, admin, wf.id) == "FAILED"


async def test_deleting_a_live_child_run_fails_its_workflow_job(svc, org, admin) -> None:
    await save(svc, admin, org, etl())
    wf = await workflows.create(svc, admin, org.project.id, parent({"template": "etl"}), start=True)
    w = await worker_for(svc, admin, org.queue.id)
    await run_once(svc, admin, w)
    sub = await job_named(svc, wf.id, "sub")
    child = await child_of(svc, admin, sub.id)
    await workflows.delete(svc, admin, child.id)
    assert (await job_named(svc, wf.id, "sub")).status.value == "FAILED"
    assert await workflow_status(svc, admin, wf.id) == "FAILED"


async def test_a_run_pins_or_follows_the_latest_version_when_its_job_starts(
    svc, org, admin
) -> None:
    await save(svc, admin, org, etl("v1"))
    definition = {
        "name": "both",
        "jobs": [
            {"name": "gate", "job_type": "t"},
            {
                "name": "pinned",
                "workflow": {"template": "etl", "version": 1},
                "depends_on": ["gate"],
            },
            {"name": "latest", "workflow": {"template": "etl"}, "depends_on": ["gate"]},
        ],
    }
    wf = await workflows.create(svc, admin, org.project.id, definition, start=True)
    await save(svc, admin, org, etl("v2"))  # before the workflow jobs start
    w = await worker_for(svc, admin, org.queue.id)
    await run_once(svc, admin, w)  # gate
    pinned = await child_of(svc, admin, (await job_named(svc, wf.id, "pinned")).id)
    latest = await child_of(svc, admin, (await job_named(svc, wf.id, "latest")).id)
    assert (pinned.template_version, latest.template_version) == (1, 2)
    assert (await job_named(svc, latest.id, "extract")).payload == {"tag": "v2"}


async def test_workers_never_claim_a_workflow_job(svc, org, admin) -> None:
    await save(svc, admin, org, {"name": "slow", "jobs": [{"name": "s", "job_type": "t"}]})
    definition = {"name": "root", "jobs": [{"name": "sub", "workflow": {"template": "slow"}}]}
    wf = await workflows.create(svc, admin, org.project.id, definition, start=True)
    sub = await job_named(svc, wf.id, "sub")
    assert sub.status.value == "PROCESSING" and sub.started_at is not None
    w = await worker_for(svc, admin, org.queue.id)
    claimed = await executions.claim(svc, admin, w, None, 50)
    assert [c.job.name for c in claimed] == ["s"]
    # the repairs leave it alone: it runs without an attempt of its own
    assert await consistency.sync_job_status(svc, admin, sub.id) == []
    report = await consistency.cleanup_orphans(svc, admin)
    assert sub.id not in report.requeued_job_ids
    assert (await job_named(svc, wf.id, "sub")).status.value == "PROCESSING"
    assert await executions.claim(svc, admin, w, None, 50) == []
    # nor can it be given a start time (SCHEDULED is claimable when due)
    unstarted = await workflows.create(svc, admin, org.project.id, definition)
    waiting = await job_named(svc, unstarted.id, "sub")
    with pytest.raises(InvalidInput) as bad:
        await job_admin.update(svc, admin, waiting.id, scheduled_for=svc.clock())
    assert bad.value.details["field"] == "scheduledFor"
    # and no client may enqueue the reserved job type
    with pytest.raises(InvalidInput):
        await jobs.enqueue(
            svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type=WORKFLOW_JOB_TYPE)]
        )


async def test_a_child_that_cannot_start_fails_its_job(svc, org, admin) -> None:
    # queues are names, found in the run's project when the run is created
    elsewhere = {"name": "elsewhere", "jobs": [{"name": "x", "job_type": "t", "queue": "q2"}]}
    await save(svc, admin, org, elsewhere)
    wf = await workflows.create(
        svc, admin, org.project.id, parent({"template": "elsewhere"}), start=True
    )
    w = await worker_for(svc, admin, org.queue.id)
    assert await run(svc, admin, w) == [["prep"]]
    sub = await job_named(svc, wf.id, "sub")
    assert sub.status.value == "FAILED" and sub.status_reason == "child_workflow_not_started"
    assert "q2" in (sub.error or "")
    assert (await statuses(svc, admin, wf.id))["after"] == "CANCELLED"
    assert await workflow_status(svc, admin, wf.id) == "FAILED"


async def test_the_graph_shows_a_workflow_job_with_its_child_run(svc, org, admin) -> None:
    await save(svc, admin, org, etl())
    wf = await workflows.create(svc, admin, org.project.id, parent({"template": "etl"}), start=True)
    w = await worker_for(svc, admin, org.queue.id)
    await run_once(svc, admin, w)
    sub = await job_named(svc, wf.id, "sub")
    child = await child_of(svc, admin, sub.id)
    graph_jobs, _ = await workflow_reads.graph_of(svc, admin, wf.id)
    assert await workflow_reads.child_runs(svc, admin, graph_jobs) == {str(sub.id): str(child.id)}
    sub_graph = await dependencies.graph(svc, admin, sub.id, Direction.BOTH)
    assert await workflow_reads.child_runs(svc, admin, sub_graph.jobs) == {
        str(sub.id): str(child.id)
    }


# -- refusals ----------------------------------------------------------------------------


async def test_a_template_including_itself_is_refused(svc, org, admin) -> None:
    itself = {"name": "loop", "jobs": [{"name": "again", "workflow": {"template": "loop"}}]}
    with pytest.raises(InvalidInput) as bad:
        await save(svc, admin, org, itself)
    assert "loop v1 -> loop v1" in bad.value.message
    assert bad.value.details["field"] == "jobs[0].workflow.template"
    await save(svc, admin, org, {"name": "loop", "jobs": [{"name": "x", "job_type": "t"}]})
    # a pinned earlier version of itself is another definition: no cycle
    pinned = {
        "name": "loop",
        "jobs": [{"name": "v1", "workflow": {"template": "loop", "version": 1}}],
    }
    assert (await save(svc, admin, org, pinned)).version == 2
    # ... but a later one that would follow it back is refused
    with pytest.raises(InvalidInput):
        await save(svc, admin, org, itself)


async def test_an_indirect_cycle_is_refused_naming_it(svc, org, admin) -> None:
    await save(svc, admin, org, {"name": "a", "jobs": [{"name": "x", "job_type": "t"}]})
    await save(
        svc, admin, org, {"name": "b", "jobs": [{"name": "to_a", "workflow": {"template": "a"}}]}
    )
    await save(
        svc, admin, org, {"name": "c", "jobs": [{"name": "to_b", "workflow": {"template": "b"}}]}
    )
    closing = {
        "name": "a",
        "jobs": [
            {"name": "first", "job_type": "t"},
            {"name": "to_c", "workflow": {"template": "c"}, "depends_on": ["first"]},
        ],
    }
    with pytest.raises(InvalidInput) as bad:
        await save(svc, admin, org, closing)
    assert "a v2 -> c v1 -> b v1 -> a v2" in bad.value.message
    assert bad.value.details["field"] == "jobs[1].workflow.template"
    assert (await templates.get(svc, admin, org.project.id, "a")).version == 1


async def test_nesting_deeper_than_the_limit_is_refused(svc, org, admin) -> None:
    await save(svc, admin, org, {"name": "t0", "jobs": [{"name": "x", "job_type": "t"}]})
    for i in range(1, MAX_NESTING + 1):
        step = {"name": f"t{i}", "jobs": [{"name": "down", "workflow": {"template": f"t{i - 1}"}}]}
        await save(svc, admin, org, step)
    too_deep = {
        "name": "top",
        "jobs": [{"name": "down", "workflow": {"template": f"t{MAX_NESTING}"}}],
    }
    with pytest.raises(InvalidInput) as bad:
        await save(svc, admin, org, too_deep)
    assert bad.value.details["field"] == "jobs[0].workflow.template"
    with pytest.raises(InvalidInput):  # a run's definition likewise
        await workflows.create(svc, admin, org.project.id, too_deep)


async def test_unknown_templates_are_refused_where_they_are_named(svc, org, admin) -> None:
    await save(svc, admin, org, etl())
    for ref in [{"template": "nope"}, {"template": "etl", "version": 2}]:
        definition = {
            "name": "x",
            "jobs": [{"name": "ok", "job_type": "t"}, {"name": "s", "workflow": ref}],
        }
        with pytest.raises(NotFound) as missing:
            await save(svc, admin, org, definition)
        assert missing.value.details["field"] == "jobs[1].workflow.template"
        with pytest.raises(NotFound) as missing:
            await workflows.create(svc, admin, org.project.id, definition)
        assert missing.value.details["field"] == "jobs[1].workflow.template"


async def test_another_organizations_templates_are_not_found(svc, org, admin, other_org) -> None:
    other = admin_of(other_org)
    await templates.create(svc, other, other_org.project.id, etl())
    with pytest.raises(NotFound):
        await workflows.create(svc, admin, org.project.id, None, template=TemplateRef("etl"))
    with pytest.raises(NotFound):  # their project, by id
        await workflows.create(svc, admin, other_org.project.id, None, template=TemplateRef("etl"))
    with pytest.raises(NotFound):
        await templates.get(svc, admin, other_org.project.id, "etl")
    with pytest.raises(NotFound):
        await templates.get(svc, admin, org.project.id, "etl")
    with pytest.raises(NotFound) as missing:
        await workflows.create(svc, admin, org.project.id, parent({"template": "etl"}))
    assert missing.value.details["field"] == "jobs[1].workflow.template"
    with pytest.raises(NotFound):
        await templates.create(svc, admin, other_org.project.id, etl())
    with pytest.raises(NotFound):
        await templates.list_templates(
            svc, admin, first=5, after=None, project_id=other_org.project.id
        )
    assert (await templates.list_templates(svc, admin, first=5, after=None)).items == []


# -- schedules ---------------------------------------------------------------------------


def every_minute(org, **target: Any) -> ScheduleSpec:
    return ScheduleSpec(
        name="nightly",
        kind=ScheduleKind.RECURRING,
        expression="1m",
        project_id=org.project.id,
        overlap_policy=OverlapPolicy.ALLOW_ALL,  # runs overlap (a workflow's default: SKIP)
        **target,
    )


async def test_a_schedule_runs_its_templates_version_of_the_moment(svc, org, admin) -> None:
    clock = Clock(svc)
    await save(svc, admin, org, etl("v1"))
    latest = await schedules.create(
        svc, admin, every_minute(org, workflow_template=TemplateRef("etl"))
    )
    pinned = await schedules.create(
        svc, admin, every_minute(org, workflow_template=TemplateRef("etl", 1))
    )
    assert latest.workflow_definition == {"template": {"name": "etl", "version": None}}
    clock.advance(61)
    await scheduler.tick(svc)
    await save(svc, admin, org, etl("v2"))
    clock.advance(60)
    await scheduler.tick(svc)
    runs = await workflow_reads.list_workflows(svc, admin, first=10, after=None)
    versions = sorted((str(w.template_name), w.template_version) for w in runs.items)
    assert versions == [("etl", 1), ("etl", 1), ("etl", 1), ("etl", 2)]
    assert {w.status.value for w in runs.items} == {"RUNNING"}
    assert latest.id != pinned.id


async def test_a_schedules_template_is_checked_when_saved(svc, org, admin, other_org) -> None:
    await templates.create(svc, admin_of(other_org), other_org.project.id, etl())
    for ref in (TemplateRef("etl"), TemplateRef("nope", 2)):
        with pytest.raises(NotFound) as missing:
            await schedules.create(svc, admin, every_minute(org, workflow_template=ref))
        assert missing.value.details["field"] == "workflowTemplate"
    with pytest.raises(NotFound) as missing:  # an inline definition's workflow jobs too
        await schedules.create(
            svc, admin, every_minute(org, workflow_definition=parent({"template": "etl"}))
        )
    assert missing.value.details["field"] == "jobs[1].workflow.template"
    await save(svc, admin, org, etl())
    both = every_minute(org, workflow_template=TemplateRef("etl"), workflow_definition=etl())
    with pytest.raises(InvalidInput) as bad:
        await schedules.create(svc, admin, both)
    assert bad.value.details["field"] == "target"
    made = await schedules.create(
        svc, admin, every_minute(org, workflow_template=TemplateRef("etl"))
    )
    with pytest.raises(NotFound):
        await schedules.update(
            svc,
            admin,
            made.id,
            ScheduleSpec(workflow_template=TemplateRef("etl", 5), changed={"workflow_template"}),
        )


async def test_a_workflow_job_needs_no_default_queue(svc, org, admin) -> None:
    project = await tenancy.create_project(svc, admin, "elsewhere", None)
    only = await queues.create_queue(svc, admin, project.id, "only")
    single = {"name": "single", "jobs": [{"name": "x", "job_type": "t", "queue": "only"}]}
    await templates.create(svc, admin, project.id, single)
    definition = {"name": "wrap", "jobs": [{"name": "sub", "workflow": {"template": "single"}}]}
    wf = await workflows.create(svc, admin, project.id, definition, start=True)
    sub = await job_named(svc, wf.id, "sub")
    assert sub.queue_id == only.id and sub.status.value == "PROCESSING"
    with pytest.raises(InvalidInput) as bad:  # other jobs still name a queue that exists
        await workflows.create(
            svc, admin, project.id, {"name": "n", "jobs": [{"name": "y", "job_type": "t"}]}
        )
    assert bad.value.details["field"] == "jobs[0].queue"


async def test_concurrent_saves_number_versions_in_turn(svc, org, admin) -> None:
    """Saves of one project take turns (on PostgreSQL, an advisory lock): versions are
    numbered without a gap or a clash, and two saves that would refer to each other
    cannot both pass the cycle check."""
    saved = await asyncio.gather(*(save(svc, admin, org, etl(f"v{i}")) for i in range(5)))
    assert sorted(t.version for t in saved) == [1, 2, 3, 4, 5]
    for name in ("a", "b"):
        await save(svc, admin, org, {"name": name, "jobs": [{"name": "x", "job_type": "t"}]})

    def to(name: str, other: str) -> dict[str, Any]:
        return {"name": name, "jobs": [{"name": "next", "workflow": {"template": other}}]}

    results = await asyncio.gather(
        save(svc, admin, org, to("a", "b")),
        save(svc, admin, org, to("b", "a")),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, InvalidInput)]
    assert len(refused) == 1 and "template cycle" in refused[0].message, results
