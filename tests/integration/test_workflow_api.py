"""Dependencies and workflows over GraphQL: codes, graph exports, permissions, no N+1."""

from __future__ import annotations

import gc
import json

import pytest
from sqlalchemy import event

from taskforge.http.view import GraphQLView
from taskforge.services import executions
from tests.helpers import asgi_client
from tests.integration.workflow_driver import run, worker_for

CREATE = """mutation($p: ID!, $d: JSON!, $s: Boolean!) {
  createWorkflow(input: {projectId: $p, definition: $d, start: $s}) { id status name }
}"""
GRAPH = """query($id: ID!) { workflow(id: $id) {
  status stats { total completed completionPercentage counts { status count } }
  graph { nodes { id name status level } edges { parentId childId type status }
          roots leaves levels criticalPath json dot mermaid } } }"""
DIAMOND = """
name: diamond
jobs:
  - {name: top, job_type: t}
  - {name: left, job_type: t, depends_on: [top]}
  - {name: right, job_type: t, depends_on: [top]}
  - {name: bottom, job_type: t, depends_on: [left, right]}
"""


@pytest.fixture
async def gql(runtime, org):
    async with asgi_client(runtime, org.api_key.secret) as client:
        yield client


async def create(gql, org, definition, start=True) -> dict:
    data = await gql.ok(CREATE, {"p": str(org.project.id), "d": definition, "s": start})
    return data["createWorkflow"]


async def test_yaml_workflow_graph_and_exports(gql, org, svc, admin) -> None:
    wf = await create(gql, org, DIAMOND)
    assert wf["status"] == "RUNNING"
    before = (await gql.ok(GRAPH, {"id": wf["id"]}))["workflow"]
    graph = before["graph"]
    names = {n["id"]: n["name"] for n in graph["nodes"]}
    assert [{names[i] for i in level} for level in graph["levels"]] == [
        {"top"},
        {"left", "right"},
        {"bottom"},
    ]
    assert [names[i] for i in graph["roots"]] == ["top"]
    assert [names[i] for i in graph["leaves"]] == ["bottom"]
    assert [names[i] for i in graph["criticalPath"]][0::2] == ["top", "bottom"]
    assert len(graph["edges"]) == 4 and {e["status"] for e in graph["edges"]} == {"PENDING"}
    assert graph["dot"].startswith("digraph") and graph["dot"].count("->") == 4
    assert graph["mermaid"].startswith("flowchart TD") and "bottom" in graph["mermaid"]
    assert {n["id"] for n in graph["json"]["nodes"]} == set(names)
    assert before["stats"]["completionPercentage"] == 0.0

    await run(svc, admin, await worker_for(svc, admin, org.queue.id))
    after = (await gql.ok(GRAPH, {"id": wf["id"]}))["workflow"]
    assert after["status"] == "SUCCEEDED"
    assert after["stats"]["completed"] == 4 and after["stats"]["completionPercentage"] == 100.0
    assert {e["status"] for e in after["graph"]["edges"]} == {"RESOLVED"}
    assert "SUCCEEDED" in after["graph"]["mermaid"] and "SUCCEEDED" in after["graph"]["dot"]


async def test_json_text_definition_and_listing(gql, org) -> None:
    definition = json.dumps({"name": "text", "jobs": [{"name": "a", "job_type": "t"}]})
    wf = await create(gql, org, definition, start=False)
    assert wf["status"] == "PENDING"
    listed = await gql.ok("{ workflows(status: [PENDING]) { totalCount edges { node { id } } } }")
    assert listed["workflows"]["totalCount"] == 1
    started = await gql.ok(
        "mutation($id: ID!) { startWorkflow(id: $id) { status } }", {"id": wf["id"]}
    )
    assert started["startWorkflow"]["status"] == "RUNNING"
    again = await gql.error(
        "mutation($id: ID!) { startWorkflow(id: $id) { id } }", {"id": wf["id"]}
    )
    assert again == "CONFLICT"


