"""A live `taskforge serve` for the fuzz stage, and a deployment of real objects in it.

The server's output goes to a file, so a failing case can be shown with the traceback
the server logged for it. The deployment holds an object of every kind in several
states, so generated ids get past NOT_FOUND into the resolvers and services.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import TASKFORGE
from tests.helpers import free_port


@dataclass
class LiveServer:
    base_url: str  # http://host:port
    api_key: str
    email: str
    password: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def live_server(env: dict[str, str], cwd: Path) -> Iterator[LiveServer]:
    """`taskforge serve` as a subprocess; yields once it listens, with the first-run key."""
    port = free_port()
    log = cwd / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*TASKFORGE, "serve", "--port", str(port)],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while "Uvicorn running" not in (text := log.read_text(errors="replace")):
            assert proc.poll() is None and time.monotonic() < deadline, text
            time.sleep(0.05)
        creds = dict(re.findall(r"^\s+(email|password|API key):\s+(\S+)", text, re.M))
        assert len(creds) == 3, text
        yield LiveServer(
            f"http://127.0.0.1:{port}", creds["API key"], creds["email"], creds["password"], log
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@dataclass
class Deployment:
    """The ids of what `build` created, by kind; ``protected`` must never be revoked."""

    ids: dict[str, list[str]] = field(default_factory=dict)
    queue_names: list[str] = field(default_factory=list)
    # other values worth sending as they are: cursors, the admin's credentials
    values: dict[str, list[str]] = field(default_factory=dict)
    protected: set[str] = field(default_factory=set)

    def add(self, kind: str, *ids: str) -> None:
        self.ids.setdefault(kind, []).extend(ids)

    def all_ids(self) -> list[str]:
        return sorted({i for ids in self.ids.values() for i in ids} - self.protected)


class _Client:
    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def ok(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        resp = self.http.post("/graphql", json={"query": query, "variables": variables or {}})
        body: dict[str, Any] = resp.json()
        assert resp.status_code == 200 and not body.get("errors"), (query, body)
        data: dict[str, Any] = body["data"]
        return data

    def one(self, query: str, **variables: Any) -> Any:
        """The only root field of a mutation's answer."""
        [value] = self.ok(query, variables).values()
        return value


_QUEUE = """mutation($p: ID!, $n: String!, $s: QueueSettingsInput) {
  createQueue(projectId: $p, name: $n, settings: $s) { id } }"""
_WORKER = """mutation($q: [QueueWeightInput!]!) {
  registerWorker(name: "fuzz-worker", queues: $q) { id } }"""
_ENQUEUE = "mutation($j: [EnqueueJobInput!]!) { enqueueJobs(jobs: $j) { id } }"
_CLAIM = """mutation($w: ID!, $q: [ID!], $n: Int!) {
  claimJobs(workerId: $w, queues: $q, limit: $n) { executionId jobId } }"""
_LOG = """mutation($e: ID!) { appendLogs(executionId: $e,
  entries: [{message: "hello", level: WARN, metadata: {k: [1, 2]}}]) }"""
_COMPLETE = "mutation($e: ID!, $o: JSON) { completeJob(executionId: $e, output: $o) { id } }"
_FAIL = """mutation($e: ID!, $r: Boolean!) {
  failJob(executionId: $e, error: "boom", retryable: $r) { id } }"""
_CANCEL = 'mutation($j: ID!) { cancelJob(id: $j, reason: "fuzz") { id } }'
_EDGE = "mutation($i: CreateDependencyInput!) { createDependency(input: $i) { id } }"
_WORKFLOW = """mutation($i: CreateWorkflowInput!) {
  createWorkflow(input: $i) { id jobs { id } } }"""
_SCHEDULE = "mutation($i: ScheduleInput!) { createSchedule(input: $i) { id } }"
_TEMPLATE = """mutation($i: CreateWorkflowTemplateInput!) {
  createWorkflowTemplate(input: $i) { id } }"""
_PAUSE = "mutation($s: ID!) { pauseSchedule(id: $s) { id } }"
_KEY = """mutation($p: [String!]!) {
  createApiKey(name: "spare", permissions: $p) { apiKey { id } } }"""


