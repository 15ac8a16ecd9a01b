"""Workflow templates over GraphQL: createWorkflowTemplate, workflowTemplate(s), runs
made from a template, workflow jobs' child runs in jobs and graphs, error codes and the
fields they name, tenant isolation, and one batched read for many child runs."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import event

from tests.helpers import asgi_client
from tests.integration.workflow_driver import run, worker_for

SAVE = """mutation($p: ID!, $d: JSON!) {
  createWorkflowTemplate(input: {projectId: $p, definition: $d}) {
    id projectId name version description jobCount createdBy createdAt definition } }"""
ONE = """query($p: ID!, $n: String!, $v: Int) {
  workflowTemplate(projectId: $p, name: $n, version: $v) { id name version } }"""
LIST = """query($p: ID, $n: String, $all: Boolean!) {
  workflowTemplates(projectId: $p, name: $n, allVersions: $all, first: 10) {
    totalCount edges { node { name version } } } }"""
FROM_TEMPLATE = """mutation($p: ID!, $t: WorkflowTemplateRefInput, $d: JSON, $s: Boolean!) {
  createWorkflow(input: {projectId: $p, template: $t, definition: $d, start: $s}) {
    id name template { name version } parentJobId parentWorkflowId nesting } }"""
RUN = """query($id: ID!) { workflow(id: $id) { status
  jobs { name jobType status payload output childWorkflow {
    id status template { name version } parentJobId parentWorkflowId nesting } }
  graph { nodes { id name jobType childWorkflowId } json } } }"""

ETL = """
name: etl
description: extract and load
jobs:
  - {name: extract, job_type: t}
  - {name: load, job_type: t, depends_on: [extract]}
