"""Input schemas and payload references that once crashed or stalled the service, on
both backends: a schema stored before the save checks makes a run's start, a workflow
job's child run and a schedule's occurrence each fail alone, as BAD_USER_INPUT; a job
moved to a later start resolves its payload when released."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from taskforge.domain.errors import InvalidInput
from taskforge.domain.templates import TemplateRef
from taskforge.persistence.tables import ScheduledJob, Workflow, WorkflowTemplate
from taskforge.services import (
    executions,
    job_admin,
    jobs,
    scheduler,
    schedules,
    templates,
    workflow_reads,
    workflows,
)
from tests.conftest import admin_of
from tests.integration.test_execution import Clock
from tests.integration.test_workflow_templates import every_minute, job_named
from tests.integration.workflow_driver import statuses, worker_for, workflow_status

# a $ref to a list: the validator once raised AttributeError applying it
POISON = {"required": [], "allOf": [{"$ref": "#/required"}]}
PLAIN = {"name": "inner", "jobs": [{"name": "a", "job_type": "t"}]}


async def store_schema(svc, table: Any, row_id: Any, column: str, schema: Any) -> None:
    """Put ``schema`` where a definition keeps it, as a row saved before the checks."""
    async with svc.write() as session:
        if table is Workflow:
            values = {"input_schema": schema}
        else:
            row = await session.get(table, row_id)
            values = {column: {**getattr(row, column), "input_schema": schema}}
        await session.execute(update(table).where(table.id == row_id).values(**values))


async def test_starting_a_run_with_a_stored_bad_schema_is_bad_input(svc, org, admin) -> None:
    wf = await workflows.create(svc, admin, org.project.id, {**PLAIN, "input_schema": {}})
    await store_schema(svc, Workflow, wf.id, "input_schema", POISON)
    with pytest.raises(InvalidInput) as e:
        await workflows.start(svc, admin, wf.id, {"x": 1})
    assert e.value.details["field"] == "input_schema"
    assert await workflow_status(svc, admin, wf.id) == "PENDING"


async def test_a_child_run_whose_stored_schema_is_bad_fails_its_job(svc, org, admin) -> None:
    inner = await templates.create(svc, admin, org.project.id, PLAIN)
    outer = {
        "name": "outer",
        "jobs": [
            {"name": "prep", "job_type": "t"},
            {"name": "sub", "workflow": {"template": "inner"}, "depends_on": ["prep"]},
        ],
    }
    wf = await workflows.create(svc, admin, org.project.id, outer, start=True)
    await store_schema(svc, WorkflowTemplate, inner.id, "definition", POISON)
    w = await worker_for(svc, admin, org.queue.id)
    [prep] = await executions.claim(svc, admin, w, None, 10)
    await executions.complete(svc, admin, [(prep.execution_id, {"ok": 1})])  # no crash
    sub = await job_named(svc, wf.id, "sub")
    assert (sub.status.value, sub.status_reason) == ("FAILED", "child_workflow_not_started")
    assert "input_schema" in (sub.error or "")
    assert await statuses(svc, admin, wf.id) == {"prep": "SUCCEEDED", "sub": "FAILED"}


async def test_a_schedule_whose_stored_schema_is_bad_fails_alone(
    svc, org, other_org, admin
) -> None:
    clock = Clock(svc)
    good_admin = admin_of(other_org)
    await templates.create(svc, good_admin, other_org.project.id, PLAIN)
    good = await schedules.create(
        svc, good_admin, every_minute(other_org, workflow_template=TemplateRef("inner"))
    )
    inner = await templates.create(svc, admin, org.project.id, PLAIN)
    bad = await schedules.create(
        svc, admin, every_minute(org, workflow_template=TemplateRef("inner"))
    )
    await store_schema(svc, WorkflowTemplate, inner.id, "definition", POISON)
    inline = await schedules.create(svc, admin, every_minute(org, workflow_definition=PLAIN))
    await store_schema(svc, ScheduledJob, inline.id, "workflow_definition", POISON)
    for _ in range(2):
        clock.advance(61)
        await scheduler.tick(svc)  # never raises for the others' sake
    runs = await workflow_reads.list_workflows(svc, good_admin, first=10, after=None)
    assert len(runs.items) == 2
    assert (await schedules.get(svc, good_admin, good.id)).last_error is None
    for s in (bad, inline):
        seen = await schedules.get(svc, admin, s.id)
        assert seen.last_error is not None and "input_schema" in seen.last_error
    mine = await workflow_reads.list_workflows(svc, admin, first=10, after=None)
    assert mine.items == []


# -- a job moved to a later start ------------------------------------------------------------

CHAIN = {
    "name": "chain",
    "jobs": [
        {"name": "a", "job_type": "t"},
        {
            "name": "b",
            "job_type": "t",
            "depends_on": ["a"],
            "payload": {"x": "{{ parents.a.output.v }}"},
        },
    ],
}


async def test_a_waiting_job_moved_to_a_later_start_resolves_when_released(svc, org, admin) -> None:
    clock = Clock(svc)
    wf = await workflows.create(svc, admin, org.project.id, CHAIN, start=True)
    b = await job_named(svc, wf.id, "b")
    await job_admin.update(svc, admin, b.id, scheduled_for=clock.now + timedelta(seconds=60))
    w = await worker_for(svc, admin, org.queue.id)
    [a] = await executions.claim(svc, admin, w, None, 10)
    await executions.complete(svc, admin, [(a.execution_id, {"v": 42})])
    assert await executions.claim(svc, admin, w, None, 10) == []  # not due yet
    assert (await jobs.get(svc, admin, b.id)).payload == {"x": 42}  # resolved at release
    clock.advance(120)
    [claimed] = await executions.claim(svc, admin, w, None, 10)
    assert (claimed.job.name, claimed.payload) == ("b", {"x": 42})


async def test_a_scheduled_job_whose_reference_cannot_resolve_fails_at_release(
    svc, org, admin
) -> None:
    clock = Clock(svc)
    wf = await workflows.create(svc, admin, org.project.id, CHAIN, start=True)
    b = await job_named(svc, wf.id, "b")
    await job_admin.update(svc, admin, b.id, scheduled_for=clock.now + timedelta(seconds=60))
    w = await worker_for(svc, admin, org.queue.id)
    [a] = await executions.claim(svc, admin, w, None, 10)
    await executions.complete(svc, admin, [(a.execution_id, {"other": 1})])
    failed = await jobs.get(svc, admin, b.id)
    assert (failed.status.value, failed.status_reason) == ("FAILED", "unresolved_reference")
    assert "key 'v' not found" in (failed.error or "")
    assert await workflow_status(svc, admin, wf.id) == "FAILED"


# -- literal braces ----------------------------------------------------------------------


async def test_braces_whose_first_word_is_no_root_reach_the_worker_as_written(
    svc, org, admin
) -> None:
    body = "Hi {{ user.name }}, {{ order }} of {{ input.day }}"
    definition = {
        "name": "mail",
        "jobs": [
            {"name": "a", "job_type": "t", "payload": {"text": "{{ user.name }}"}},
            {"name": "b", "job_type": "t", "depends_on": ["a"], "payload": {"body": body}},
        ],
    }
    wf = await workflows.create(svc, admin, org.project.id, definition, True, input={"day": 5})
    w = await worker_for(svc, admin, org.queue.id)
    [a] = await executions.claim(svc, admin, w, None, 10)
    assert a.payload == {"text": "{{ user.name }}"}  # no reference: no template kept
    await executions.complete(svc, admin, [(a.execution_id, {})])
    [b] = await executions.claim(svc, admin, w, None, 10)
    assert b.payload == {"body": "Hi {{ user.name }}, {{ order }} of 5"}
    assert await statuses(svc, admin, wf.id) == {"a": "SUCCEEDED", "b": "PROCESSING"}


async def test_a_reference_across_a_parallel_edge_is_refused_when_saved(svc, org, admin) -> None:
    definition = {
        "name": "p",
        "jobs": [
            {"name": "a", "job_type": "t"},
            {
                "name": "b",
                "job_type": "t",
                "dependencies": [{"job": "a", "type": "PARALLEL"}],
                "payload": {"x": "{{ parents.a.output.v }}"},
            },
        ],
    }
    with pytest.raises(InvalidInput) as e:
        await workflows.create(svc, admin, org.project.id, definition, start=True)
    assert e.value.details["field"] == "jobs[1].payload"
    assert "its dependency on 'a' is PARALLEL" in e.value.message
    with pytest.raises(InvalidInput):
        await templates.create(svc, admin, org.project.id, definition)
    assert (await workflow_reads.list_workflows(svc, admin, first=10, after=None)).items == []
