"""Dynamic fan-out on both backends, through the real claim and acknowledgement services:
a template mapping over a parent's list (or the run's input) makes one child per item
when it is released, its downstream waits for them (or follows its rule), it ends with
their count and outputs, and bad lists, limits, quotas and other tenants are refused."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from taskforge.domain.errors import Conflict, InvalidInput
from taskforge.persistence.common import templates as templates_repo
from taskforge.persistence.tables import Event, Job, JobDependency
from taskforge.services import (
    consistency,
    dependencies,
    executions,
    job_admin,
    jobs,
    workflow_reads,
    workflows,
)
from taskforge.services.dependencies import Direction
from taskforge.services.workflows import ResumeAction
from tests.conftest import admin_of
from tests.helpers import asgi_client, stored_events
from tests.integration.test_workflow_data import parent_reads
from tests.integration.workflow_driver import run, statuses, worker_for, workflow_status
from tests.stored_format import payloads

ROWS = [{"id": 7, "v": "a"}, {"id": 8, "v": "b"}, {"id": 9, "v": "c"}]


def etl(
    policy: str = "FAIL_FAST", rule: str | None = None, source: str = "parents.extract.output.rows"
) -> dict[str, Any]:
    """extract -> score (one per row of extract's output) -> report."""
    score: dict[str, Any] = {
        "name": "score",
        "job_type": "t",
        "map_over": source,
        "payload": {
            "row": "{{ item }}",
            "id": "{{ item.id }}",
            "at": "{{ index }}",
            "label": "row {{ index }} of {{ input.day }}",
        },
        "depends_on": ["extract"],
    }
    if rule is not None:
        score["trigger_rule"] = rule
    return {
        "name": "etl",
        "failure_policy": policy,
        "jobs": [
            {"name": "extract", "job_type": "t"},
            score,
            {"name": "report", "job_type": "t", "depends_on": ["score"]},
        ],
    }


async def started(svc: Any, admin: Any, org: Any, definition: dict[str, Any]) -> Any:
    return await workflows.create(
        svc, admin, org.project.id, definition, start=True, input={"day": "2030-01-02"}
    )


async def rows_of(svc: Any, workflow_id: uuid.UUID) -> dict[str, Job]:
    async with svc.read() as session:
        found = await session.scalars(select(Job).where(Job.workflow_id == workflow_id))
        return {j.name: j for j in found}


async def expanded(
    svc: Any, admin: Any, org: Any, definition: dict[str, Any]
) -> tuple[Any, uuid.UUID, dict[str, Job]]:
    """The workflow started, extract run (its rows returned) and the template expanded:
    (workflow, worker, jobs by name)."""
    wf = await started(svc, admin, org, definition)
    w = await worker_for(svc, admin, org.queue.id)
    [extract] = await executions.claim(svc, admin, w, None, 10)
    await executions.complete(svc, admin, [(extract.execution_id, {"rows": ROWS})])
    return wf, w, await rows_of(svc, wf.id)


async def test_a_template_makes_one_child_per_item_and_ends_with_them(svc, org, admin) -> None:
    wf = await workflows.create(
        svc, admin, org.project.id, etl(), start=True, input={"day": "2030-01-02"}
    )
    w = await worker_for(svc, admin, org.queue.id)
    [extract] = await executions.claim(svc, admin, w, None, 10)
    assert extract.job.name == "extract"  # the template is never claimable
    await executions.complete(svc, admin, [(extract.execution_id, {"rows": ROWS})])

    made = await rows_of(svc, wf.id)
    assert sorted(made) == ["extract", "report", "score", "score[0]", "score[1]", "score[2]"]
    template = made["score"]
    assert template.status.value == "PENDING" and template.dependency_status.value == "WAITING"
    assert template.map_count == 3 and template.map_over == "parents.extract.output.rows"
    for i, row in enumerate(ROWS):
        child = made[f"score[{i}]"]
        assert child.payload == {
            "row": row,
            "id": row["id"],
            "at": i,
            "label": f"row {i} of 2030-01-02",
        }
        assert (child.map_parent_id, child.map_index) == (template.id, i)
        assert (child.job_type, child.queue_id, child.priority) == ("t", template.queue_id, 5)
    stats = await workflow_reads.counts_of(svc, admin, [wf.id])
    assert sum(stats[wf.id].values()) == 6  # the children count in the workflow's stats

    with parent_reads() as reads:
        claimed = await executions.claim(svc, admin, w, None, 10, parents=True)
    assert sorted(c.job.name for c in claimed) == ["score[0]", "score[1]", "score[2]"]
    # children are made after their template's parents ended and have none of their own:
    # nothing is read for ctx.parents
    assert reads == [] and all(c.parents == {} for c in claimed)
    outputs = {c.execution_id: {"score": c.payload["id"] * 2} for c in claimed}
    await executions.complete(svc, admin, list(outputs.items()))
    ended = await rows_of(svc, wf.id)
    assert ended["score"].status.value == "SUCCEEDED"
    assert ended["score"].output == {
        "count": 3,
        "outputs": [{"score": 14}, {"score": 16}, {"score": 18}],
    }
    [report] = await executions.claim(svc, admin, w, None, 10, parents=True)
    assert report.job.name == "report" and report.parents["score"]["count"] == 3
    await executions.complete(svc, admin, [(report.execution_id, None)])
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"
    # a template has no attempt, and the repairs leave it alone
    assert (await jobs.get(svc, admin, template.id)).attempts == 0
    assert await consistency.sync_job_status(svc, admin, template.id) == []
    assert (await consistency.cleanup_orphans(svc, admin)).requeued_job_ids == []
    assert (await jobs.get(svc, admin, template.id)).status.value == "SUCCEEDED"


async def test_an_empty_list_ends_the_template_at_once(svc, org, admin) -> None:
    wf = await started(svc, admin, org, etl())
    w = await worker_for(svc, admin, org.queue.id)
    waves = await run(svc, admin, w, {"extract": {"rows": []}})
    assert waves == [["extract"], ["report"]]
    made = await rows_of(svc, wf.id)
    assert made["score"].status.value == "SUCCEEDED"
    assert made["score"].output == {"count": 0, "outputs": []}
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"


async def test_a_root_template_maps_over_the_run_input(svc, org, admin) -> None:
    definition = {
        "name": "by-input",
        "jobs": [
            {
                "name": "each",
                "job_type": "t",
                "map_over": "{{ input.items }}",
                "payload": {"n": "{{ item }}"},
            },
            {"name": "after", "job_type": "t", "depends_on": ["each"]},
        ],
    }
    wf = await workflows.create(
        svc, admin, org.project.id, definition, start=True, input={"items": [1, 2]}
    )
    w = await worker_for(svc, admin, org.queue.id)
    assert await run(svc, admin, w) == [["each[0]", "each[1]"], ["after"]]
    assert (await rows_of(svc, wf.id))["each"].output == {"count": 2, "outputs": [None, None]}


async def test_a_failed_child_decides_the_template_by_its_rule(svc, org, admin) -> None:
    # ALL_SUCCESS under CONTINUE_ON_FAILURE: one failure cancels the template and report
    wf = await started(svc, admin, org, etl("CONTINUE_ON_FAILURE"))
    w = await worker_for(svc, admin, org.queue.id)
    outcomes = {"extract": {"rows": ROWS}, "score[1]": "fail"}
    await run(svc, admin, w, outcomes)
    done = await statuses(svc, admin, wf.id)
    assert done["score"] == "CANCELLED" and done["report"] == "CANCELLED"
    assert done["score[0]"] == done["score[2]"] == "SUCCEEDED" and done["score[1]"] == "FAILED"
    assert await workflow_status(svc, admin, wf.id) == "FAILED"

    # ALL_DONE: the template waits for every child, failures included, and succeeds
    wf = await started(svc, admin, org, etl("CONTINUE_ON_FAILURE", "ALL_DONE"))
    await run(svc, admin, w, outcomes)
    made = await rows_of(svc, wf.id)
    assert made["score"].status.value == "SUCCEEDED"
    assert made["score"].output == {"count": 3, "outputs": [None, None, None]}
    assert made["report"].status.value == "SUCCEEDED"


async def test_fail_fast_cancels_the_template_and_a_retry_reuses_its_children(
    svc, org, admin
) -> None:
    wf = await started(svc, admin, org, etl())
    w = await worker_for(svc, admin, org.queue.id)
    await run(svc, admin, w, {"extract": {"rows": ROWS}, "score[0]": "fail"})
    done = await statuses(svc, admin, wf.id)
    assert done["score"] == "CANCELLED" and done["score[0]"] == "FAILED"
    assert await workflow_status(svc, admin, wf.id) == "FAILED"
    await workflows.retry(svc, admin, wf.id)
    waves = await run(svc, admin, w)
    assert ["score[0]"] in waves and waves[-1] == ["report"]
    made = await rows_of(svc, wf.id)
    assert made["score"].status.value == "SUCCEEDED" and made["score"].output["count"] == 3
    assert len(made) == 6  # not expanded twice
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"


@pytest.mark.parametrize(
    ("output", "reason", "says"),
    [
        ({"rows": {"a": 1}}, "map_over_not_a_list", "is an object, not a list"),
        ({"rows": "x"}, "map_over_not_a_list", "is a value, not a list"),
        ({"other": 1}, "unresolved_reference", "key 'rows' not found"),
        ({"rows": [{"v": 1}]}, "unresolved_reference", "score[0]: item.id: key 'id'"),
    ],
)
async def test_a_list_that_cannot_expand_fails_the_template(
    svc, org, admin, output: dict[str, Any], reason: str, says: str
) -> None:
    wf = await started(svc, admin, org, etl())
    w = await worker_for(svc, admin, org.queue.id)
    await run(svc, admin, w, {"extract": output})
    made = await rows_of(svc, wf.id)
    template = made["score"]
    assert template.status.value == "FAILED" and template.status_reason == reason
    assert template.error.startswith("score") and says in template.error, template.error
    assert sorted(made) == ["extract", "report", "score"]  # no child made
    assert made["report"].status.value == "CANCELLED"
    assert await workflow_status(svc, admin, wf.id) == "FAILED"


async def test_a_list_over_the_workflow_limit_fails_the_template(
    svc, org, admin, monkeypatch
) -> None:
    monkeypatch.setattr(svc.settings.limits, "workflow_jobs", 5)
    wf = await started(svc, admin, org, etl())
    w = await worker_for(svc, admin, org.queue.id)
    await run(svc, admin, w, {"extract": {"rows": ROWS}})
    template = (await rows_of(svc, wf.id))["score"]
    assert template.status.value == "FAILED" and template.status_reason == "map_over_limit"
    assert template.error == (
        "score: map_over parents.extract.output.rows has 3 items: the workflow would hold"
        " 6 jobs, over the limit of 5 (TASKFORGE_LIMIT_WORKFLOW_JOBS)"
    )
    wf = await started(svc, admin, org, etl())
    await run(svc, admin, w, {"extract": {"rows": ROWS[:2]}})  # 5 jobs: within it
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"map_over": "parents.extrct.output.rows"}, "jobs[1].map_over", "'extrct'"),
        ({"map_over": "parents.report.output.rows"}, "jobs[1].map_over", "no parent named"),
        ({"map_over": "rows"}, "jobs[1].map_over", "unknown root 'rows'"),
        ({"map_over": "item"}, "jobs[1].map_over", "is not a list of the run"),
        ({"map_over": 3}, "jobs[1].map_over", "non-empty string"),
        ({"trigger_rule": "ONE_SUCCESS"}, "jobs[1].trigger_rule", "not ONE_SUCCESS"),
        ({"name": "x", "map_over": None}, "jobs[1].payload", "only a job with map_over"),
    ],
)
async def test_bad_map_definitions_are_refused(
    svc, org, admin, change: dict[str, Any], field: str, says: str
) -> None:
    definition = etl()
    definition["jobs"][1] = {**definition["jobs"][1], **change}
    definition["jobs"][1] = {k: v for k, v in definition["jobs"][1].items() if v is not None}
    definition["jobs"][2]["depends_on"] = [definition["jobs"][1]["name"]]
    with pytest.raises(InvalidInput) as e:
        await workflows.create(svc, admin, org.project.id, definition)
    assert e.value.details["field"] == field and says in e.value.message, e.value.message