async def test_workflow_reads_its_definition_only_when_selected(gql, org, runtime) -> None:
    """A 10,000-job workflow's definition is megabytes of JSON: workflow(id) reads it
    only for a selection that asks for it, and then returns it as created."""
    definition = {"name": "lazy", "jobs": [{"name": "a", "job_type": "t"}]}
    wf = await create(gql, org, definition, start=False)
    statements: list[str] = []

    def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    async def read(selection: str) -> dict:
        statements.clear()
        event.listen(runtime.db.engine.sync_engine, "before_cursor_execute", record)
        try:
            query = f"query($id: ID!) {{ workflow(id: $id) {{ {selection} }} }}"
            return (await gql.ok(query, {"id": wf["id"]}))["workflow"]
        finally:
            event.remove(runtime.db.engine.sync_engine, "before_cursor_execute", record)

    assert await read("name status graph { roots }") == {
        "name": "lazy",
        "status": "PENDING",
        "graph": {"roots": [await _only_job(gql, wf["id"])]},
    }
    reads = [s for s in statements if "FROM workflows" in s]
    assert reads and not any("definition" in s for s in reads)
    # the stats' tenancy check too (the bench's graph query selects them)
    assert await read("stats { total completed }") == {"stats": {"total": 1, "completed": 0}}
    reads = [s for s in statements if "FROM workflows" in s]
    assert reads and not any("definition" in s for s in reads)
    assert (await read("name definition"))["definition"]["jobs"] == definition["jobs"]


async def _only_job(gql, workflow_id: str) -> str:
    data = await gql.ok(
        "query($id: ID!) { workflow(id: $id) { jobs { id } } }", {"id": workflow_id}
    )
    [job] = data["workflow"]["jobs"]
    return job["id"]


@pytest.mark.parametrize(
    "definition",
    [
        {"name": "x", "jobs": [{"name": "a", "job_type": "t", "depends_on": ["a"]}]},
        {"name": "x", "jobs": [{"name": "a", "job_typo": "t"}]},
        {"name": "x", "failure_policy": "SOMETIMES", "jobs": [{"name": "a", "job_type": "t"}]},
        "name: x\njobs: 3",
        {"name": "x", "jobs": []},
    ],
)
async def test_bad_definitions_are_bad_user_input(gql, org, definition) -> None:
    body = await gql.raw(CREATE, {"p": str(org.project.id), "d": definition, "s": True})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    listed = await gql.ok("{ workflows { totalCount } jobs { totalCount } }")
    assert listed == {"workflows": {"totalCount": 0}, "jobs": {"totalCount": 0}}


async def test_dependency_api_and_cycle_error(gql, org) -> None:
    ids = [
        j["id"]
        for j in (
            await gql.ok(
                'mutation($q: ID!) { enqueueJobs(jobs: [{queueId: $q, jobType: "t"},'
                ' {queueId: $q, jobType: "t"}]) { id } }',
                {"q": str(org.queue.id)},
            )
        )["enqueueJobs"]
    ]
    edge = """mutation($p: ID!, $c: ID!) { createDependency(input: {parentJobId: $p,
      childJobId: $c}) { id status parent { id } child { id dependencyStatus } } }"""
    made = (await gql.ok(edge, {"p": ids[0], "c": ids[1]}))["createDependency"]
    assert made["status"] == "PENDING" and made["child"]["dependencyStatus"] == "WAITING"
    body = await gql.raw(edge, {"p": ids[1], "c": ids[0]})
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == f"dependency cycle: {ids[1]} -> {ids[0]} -> {ids[1]}"
    check = await gql.ok(
        "query($j: ID!) { checkDependencies(jobId: $j) { canExecute total pending } "
        "job(id: $j) { parents { id } dependencies { status } } }",
        {"j": ids[1]},
    )
    assert check["checkDependencies"] == {"canExecute": False, "total": 1, "pending": 1}
    assert check["job"]["parents"] == [{"id": ids[0]}]
    graph = await gql.ok(
        "query($j: ID!) { dependencyGraph(jobId: $j, direction: UPSTREAM) { roots leaves } }",
        {"j": ids[1]},
    )
    assert graph["dependencyGraph"] == {"roots": [ids[0]], "leaves": [ids[1]]}
    deleted = await gql.ok("mutation($id: ID!) { deleteDependency(id: $id) }", {"id": made["id"]})
    assert deleted["deleteDependency"] == made["id"]


