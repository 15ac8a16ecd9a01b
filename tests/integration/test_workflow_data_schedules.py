"""A workflow schedule's run input, on both backends: given on createSchedule and
updateSchedule, held to the definition's input_schema when saved (an inline definition's,
or its template's as it is then), passed to each run, and an occurrence whose input no
longer conforms (a newer template version) failing alone, as other fire errors do."""

from __future__ import annotations

from typing import Any

import pytest

from taskforge.domain.errors import InvalidInput
from taskforge.domain.templates import TemplateRef
from taskforge.services import jobs, scheduler, schedules, templates, workflow_reads
from taskforge.services.schedules import ScheduleSpec
from tests.helpers import asgi_client
from tests.integration.test_execution import Clock
from tests.integration.test_workflow_templates import every_minute, job_named

PLAIN = {"name": "plain", "jobs": [{"name": "a", "job_type": "t"}]}
SCHEMA = {"type": "object", "properties": {"date": {"format": "date"}}, "required": ["date"]}


def daily(**extra: Any) -> dict[str, Any]:
    return {
        "name": "daily",
        "input_schema": SCHEMA,
        "jobs": [{"name": "a", "job_type": "t", "payload": {"day": "{{ input.date }}"}}],
        **extra,
    }


async def runs(svc, admin) -> list[Any]:
    return (await workflow_reads.list_workflows(svc, admin, first=20, after=None)).items


async def test_each_run_of_a_workflow_schedule_starts_with_its_input(svc, org, admin) -> None:
    clock = Clock(svc)
    made = await schedules.create(
        svc, admin, every_minute(org, workflow_definition=daily(), input={"date": "2030-01-02"})
    )
    assert made.input == {"date": "2030-01-02"}
    clock.advance(61)
    await scheduler.tick(svc)
    seen = await schedules.get(svc, admin, made.id)
    print("DBG", seen.status, seen.next_run_at, clock.now, seen.last_error, seen.runs_count)
    [run] = await runs(svc, admin)
    assert run.input == {"date": "2030-01-02"} and run.status.value == "RUNNING"
    a = await job_named(svc, run.id, "a")
    assert (await jobs.get(svc, admin, a.id)).payload == {"day": "2030-01-02"}
    assert (await schedules.get(svc, admin, made.id)).last_error is None


@pytest.mark.parametrize(
    ("given", "says"),
    [
        (None, "'date' is a required property"),
        ({"date": "someday"}, "'someday' is not a 'date'"),
    ],
)
async def test_an_input_the_schema_refuses_is_refused_when_saved(
    svc, org, admin, given: Any, says: str
) -> None:
    with pytest.raises(InvalidInput) as e:
        await schedules.create(
            svc, admin, every_minute(org, workflow_definition=daily(), input=given)
        )
    assert e.value.details["field"] == "input" and says in e.value.message
    await templates.create(svc, admin, org.project.id, daily())
    target = TemplateRef("daily")
    with pytest.raises(InvalidInput) as e:
        await schedules.create(svc, admin, every_minute(org, workflow_template=target, input=given))
    assert e.value.details["field"] == "input" and says in e.value.message
    assert (await schedules.list_schedules(svc, admin, first=10, after=None)).items == []


async def test_a_job_schedule_takes_no_input(svc, org, admin) -> None:
    spec = ScheduleSpec(
        name="j",
        kind=every_minute(org).kind,
        expression="1m",
        queue_id=org.queue.id,
        job_type="t",
        input={"date": "2030-01-02"},
    )
    with pytest.raises(InvalidInput) as e:
        await schedules.create(svc, admin, spec)
    assert e.value.details["field"] == "input"
    with pytest.raises(InvalidInput) as e:
        await schedules.create(
            svc,
            admin,
            every_minute(org, workflow_definition=daily(), input=[1]),  # type: ignore[arg-type]
        )
    assert e.value.details["field"] == "input" and "must be a JSON object" in e.value.message


async def test_an_occurrence_whose_input_a_newer_template_refuses_fails_alone(
    svc, org, admin
) -> None:
    clock = Clock(svc)
    await templates.create(svc, admin, org.project.id, daily())
    target = TemplateRef("daily")
    old = await schedules.create(
        svc, admin, every_minute(org, workflow_template=target, input={"date": "2030-01-02"})
    )
    newer = {**SCHEMA, "required": ["date", "region"]}
    await templates.create(svc, admin, org.project.id, daily(input_schema=newer))
    renamed = ScheduleSpec(name="renamed", changed={"name"})  # other edits go through
    assert (await schedules.update(svc, admin, old.id, renamed)).name == "renamed"
    with pytest.raises(InvalidInput):  # the same input, given again: held to v2 now
        await schedules.update(
            svc, admin, old.id, ScheduleSpec(input={"date": "2030-01-02"}, changed={"input"})
        )
    fixed = {"date": "2030-01-02", "region": "eu"}
    new = await schedules.create(
        svc, admin, every_minute(org, workflow_template=target, input=fixed)
    )
    clock.advance(61)
    await scheduler.tick(svc)  # never raises
    failed = await schedules.get(svc, admin, old.id)
    assert failed.status.value == "FAILED"  # as for any occurrence that cannot run
    assert failed.last_error == (
        "input does not match input_schema at $: 'region' is a required property"
    )
    [run] = await runs(svc, admin)
    assert run.input == fixed and run.template_version == 2
    assert (await schedules.get(svc, admin, new.id)).last_error is None
    with pytest.raises(InvalidInput, match="'date' is a required property"):
        await schedules.update(svc, admin, new.id, ScheduleSpec(changed={"input"}))  # null
    free = await schedules.create(
        svc, admin, every_minute(org, workflow_definition=PLAIN, input={"any": 1})
    )
    cleared = await schedules.update(svc, admin, free.id, ScheduleSpec(changed={"input"}))
    assert cleared.input is None  # null given: removed


async def test_schedule_input_over_graphql(runtime, org) -> None:
    create = """mutation($input: ScheduleInput!) { createSchedule(input: $input) { id input } }"""
    update = """mutation($id: ID!, $input: ScheduleInput!) {
      updateSchedule(id: $id, input: $input) { input } }"""
    base = {
        "name": "daily",
        "type": "RECURRING",
        "expression": "1h",
        "projectId": str(org.project.id),
        "workflowDefinition": daily(),
    }
    async with asgi_client(runtime, org.api_key.secret) as gql:
        made = await gql.ok(create, {"input": {**base, "input": {"date": "2030-01-02"}}})
        made = made["createSchedule"]
        assert made["input"] == {"date": "2030-01-02"}
        [error] = (await gql.raw(create, {"input": base}))["errors"]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "input", "jsonPath": "$"}
        kept = await gql.ok(update, {"id": made["id"], "input": {"name": "other"}})
        assert kept["updateSchedule"]["input"] == {"date": "2030-01-02"}
        changed = await gql.ok(
            update, {"id": made["id"], "input": {"input": {"date": "2031-01-01"}}}
        )
        assert changed["updateSchedule"]["input"] == {"date": "2031-01-01"}
        read = await gql.ok("query($id: ID!) { schedule(id: $id) { input } }", {"id": made["id"]})
        assert read["schedule"]["input"] == {"date": "2031-01-01"}