async def test_names_of_mapped_children_are_kept_and_workflow_jobs_do_not_map(
    svc, org, admin
) -> None:
    definition = etl()
    definition["jobs"].append({"name": "score[1]", "job_type": "t"})
    with pytest.raises(InvalidInput, match="kept for a child of 'score'"):
        await workflows.create(svc, admin, org.project.id, definition)
    definition = etl()
    definition["jobs"][1] = {
        "name": "score",
        "workflow": {"template": "x"},
        "map_over": "parents.extract.output.rows",
        "depends_on": ["extract"],
    }
    with pytest.raises(InvalidInput) as e:
        await workflows.create(svc, admin, org.project.id, definition)
    assert e.value.details["field"] == "jobs[1].map_over"


async def test_a_template_has_no_start_time(svc, org, admin) -> None:
    from datetime import timedelta

    wf = await workflows.create(svc, admin, org.project.id, etl())
    template = (await rows_of(svc, wf.id))["score"]
    later = svc.clock() + timedelta(hours=1)
    with pytest.raises(InvalidInput) as e:
        await job_admin.update(svc, admin, template.id, scheduled_for=later)
    assert e.value.details["field"] == "scheduledFor"


async def test_children_are_the_template_organization_s_alone(svc, org, other_org, admin) -> None:
    wf = await started(svc, admin, org, etl())
    w = await worker_for(svc, admin, org.queue.id)
    await run(svc, admin, w, {"extract": {"rows": ROWS}}, limit=1)  # extract only... and on
    other = admin_of(other_org)
    made = await rows_of(svc, wf.id)
    edges_into = []
    async with svc.read() as session:
        edges_into = list(
            await session.scalars(
                select(JobDependency).where(JobDependency.child_job_id == made["score"].id)
            )
        )
    assert {e.organization_id for e in edges_into} == {org.organization.id}
    assert {j.organization_id for j in made.values()} == {org.organization.id}
    with pytest.raises(Exception) as e:
        await workflow_reads.graph_of(svc, other, wf.id)
    assert type(e.value).__name__ == "NotFound"
    ow = await worker_for(svc, other, other_org.queue.id)
    assert await executions.claim(svc, other, ow, None, 10) == []


