"""Data between workflow steps on both backends: the run's input (createWorkflow,
startWorkflow, input_schema), payload references resolved as jobs become ready, a
reference that cannot resolve failing its job, parents' outputs handed with the claim,
and what plain jobs and workflows without references are spared."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select

from taskforge.domain.errors import Conflict, InvalidInput
from taskforge.persistence.common import run_data as run_data_repo
from taskforge.persistence.tables import Job
from taskforge.services import executions, jobs, run_data, workflow_reads, workflows
from taskforge.services.workflows import ResumeAction
from tests.integration.workflow_driver import run, statuses, worker_for, workflow_status

SCHEMA = {
    "type": "object",
    "properties": {"date": {"type": "string", "format": "date"}, "limit": {"type": "integer"}},
    "required": ["date"],
}


def etl(policy: str = "FAIL_FAST", load: dict[str, Any] | None = None) -> dict[str, Any]:
    """Seed 002's shape: extract -> (valid) load -> report, with references."""
    return {
        "name": "etl",
        "failure_policy": policy,
        "input_schema": SCHEMA,
        "jobs": [
            {
                "name": "extract",
                "job_type": "t",
                "payload": {"day": "{{ input.date }}", "note": "rows of {{ input.date }}"},
            },
            {
                "name": "load",
                "job_type": "t",
                "payload": load
                if load is not None
                else {
                    "rows": "{{ parents.extract.output.rows }}",
                    "first": "{{ parents.extract.output.rows[0].id }}",
                    "summary": "{{ parents.extract.output.count }} rows for {{ input.date }}",
                    "limit": "{{ input.limit }}",
                },
                "dependencies": [
                    {
                        "job": "extract",
                        "type": "CONDITIONAL",
                        "expression": 'output.validation_status == "valid"',
                    }
                ],
            },
            {"name": "report", "job_type": "t", "depends_on": ["load"]},
        ],
    }


ROWS = [{"id": 7, "v": "a"}, {"id": 8, "v": "b"}]
EXTRACTED = {"rows": ROWS, "count": 2, "validation_status": "valid"}


async def job_named(svc, admin, workflow_id: uuid.UUID, name: str):  # type: ignore[no-untyped-def]
    async with svc.read() as session:
        job_id = await session.scalar(
            select(Job.id).where(Job.workflow_id == workflow_id, Job.name == name)
        )
    return await jobs.get(svc, admin, job_id)


@contextmanager
def parent_reads() -> Iterator[list[int]]:
    """The statements reading parents' outputs meanwhile (each: how many jobs' parents):
    on PostgreSQL they run on the driver connection, which SQL events do not see."""
    calls: list[int] = []
    real = run_data_repo.parents

    async def counting(session, child_ids, org_id=None):  # type: ignore[no-untyped-def]
        calls.append(len(child_ids))
        return await real(session, child_ids, org_id)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(run_data_repo, "parents", counting)
        yield calls