"""


def parent(ref: dict) -> dict:
    return {
        "name": "parent",
        "jobs": [
            {"name": "prep", "job_type": "t"},
            {"name": "sub", "workflow": ref, "depends_on": ["prep"], "input": {"day": 1}},
            {"name": "after", "job_type": "t", "depends_on": ["sub"]},
        ],
    }


@pytest.fixture
async def gql(runtime, org):
    async with asgi_client(runtime, org.api_key.secret) as client:
        yield client


async def save(gql, org, definition) -> dict:
    data = await gql.ok(SAVE, {"p": str(org.project.id), "d": definition})
    return data["createWorkflowTemplate"]


async def error(gql, query: str, variables: dict) -> dict:
    body = await gql.raw(query, variables)
    assert body.get("errors"), body
    return body["errors"][0]


async def test_versions_listing_and_runs_from_templates(gql, org) -> None:
    first = await save(gql, org, ETL)
    assert (first["name"], first["version"], first["jobCount"]) == ("etl", 1, 2)
    assert first["description"] == "extract and load"
    assert first["projectId"] == str(org.project.id) and first["createdBy"]
    assert first["definition"]["jobs"][1]["depends_on"] == ["extract"]
    second = await save(gql, org, {"name": "etl", "jobs": [{"name": "only", "job_type": "t"}]})
    assert second["version"] == 2
    p = str(org.project.id)
    latest = (await gql.ok(ONE, {"p": p, "n": "etl", "v": None}))["workflowTemplate"]
    pinned = (await gql.ok(ONE, {"p": p, "n": "etl", "v": 1}))["workflowTemplate"]
    assert (latest["id"], pinned["id"]) == (second["id"], first["id"])
    listed = (await gql.ok(LIST, {"p": p, "n": None, "all": False}))["workflowTemplates"]
    assert listed["totalCount"] == 1
    assert [e["node"] for e in listed["edges"]] == [{"name": "etl", "version": 2}]
    every = (await gql.ok(LIST, {"p": None, "n": "etl", "all": True}))["workflowTemplates"]
    assert [e["node"]["version"] for e in every["edges"]] == [2, 1]
    made = await gql.ok(
        FROM_TEMPLATE, {"p": p, "t": {"name": "etl", "version": 1}, "d": None, "s": False}
    )
    assert made["createWorkflow"]["template"] == {"name": "etl", "version": 1}
    assert made["createWorkflow"]["nesting"] == 0
    assert made["createWorkflow"]["parentJobId"] is None
    inline = await gql.ok(FROM_TEMPLATE, {"p": p, "t": None, "d": ETL, "s": False})
    assert inline["createWorkflow"]["template"] is None


async def test_a_workflow_job_shows_its_child_run(gql, org, svc, admin) -> None:
    await save(gql, org, ETL)
    made = await gql.ok(
        FROM_TEMPLATE,
        {"p": str(org.project.id), "t": None, "d": parent({"template": "etl"}), "s": True},
    )
    wf_id = made["createWorkflow"]["id"]
    w = await worker_for(svc, admin, org.queue.id)
    assert await run(svc, admin, w, limit=1) == [["prep"], ["extract"], ["load"], ["after"]]
    data = (await gql.ok(RUN, {"id": wf_id}))["workflow"]
    assert data["status"] == "SUCCEEDED"
    jobs = {j["name"]: j for j in data["jobs"]}
    sub = jobs["sub"]
    child = sub["childWorkflow"]
    assert sub["jobType"] == "@workflow" and sub["status"] == "SUCCEEDED"
    assert sub["payload"] == {"template": "etl", "version": None, "input": {"day": 1}}
    assert sub["output"]["workflowId"] == child["id"]
    assert child["template"] == {"name": "etl", "version": 1}
    assert (child["parentWorkflowId"], child["nesting"], child["status"]) == (wf_id, 1, "SUCCEEDED")
    assert jobs["prep"]["childWorkflow"] is None
    nodes = {n["name"]: n for n in data["graph"]["nodes"]}
    assert (
        nodes["sub"]["childWorkflowId"] == child["id"] and nodes["prep"]["childWorkflowId"] is None
    )
    assert child["parentJobId"] == nodes["sub"]["id"]
    exported = {n["label"]: n for n in json.loads(json.dumps(data["graph"]["json"]))["nodes"]}
    assert exported["sub"]["childWorkflowId"] == child["id"]
    assert "childWorkflowId" not in exported["prep"]
    graph = await gql.ok(
        "query($j: ID!) { dependencyGraph(jobId: $j) { nodes { name childWorkflowId } } }",
        {"j": nodes["sub"]["id"]},
    )
    by_name = {n["name"]: n for n in graph["dependencyGraph"]["nodes"]}
    assert by_name["sub"]["childWorkflowId"] == child["id"]


async def test_errors_name_their_field(gql, org, other_org, runtime) -> None:
    p = str(org.project.id)
    loop = {"name": "loop", "jobs": [{"name": "again", "workflow": {"template": "loop"}}]}
    err = await error(gql, SAVE, {"p": p, "d": loop})
    assert err["extensions"] == {"code": "BAD_USER_INPUT", "field": "jobs[0].workflow.template"}
    assert "loop v1 -> loop v1" in err["message"]
    unknown = parent({"template": "nope"})
    err = await error(gql, SAVE, {"p": p, "d": unknown})
    assert err["extensions"] == {"code": "NOT_FOUND", "field": "jobs[1].workflow.template"}
    err = await error(gql, FROM_TEMPLATE, {"p": p, "t": None, "d": unknown, "s": False})
    assert err["extensions"] == {"code": "NOT_FOUND", "field": "jobs[1].workflow.template"}
    err = await error(gql, FROM_TEMPLATE, {"p": p, "t": {"name": "nope"}, "d": None, "s": False})
    assert err["extensions"] == {"code": "NOT_FOUND", "field": "template"}
    await save(gql, org, ETL)
    both = {"p": p, "t": {"name": "etl"}, "d": ETL, "s": False}
    err = await error(gql, FROM_TEMPLATE, both)
    assert err["extensions"] == {"code": "BAD_USER_INPUT", "field": "template"}
    neither = {"p": p, "t": None, "d": None, "s": False}
    assert (await error(gql, FROM_TEMPLATE, neither))["extensions"]["code"] == "BAD_USER_INPUT"
    err = await error(
        gql, FROM_TEMPLATE, {"p": p, "t": {"name": "etl", "version": 0}, "d": None, "s": False}
    )
    assert err["extensions"] == {"code": "BAD_USER_INPUT", "field": "template.version"}
    err = await error(gql, ONE, {"p": p, "n": "etl", "v": -1})
    assert err["extensions"] == {"code": "BAD_USER_INPUT", "field": "version"}
    # another organization's project and templates: NOT_FOUND
    async with asgi_client(runtime, other_org.api_key.secret) as theirs:
        await save(theirs, other_org, {"name": "theirs", "jobs": [{"name": "x", "job_type": "t"}]})
    q = str(other_org.project.id)
    assert (await error(gql, ONE, {"p": q, "n": "theirs", "v": None}))["extensions"][
        "code"
    ] == "NOT_FOUND"
    assert (await error(gql, ONE, {"p": p, "n": "theirs", "v": None}))["extensions"][
        "code"
    ] == "NOT_FOUND"
    assert (await error(gql, SAVE, {"p": q, "d": ETL}))["extensions"]["code"] == "NOT_FOUND"
    theirs_ref = {"p": p, "t": {"name": "theirs"}, "d": None, "s": False}
    assert (await error(gql, FROM_TEMPLATE, theirs_ref))["extensions"]["code"] == "NOT_FOUND"
    err = await error(gql, SAVE, {"p": p, "d": parent({"template": "theirs"})})
    assert err["extensions"] == {"code": "NOT_FOUND", "field": "jobs[1].workflow.template"}
    listed = await gql.ok(LIST, {"p": None, "n": "theirs", "all": True})
    assert listed["workflowTemplates"]["totalCount"] == 0


async def test_child_runs_of_many_jobs_are_read_in_one_query(gql, org, svc, admin, runtime) -> None:
    await save(gql, org, ETL)
    many = {
        "name": "many",
        "jobs": [{"name": f"s{i}", "workflow": {"template": "etl"}} for i in range(5)],
    }
    made = await gql.ok(FROM_TEMPLATE, {"p": str(org.project.id), "t": None, "d": many, "s": True})
    statements: list[str] = []

    def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(runtime.db.engine.sync_engine, "before_cursor_execute", record)
    try:
        query = "query($id: ID!) { workflow(id: $id) { jobs { childWorkflow { id nesting } } } }"
        data = await gql.ok(query, {"id": made["createWorkflow"]["id"]})
    finally:
        event.remove(runtime.db.engine.sync_engine, "before_cursor_execute", record)
    children = [j["childWorkflow"] for j in data["workflow"]["jobs"]]
    assert len({c["id"] for c in children}) == 5 and {c["nesting"] for c in children} == {1}
    assert (
        len([s for s in statements if "parent_job_id IN" in s or "parent_job_id = ANY" in s]) == 1
    )