GRAPH = """query($id: ID!) { workflow(id: $id) { stats { total } graph {
  nodes { id name group mapIndex } groups { templateId name count jobIds }
  json dot mermaid } } }"""


async def test_the_graph_groups_mapped_children_under_their_template(
    runtime, svc, org, other_org, admin
) -> None:
    wf, _w, made = await expanded(svc, admin, org, etl())
    template = str(made["score"].id)
    children = [str(made[f"score[{i}]"].id) for i in range(3)]
    async with asgi_client(runtime, org.api_key.secret) as gql:
        got = (await gql.ok(GRAPH, {"id": str(wf.id)}))["workflow"]
    assert got["stats"]["total"] == 6
    graph = got["graph"]
    nodes = {n["name"]: n for n in graph["nodes"]}
    assert nodes["score[2]"] == {
        "id": children[2],
        "name": "score[2]",
        "group": template,
        "mapIndex": 2,
    }
    assert nodes["score"]["group"] is None and nodes["extract"]["mapIndex"] is None
    assert graph["groups"] == [
        {"templateId": template, "name": "score", "count": 3, "jobIds": children}
    ]
    document = graph["json"]
    assert document["groups"] == [
        {"template": template, "label": "score", "count": 3, "jobs": children}
    ]
    shown = {n["label"]: n for n in document["nodes"]}
    assert (shown["score[1]"]["group"], shown["score[1]"]["mapIndex"]) == (template, 1)
    assert "group" not in shown["score"] and "group" not in shown["extract"]
    # each child's edge leads into its template
    assert {(e["parent"], e["child"]) for e in document["edges"]} >= {
        (c, template) for c in children
    }
    assert f'subgraph "cluster_{template}"' in graph["dot"]
    assert 'label="score: 3 mapped"' in graph["dot"]
    assert '"score: 3 mapped"]' in graph["mermaid"] and "    end" in graph["mermaid"]
    async with asgi_client(runtime, other_org.api_key.secret) as theirs:
        body = await theirs.raw(GRAPH, {"id": str(wf.id)})
    assert {e["extensions"]["code"] for e in body["errors"]} == {"NOT_FOUND"}