def build(server: LiveServer) -> Deployment:
    """Create a project, queues, a worker, jobs in every state with executions and
    logs, edges, workflows (one PAUSED), schedules and spare API keys; return their ids."""
    d = Deployment()
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as http:
        gql = _Client(http)
        seen = gql.ok(
            "{ viewer { apiKey { id } } projects { edges { node { id queues { id name } } } } }"
        )
        # revoking the key in use would leave every later case UNAUTHENTICATED
        d.protected.add(seen["viewer"]["apiKey"]["id"])
        for edge in seen["projects"]["edges"]:
            d.add("project", edge["node"]["id"])
            d.add("queue", *(q["id"] for q in edge["node"]["queues"]))
            d.queue_names += [q["name"] for q in edge["node"]["queues"]]
        project = gql.one('mutation { createProject(name: "fuzz", description: "x") { id } }')["id"]
        d.add("project", project)
        queues = _queues(gql, d, project)
        worker = gql.one(_WORKER, q=[{"queueId": q, "weight": 2} for q in queues.values()])["id"]
        d.add("worker", worker)
        _jobs(gql, d, queues, worker)
        _workflows(gql, d, project, queues["flows"], worker)
        _schedules(gql, d, project, queues["fast"])
        _templates(gql, d, project)
        for permissions in (["jobs:read", "workers"], ["admin"]):
            d.add("api_key", gql.one(_KEY, p=permissions)["apiKey"]["id"])
        # a cursor of every connection: valid for its own, garbage for the others
        for connection in (
            "projects",
            "queues",
            "jobs",
            "workers",
            "workflows",
            "schedules",
            "workflowTemplates",
        ):
            page = gql.ok(f"{{ {connection}(first: 1) {{ pageInfo {{ endCursor }} }} }}")
            d.values.setdefault("cursor", []).append(page[connection]["pageInfo"]["endCursor"])
    d.values["email"] = [server.email, "nobody@example.com"]
    d.values["password"] = [server.password, "wrong password"]
    return d


def _queues(gql: _Client, d: Deployment, project: str) -> dict[str, str]:
    # a long backoff keeps a failed attempt waiting in SCHEDULED, its execution RETRYING;
    # workflows take their first jobs from a queue of their own, so a claim there takes
    # exactly those
    settings = {
        "fast": None,
        "slow": {"maxAttempts": 3, "baseDelaySeconds": 3600.0, "maxDelaySeconds": 7200.0},
        "flows": {"maxAttempts": 1, "timeoutSeconds": 3600},
    }
    queues = {n: gql.one(_QUEUE, p=project, n=n, s=s)["id"] for n, s in settings.items()}
    d.add("queue", *queues.values())
    d.queue_names += list(queues)
    return queues


def _jobs(gql: _Client, d: Deployment, queues: dict[str, str], worker: str) -> None:
    """Jobs SUCCEEDED, FAILED, SCHEDULED in backoff, PROCESSING, PENDING, SCHEDULED in
    the future and CANCELLED, with edges of every type between them."""
    claimed = gql.one(
        _ENQUEUE,
        j=[
            {"queueId": queues["slow"], "jobType": "fuzz.claimed", "payload": {"n": i}}
            for i in range(5)
        ],
    )
    c = [j["id"] for j in claimed]
    d.add("job", *c)
    execs = {
        x["jobId"]: x["executionId"] for x in gql.one(_CLAIM, w=worker, q=[queues["slow"]], n=5)
    }
    e = [execs[j] for j in c]
    d.add("execution", *e)
    gql.ok(_LOG, {"e": e[0]})
    gql.ok(_COMPLETE, {"e": e[0], "o": {"ok": True, "n": 3}})
    gql.ok(_FAIL, {"e": e[1], "r": False})
    gql.ok(_FAIL, {"e": e[2], "r": True})  # back to SCHEDULED, an hour away
    # e[3] and e[4] stay PROCESSING

    later = {
        "queueId": queues["fast"],
        "jobType": "fuzz.later",
        "scheduledFor": "2999-01-01T00:00:00Z",
    }
    waiting = [
        {"queueId": queues["fast"], "jobType": "fuzz.pending", "payload": {"i": i}, "priority": i}
        for i in range(6)
    ]
    p = [j["id"] for j in gql.one(_ENQUEUE, j=[*waiting, later])]
    d.add("job", *p)
    gql.ok(_CANCEL, {"j": p[5]})
    edges = [
        {"parentJobId": p[0], "childJobId": p[1]},
        {
            "parentJobId": p[1],
            "childJobId": p[2],
            "type": "CONDITIONAL",
            "expression": 'output.status == "valid"',
        },
        {"parentJobId": c[0], "childJobId": p[3], "condition": "ALWAYS"},
        {"parentJobId": c[3], "childJobId": p[4], "type": "PARALLEL"},
    ]
    d.add("dependency", *(gql.one(_EDGE, i=edge)["id"] for edge in edges))