@contextmanager
def statements(runtime) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    """The SQL sent through SQLAlchemy meanwhile (the PostgreSQL driver's own statements,
    such as the claim's, are not seen)."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_input_and_parents_outputs_reach_the_payloads(runtime, svc, org, admin) -> None:
    run_input = {"date": "2030-01-02", "limit": 50}
    wf = await workflows.create(svc, admin, org.project.id, etl(), start=True, input=run_input)
    assert wf.input == run_input
    assert (await workflow_reads.get(svc, admin, wf.id)).input == run_input
    # load waits: its payload is still the template
    load = await job_named(svc, admin, wf.id, "load")
    assert load.payload["rows"] == "{{ parents.extract.output.rows }}"

    w = await worker_for(svc, admin, org.queue.id)
    [extract] = await executions.claim(svc, admin, w, None, 10, parents=True)
    assert extract.payload == {"day": "2030-01-02", "note": "rows of 2030-01-02"}
    assert extract.parents == {}  # a root has no parents
    await executions.complete(svc, admin, [(extract.execution_id, EXTRACTED)])

    [load_claim] = await executions.claim(svc, admin, w, None, 10, parents=True)
    assert load_claim.job.name == "load"
    assert load_claim.payload == {
        "rows": ROWS,  # a whole reference keeps its type
        "first": 7,
        "summary": "2 rows for 2030-01-02",  # inside a longer string: text
        "limit": 50,
    }
    assert load_claim.parents == {"extract": EXTRACTED}
    assert (await jobs.get(svc, admin, load_claim.job_id)).payload == load_claim.payload
    await executions.complete(svc, admin, [(load_claim.execution_id, {"loaded": 2})])
    [report] = await executions.claim(svc, admin, w, None, 10, parents=True)
    assert report.payload == {} and report.parents == {"load": {"loaded": 2}}
    await executions.complete(svc, admin, [(report.execution_id, None)])
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"


async def test_start_takes_the_input_and_holds_it_to_the_schema(svc, org, admin) -> None:
    wf = await workflows.create(svc, admin, org.project.id, etl(), input={"date": "2030-01-01"})
    assert wf.status.value == "PENDING"  # not checked before it starts
    bad_ones = [
        ({"date": "someday"}, "$.date", "is not a 'date'"),
        ({"date": "2030-01-01", "limit": "x"}, "$.limit", "is not of type 'integer'"),
    ]
    for bad, path, says in bad_ones:
        with pytest.raises(InvalidInput) as e:
            await workflows.start(svc, admin, wf.id, {**bad})
        assert e.value.details == {"field": "input", "json_path": path} and says in e.value.message
    assert (await workflow_reads.get(svc, admin, wf.id)).status.value == "PENDING"
    started = await workflows.start(svc, admin, wf.id, {"date": "2030-02-03"})
    assert started.status.value == "RUNNING" and started.input == {"date": "2030-02-03"}
    extract = await job_named(svc, admin, wf.id, "extract")
    assert extract.payload["day"] == "2030-02-03"


async def test_bad_input_is_refused_before_anything_is_written(svc, org, admin) -> None:
    limit = svc.settings.limits.payload_bytes
    cases: list[tuple[Any, bool, str, str | None]] = [
        ({"limit": 1}, True, "input", "$"),  # date is required: checked as it starts
        (["not", "an", "object"], False, "input", None),
        ({"date": "2030-01-01", "blob": "x" * limit}, False, "input", None),
    ]
    for value, start, field, path in cases:
        with pytest.raises(InvalidInput) as e:
            await workflows.create(svc, admin, org.project.id, etl(), start=start, input=value)
        assert e.value.details["field"] == field
        assert e.value.details.get("json_path") == path
    # a definition with a required input and none given: created, refused when started
    wf = await workflows.create(svc, admin, org.project.id, etl())
    with pytest.raises(InvalidInput, match="'date' is a required property"):
        await workflows.start(svc, admin, wf.id)
    listed = await workflow_reads.list_workflows(svc, admin, first=10, after=None)
    assert [w.id for w in listed.items] == [wf.id]


async def test_bad_references_and_schemas_are_refused_when_saved(svc, org, admin) -> None:
    cases = [
        (etl(load={"x": "{{ parents.extrct.output.rows }}"}), "jobs[1].payload", "extrct"),
        (etl(load={"x": "{{ imput.x }}"}), "jobs[1].payload", "did you mean 'input'?"),
        (etl(load={"x": "{{ input. }}"}), "jobs[1].payload", "malformed"),
        ({**etl(), "input_schema": {"type": 3}}, "input_schema", "not a valid JSON Schema"),
    ]
    for definition, field, says in cases:
        with pytest.raises(InvalidInput) as e:
            await workflows.create(svc, admin, org.project.id, definition, start=True)
        assert e.value.details["field"] == field and says in e.value.message
    assert (await workflow_reads.list_workflows(svc, admin, first=10, after=None)).items == []


async def test_a_reference_that_cannot_resolve_fails_its_job(svc, org, admin) -> None:
    wf = await workflows.create(
        svc, admin, org.project.id, etl(), start=True, input={"date": "2030-01-02"}
    )
    w = await worker_for(svc, admin, org.queue.id)
    # extract's output lacks rows: load fails as it becomes ready, and FAIL_FAST ends
    # what is left
    assert await run(svc, admin, w, {"extract": {"validation_status": "valid"}}) == [["extract"]]
    load = await job_named(svc, admin, wf.id, "load")
    assert load.status.value == "FAILED" and load.status_reason == "unresolved_reference"
    assert load.error == (
        "load: parents.extract.output.rows: key 'rows' not found in parents.extract.output"
    )
    assert load.attempts == 0 and load.finished_at is not None
    assert await executions.executions_of(svc, admin, [load.id]) == []
    assert await statuses(svc, admin, wf.id) == {
        "extract": "SUCCEEDED",
        "load": "FAILED",
        "report": "CANCELLED",
    }
    assert await workflow_status(svc, admin, wf.id) == "FAILED"


async def test_a_root_whose_input_is_missing_fails_at_the_start(svc, org, admin) -> None:
    definition = {
        "name": "roots",
        "failure_policy": "CONTINUE_ON_FAILURE",
        "jobs": [
            {"name": "a", "job_type": "t", "payload": {"x": "{{ input.missing.deep }}"}},
            {"name": "b", "job_type": "t", "depends_on": ["a"]},
            {"name": "c", "job_type": "t", "payload": {"x": "{{ input.there }}"}},
        ],
    }
    wf = await workflows.create(
        svc, admin, org.project.id, definition, start=True, input={"there": [1]}
    )
    assert await statuses(svc, admin, wf.id) == {"a": "FAILED", "b": "CANCELLED", "c": "PENDING"}
    a = await job_named(svc, admin, wf.id, "a")
    assert a.error == "a: input.missing.deep: key 'missing' not found in input"
    w = await worker_for(svc, admin, org.queue.id)
    [c] = await executions.claim(svc, admin, w, None, 10)
    assert c.payload == {"x": [1]}


async def test_manual_policy_holds_an_unresolved_job_for_the_operator(svc, org, admin) -> None:
    wf = await workflows.create(
        svc, admin, org.project.id, etl("MANUAL"), start=True, input={"date": "2030-01-02"}
    )
    w = await worker_for(svc, admin, org.queue.id)
    await run(svc, admin, w, {"extract": {"validation_status": "valid"}})
    assert await workflow_status(svc, admin, wf.id) == "PAUSED"
    assert (await statuses(svc, admin, wf.id))["report"] == "PENDING"
    # retried, it resolves again from its template (still without rows: fails again)
    await workflows.resume(svc, admin, wf.id, ResumeAction.RETRY_FAILED)
    load = await job_named(svc, admin, wf.id, "load")
    assert load.status.value == "FAILED" and "key 'rows' not found" in (load.error or "")
    await workflows.resume(svc, admin, wf.id, ResumeAction.SKIP_FAILED)
    assert await run(svc, admin, w) == [["report"]]


async def test_a_retried_workflow_resolves_with_the_new_outputs(svc, org, admin) -> None:
    wf = await workflows.create(
        svc, admin, org.project.id, etl(), start=True, input={"date": "2030-01-02", "limit": 5}
    )
    w = await worker_for(svc, admin, org.queue.id)
    await run(svc, admin, w, {"extract": "fail"})
    assert await workflow_status(svc, admin, wf.id) == "FAILED"
    await workflows.retry(svc, admin, wf.id)
    waves = await run(svc, admin, w, {"extract": EXTRACTED})
    assert waves == [["extract"], ["load"], ["report"]]
    load = await job_named(svc, admin, wf.id, "load")
    assert load.payload["rows"] == ROWS and load.payload["limit"] == 5
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"


async def test_a_resolved_payload_over_the_limit_fails_its_job(svc, org, admin) -> None:
    limit = svc.settings.limits.payload_bytes
    definition = {
        "name": "big",
        "jobs": [
            {"name": "make", "job_type": "t"},
            {
                "name": "use",
                "job_type": "t",
                "depends_on": ["make"],
                "payload": {
                    "a": "{{ parents.make.output.blob }}",
                    "b": "{{ parents.make.output.blob }}",
                },
            },
        ],
    }
    wf = await workflows.create(svc, admin, org.project.id, definition, start=True)
    w = await worker_for(svc, admin, org.queue.id)
    blob = "x" * (limit * 6 // 10)  # the output fits; twice it does not
    await run(svc, admin, w, {"make": {"blob": blob}})
    use = await job_named(svc, admin, wf.id, "use")
    assert use.status.value == "FAILED" and use.status_reason == "payload_too_large"
    assert use.error is not None and use.error.startswith("use: the resolved payload is ")
    assert f"over the limit of {limit} (TASKFORGE_LIMIT_PAYLOAD_BYTES)" in use.error
    assert await workflow_status(svc, admin, wf.id) == "FAILED"


async def test_parent_outputs_stay_within_the_organization(svc, org, other_org, admin) -> None:
    wf = await workflows.create(
        svc, admin, org.project.id, etl(), start=True, input={"date": "2030-01-02"}
    )
    w = await worker_for(svc, admin, org.queue.id)
    await run(svc, admin, w, {"extract": EXTRACTED})
    load = await job_named(svc, admin, wf.id, "load")
    mine = await run_data.parent_outputs(svc, admin, [load.id])
    assert mine == {load.id: {"extract": EXTRACTED}}
    from tests.conftest import admin_of

    assert await run_data.parent_outputs(svc, admin_of(other_org), [load.id]) == {}


async def test_plain_jobs_and_workflows_without_references_read_nothing_more(
    runtime, svc, org, admin
) -> None:
    w = await worker_for(svc, admin, org.queue.id)
    await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")] * 3)
    with parent_reads() as reads:
        claimed = await executions.claim(svc, admin, w, None, 10, parents=True)
    assert len(claimed) == 3 and all(c.parents is None for c in claimed)
    assert reads == []
    await executions.complete(svc, admin, [(c.execution_id, None) for c in claimed])

    chain = {
        "name": "plain",
        "jobs": [
            {"name": "a", "job_type": "t", "payload": {"x": "{ not a reference }"}},
            {"name": "b", "job_type": "t", "depends_on": ["a"]},
        ],
    }
    with statements(runtime) as seen:
        await workflows.create(svc, admin, org.project.id, chain, start=True)
        assert await run(svc, admin, w) == [["a"], ["b"]]
    assert not [s for s in seen if "payload_template" in s and s.lstrip().startswith("SELECT")]


async def test_a_claim_reads_the_parents_of_all_its_jobs_at_once(svc, org, admin) -> None:
    fan = {
        "name": "fan",
        "jobs": [
            {"name": "root", "job_type": "t"},
            *({"name": f"m{i}", "job_type": "t", "depends_on": ["root"]} for i in range(5)),
        ],
    }
    await workflows.create(svc, admin, org.project.id, fan, start=True)
    w = await worker_for(svc, admin, org.queue.id)
    [root] = await executions.claim(svc, admin, w, None, 10)
    await executions.complete(svc, admin, [(root.execution_id, {"n": 1})])
    with parent_reads() as reads:
        claimed = await executions.claim(svc, admin, w, None, 10, parents=True)
    assert sorted(c.job.name for c in claimed) == [f"m{i}" for i in range(5)]
    assert all(c.parents == {"root": {"n": 1}} for c in claimed)
    # SQLite: one statement for the claim's five jobs; PostgreSQL: the claim's own
    assert reads == ([5] if svc.db.store.embedded else [])


async def test_parents_outputs_come_by_name_with_the_claim(svc, org, admin) -> None:
    """A join's parents by name (a parent without output: None), a root's none, and
    another tenant's edges never mixed in."""
    join = {
        "name": "join",
        "jobs": [
            {"name": "a", "job_type": "t"},
            {"name": "b", "job_type": "t"},
            {"name": "j", "job_type": "t", "depends_on": ["a", "b"]},
        ],
    }
    await workflows.create(svc, admin, org.project.id, join, start=True)
    w = await worker_for(svc, admin, org.queue.id)
    roots = await executions.claim(svc, admin, w, None, 10, parents=True)
    assert sorted(c.job.name for c in roots) == ["a", "b"] and all(c.parents == {} for c in roots)
    outputs = {"a": {"rows": [1, 2]}, "b": None}
    await executions.complete(svc, admin, [(c.execution_id, outputs[c.job.name]) for c in roots])
    [j] = await executions.claim(svc, admin, w, None, 10, parents=True)
    assert j.job.name == "j" and j.parents == {"a": {"rows": [1, 2]}, "b": None}


async def test_an_idempotency_key_covers_the_run_input(svc, org, admin) -> None:
    given = {"date": "2030-01-02"}
    first = await workflows.create(
        svc, admin, org.project.id, etl(), idempotency_key="k", input=given
    )
    again = await workflows.create(
        svc, admin, org.project.id, etl(), idempotency_key="k", input=dict(given)
    )
    assert again.id == first.id and again.deduplicated and again.input == given
    with pytest.raises(Conflict):
        await workflows.create(
            svc, admin, org.project.id, etl(), idempotency_key="k", input={"date": "2030-01-03"}
        )
    with pytest.raises(Conflict):  # none given is another request too
        await workflows.create(svc, admin, org.project.id, etl(), idempotency_key="k")