async def status_events(svc: Any) -> list[dict[str, Any]]:
    """The stored job status changes, each as written alone (its workflow's state in it)."""
    async with svc.read() as session:
        rows = await session.execute(
            select(Event.type, Event.organization_id, Event.payload, Event.span)
            .where(Event.type == "job.status_changed")
            .order_by(Event.id)
        )
        return [p for row in rows for p in payloads(tuple(row))]


async def test_live_events_cover_the_children(svc, org, admin) -> None:
    _wf, w, made = await expanded(svc, admin, org, etl())
    children = {str(made[f"score[{i}]"].id) for i in range(3)}
    created = [e for e in await status_events(svc) if e["jobId"] in children]
    assert [(c["status"], c["previousStatus"]) for c in created] == [("PENDING", None)] * 3
    # each carries its workflow's stats, the children counted
    assert {c["workflow"]["stats"]["total"] for c in created} == {6}
    async with svc.read() as session:
        released = await stored_events(session, Event.type == "jobs.released")
    template = str(made["score"].id)
    assert not any(template in e["payload"]["jobIds"] for e in released)  # never claimable
    await run(svc, admin, w)
    ended = [e for e in await status_events(svc) if e["jobId"] == template]
    assert [(e["status"], e["previousStatus"]) for e in ended] == [("SUCCEEDED", "PENDING")]
    assert ended[0]["workflow"]["stats"]["total"] == 6