def _workflows(gql: _Client, d: Deployment, project: str, flows: str, worker: str) -> None:
    """A workflow of each failure policy: MANUAL PAUSED on its failed first job,
    CONTINUE_ON_FAILURE RUNNING past its first, FAIL_FAST not started."""
    ids = {}
    for policy, start in (("MANUAL", True), ("FAIL_FAST", False), ("CONTINUE_ON_FAILURE", True)):
        definition = {
            "name": f"fuzz-{policy.lower()}",
            "failure_policy": policy,
            "jobs": [
                {"name": "extract", "job_type": "fuzz.extract", "queue": "flows"},
                {
                    "name": "transform",
                    "job_type": "fuzz.transform",
                    "queue": "slow",
                    "depends_on": "extract",
                },
                {
                    "name": "load",
                    "job_type": "fuzz.load",
                    "queue": "fast",
                    "dependencies": [{"job": "transform", "condition": "ALWAYS"}],
                },
            ],
        }
        wf = gql.one(_WORKFLOW, i={"projectId": project, "definition": definition, "start": start})
        ids[policy] = wf["jobs"][0]["id"]
        d.add("workflow", wf["id"])
        d.add("job", *(j["id"] for j in wf["jobs"]))
    firsts = {x["jobId"]: x["executionId"] for x in gql.one(_CLAIM, w=worker, q=[flows], n=10)}
    d.add("execution", *firsts.values())
    gql.ok(_FAIL, {"e": firsts[ids["MANUAL"]], "r": False})
    gql.ok(_COMPLETE, {"e": firsts[ids["CONTINUE_ON_FAILURE"]], "o": {"rows": 10}})


def _templates(gql: _Client, d: Deployment, project: str) -> None:
    """Two versions of a template, one that runs it as a sub-workflow, and a run of
    that one, started: its workflow job PROCESSING with a RUNNING child run."""
    etl = {"name": "fuzz-etl", "jobs": [{"name": "x", "job_type": "fuzz.etl", "queue": "fast"}]}
    for _ in range(2):
        gql.one(_TEMPLATE, i={"projectId": project, "definition": etl})
    nightly = {
        "name": "fuzz-nightly",
        "jobs": [{"name": "sub", "workflow": {"template": "fuzz-etl"}, "input": {"n": 1}}],
    }
    gql.one(_TEMPLATE, i={"projectId": project, "definition": nightly})
    run = {"projectId": project, "template": {"name": "fuzz-nightly"}, "start": True}
    wf = gql.one(_WORKFLOW, i=run)
    d.add("workflow", wf["id"])
    d.add("job", *(j["id"] for j in wf["jobs"]))


def _schedules(gql: _Client, d: Deployment, project: str, queue: str) -> None:
    """A schedule of each type for a job, one PAUSED, and one for a workflow."""
    target = {"queueId": queue, "jobType": "fuzz.scheduled"}
    schedules = [
        {
            "name": "cron",
            "type": "CRON",
            "expression": "0 3 * * *",
            "timezone": "Europe/Rome",
            **target,
        },
        {"name": "every", "type": "RECURRING", "expression": "1h30m", "maxRuns": 5, **target},
        {"name": "once", "type": "ONCE", "expression": "2999-06-01T12:00:00Z", **target},
        {
            "name": "nightly",
            "type": "RECURRING",
            "expression": "1d",
            "projectId": project,
            "workflowDefinition": {
                "name": "nightly",
                "jobs": [{"name": "a", "job_type": "t", "queue": "fast"}],
            },
        },
    ]
    ids = [gql.one(_SCHEDULE, i=s)["id"] for s in schedules]
    d.add("schedule", *ids)
    gql.ok(_PAUSE, {"s": ids[1]})