async def test_dependency_permissions(gql, runtime, org) -> None:
    created = await gql.ok(
        'mutation { createApiKey(name: "ro", permissions: ["jobs:read"]) { secret } }'
    )
    async with asgi_client(runtime, created["createApiKey"]["secret"]) as readonly:
        code = await readonly.error(
            "mutation($p: ID!) { createDependency(input: {parentJobId: $p, childJobId: $p})"
            " { id } }",
            {"p": str(org.queue.id)},
        )
        assert code == "FORBIDDEN"
        code = await readonly.error(
            "mutation($p: ID!, $d: JSON!) { createWorkflow(input: {projectId: $p,"
            " definition: $d}) { id } }",
            {"p": str(org.project.id), "d": {"name": "x", "jobs": []}},
        )
        assert code == "FORBIDDEN"


async def test_workflow_jobs_without_n_plus_one(gql, org, runtime, svc, admin) -> None:
    query = """{ workflows { edges { node { name stats { total } jobs { name
        parents { name } children { name } dependencies { status parent { name } } } } } } }"""
    statements: list[str] = []

    def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    async def selects_for(n_workflows: int) -> int:
        for _ in range(n_workflows):
            await create(gql, org, DIAMOND)
        statements.clear()
        event.listen(runtime.db.engine.sync_engine, "before_cursor_execute", record)
        try:
            data = await gql.ok(query)
        finally:
            event.remove(runtime.db.engine.sync_engine, "before_cursor_execute", record)
        flows = data["workflows"]["edges"]
        assert all(len(f["node"]["jobs"]) == 4 for f in flows)
        bottom = next(j for j in flows[0]["node"]["jobs"] if j["name"] == "bottom")
        assert sorted(p["name"] for p in bottom["parents"]) == ["left", "right"]
        return len(
            [
                s
                for s in statements
                if s.lstrip().upper().startswith("SELECT")
                and "outbox_cursor" not in s
                and "FROM events" not in s
            ]
        )

    few = await selects_for(1)
    many = await selects_for(5)
    assert many == few  # workflows, their jobs, edges, parent/child jobs: batched


async def test_claims_of_workflow_jobs_report_the_workflow(gql, org, svc, admin) -> None:
    wf = await create(gql, org, DIAMOND)
    w = await worker_for(svc, admin, org.queue.id)
    [claimed] = await executions.claim(svc, admin, w, None, 10)
    data = await gql.ok(
        "query($id: ID!) { job(id: $id) { name workflowId children { name } } }",
        {"id": str(claimed.job.id)},
    )
    assert data["job"]["workflowId"] == wf["id"]
    assert sorted(c["name"] for c in data["job"]["children"]) == ["left", "right"]


async def test_a_graph_query_holds_collection_off_until_its_response_is_encoded(
    gql, org, monkeypatch
) -> None:
    """A big graph's objects live until its response is encoded: collection resuming
    when the read ended walked them all at the next allocation (taskforge.gc_pause)."""
    wf = await create(gql, org, DIAMOND)
    job = await gql.ok("query($id: ID!) { workflow(id: $id) { jobs { id } } }", {"id": wf["id"]})
    encoding: list[bool] = []
    encode = GraphQLView.encode_json

    def spy(self, data):  # type: ignore[no-untyped-def]
        encoding.append(gc.isenabled())
        return encode(self, data)

    monkeypatch.setattr(GraphQLView, "encode_json", spy)
    assert gc.isenabled()
    await gql.ok("query($id: ID!) { workflow(id: $id) { graph { json } } }", {"id": wf["id"]})
    first = job["workflow"]["jobs"][0]["id"]
    await gql.ok("query($id: ID!) { dependencyGraph(jobId: $id) { roots } }", {"id": first})
    await gql.ok("query($id: ID!) { workflow(id: $id) { name } }", {"id": wf["id"]})
    assert encoding == [False, False, True]  # no graph read, no pause
    assert gc.isenabled()