async def test_children_edges_are_implied_by_their_template_and_shown_as_edges(
    svc, org, other_org, admin
) -> None:
    wf, w, made = await expanded(svc, admin, org, etl())
    template = made["score"].id
    children = [made[f"score[{i}]"].id for i in range(3)]
    async with svc.read() as session:  # no row per child: only extract's edge is stored
        stored = list(
            await session.scalars(
                select(JobDependency).where(JobDependency.child_job_id == template)
            )
        )
    assert [e.parent_job_id for e in stored] == [made["extract"].id]

    shown = await dependencies.edges_of(svc, admin, [template])
    implied = {e.parent_job_id: e for e in shown if e.parent_job_id in children}
    assert set(implied) == set(children)
    assert {
        (e.child_job_id, e.status.value, e.dependency_type.value) for e in implied.values()
    } == {(template, "PENDING", "SEQUENTIAL")}
    again = await dependencies.edges_of(svc, admin, [children[1]])  # the same id each read
    assert [e.id for e in again] == [implied[children[1]].id]
    checked = await dependencies.check(svc, admin, template)
    assert (checked.total, checked.resolved, checked.pending) == (4, 1, 3)
    upstream = await dependencies.graph(svc, admin, template, Direction.UPSTREAM)
    assert {uuid.UUID(j.id) for j in upstream.jobs} == {template, made["extract"].id, *children}
    downstream = await dependencies.graph(svc, admin, children[0], Direction.DOWNSTREAM)
    assert {uuid.UUID(j.id) for j in downstream.jobs} == {children[0], template, made["report"].id}
    assert await dependencies.edges_of(svc, admin_of(other_org), [template]) == []

    await run(svc, admin, w)
    shown = await dependencies.edges_of(svc, admin, [template])
    assert {e.status.value for e in shown} == {"RESOLVED"}
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"


async def test_a_failed_child_skipped_by_the_operator_lets_its_template_go_on(
    svc, org, admin
) -> None:
    wf = await started(svc, admin, org, etl("MANUAL"))
    w = await worker_for(svc, admin, org.queue.id)
    await run(svc, admin, w, {"extract": {"rows": ROWS}, "score[1]": "fail"})
    assert await workflow_status(svc, admin, wf.id) == "PAUSED"
    await workflows.resume(svc, admin, wf.id, ResumeAction.SKIP_FAILED)
    await run(svc, admin, w)
    done = await statuses(svc, admin, wf.id)
    assert done["score[1]"] == "SKIPPED"
    assert done["score"] == done["report"] == "SUCCEEDED"
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"


async def test_retrying_a_failed_child_reopens_the_template_it_cancelled(svc, org, admin) -> None:
    wf = await started(svc, admin, org, etl("CONTINUE_ON_FAILURE"))
    w = await worker_for(svc, admin, org.queue.id)
    await run(svc, admin, w, {"extract": {"rows": ROWS}, "score[1]": "fail"})
    made = await rows_of(svc, wf.id)
    assert made["score"].status.value == "CANCELLED"
    await job_admin.retry(svc, admin, made["score[1]"].id)
    assert (await statuses(svc, admin, wf.id))["score"] == "PENDING"
    await run(svc, admin, w)
    done = await statuses(svc, admin, wf.id)
    assert done["score[1]"] == done["score"] == done["report"] == "SUCCEEDED"
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"


async def test_deleting_the_last_child_left_lets_the_template_end(svc, org, admin) -> None:
    wf, w, made = await expanded(svc, admin, org, etl())
    claimed = await executions.claim(svc, admin, w, None, 10)
    assert sorted(c.job.name for c in claimed) == ["score[0]", "score[1]", "score[2]"]
    done = [(c.execution_id, None) for c in claimed if c.job.name != "score[2]"]
    await executions.complete(svc, admin, done)
    assert (await statuses(svc, admin, wf.id))["score"] == "PENDING"
    await jobs.delete(svc, admin, made["score[2]"].id)  # the one still running
    assert (await statuses(svc, admin, wf.id))["score"] == "SUCCEEDED"
    await run(svc, admin, w)
    done = await statuses(svc, admin, wf.id)
    assert "score[2]" not in done
    assert done["score"] == done["report"] == "SUCCEEDED"


async def test_a_failure_held_for_the_operator_leaves_the_template_waiting(svc, org, admin) -> None:
    # MANUAL: a failed child decides nothing until the operator answers, though its
    # siblings end after it
    wf, w, _ = await expanded(svc, admin, org, etl("MANUAL"))
    claimed = {c.job.name: c for c in await executions.claim(svc, admin, w, None, 10)}
    await executions.fail(svc, admin, [(claimed["score[1]"].execution_id, ("no", False))])
    ok = [(claimed[n].execution_id, None) for n in ("score[0]", "score[2]")]
    await executions.complete(svc, admin, ok)
    made = await rows_of(svc, wf.id)
    assert (made["score"].status.value, made["report"].status.value) == ("PENDING", "PENDING")
    assert await workflow_status(svc, admin, wf.id) == "PAUSED"
    shown = await dependencies.edges_of(svc, admin, [made["score[1]"].id])
    assert [e.status.value for e in shown] == ["PENDING"]
    await workflows.resume(svc, admin, wf.id, ResumeAction.RETRY_FAILED)
    await run(svc, admin, w)
    done = await statuses(svc, admin, wf.id)
    assert done["score"] == done["report"] == "SUCCEEDED"
    assert await workflow_status(svc, admin, wf.id) == "SUCCEEDED"


async def test_mapped_children_are_no_leaves_of_a_run(svc, org, admin) -> None:
    wf = await started(svc, admin, org, etl())
    w = await worker_for(svc, admin, org.queue.id)
    await run(svc, admin, w, {"extract": {"rows": ROWS}, "report": {"sent": True}})
    async with svc.read() as session:
        leaves = await templates_repo.leaf_outputs(session, wf.id)
    assert leaves == {"report": {"sent": True}}  # what a workflow job's output lists


async def test_an_edge_shown_from_both_ends_is_listed_once(svc, org, admin) -> None:
    _wf, _w, made = await expanded(svc, admin, org, etl())
    shown = await dependencies.edges_of(svc, admin, [made["score"].id, made["score[0]"].id])
    assert len({e.id for e in shown}) == len(shown) == 5  # extract's, 3 children's, report's
    with pytest.raises(Conflict):  # the implied edge is there already
        await dependencies.create(svc, admin, made["score[0]"].id, made["score"].id)


async def test_a_deleted_template_leaves_its_children_as_plain_jobs(svc, org, admin) -> None:
    wf, w, made = await expanded(svc, admin, org, etl())
    await jobs.delete(svc, admin, made["score"].id)
    assert await dependencies.edges_of(svc, admin, [made["score[0]"].id]) == []
    _, edges = await workflow_reads.graph_of(svc, admin, wf.id)
    assert edges == []  # the template's own edges went with it; its children have none
    await run(svc, admin, w)  # the children still run, as jobs of the workflow
    done = await statuses(svc, admin, wf.id)
    assert done["score[0]"] == "SUCCEEDED" and "score" not in done
