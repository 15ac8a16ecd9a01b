"""Properties of the input boundary over GraphQL, on both databases: for every text and
JSON argument of the main mutations, an arbitrary value (any Unicode, NUL and lone
surrogates included, very long; any nested JSON, big integers and deep nesting
included) is either refused with BAD_USER_INPUT, having written nothing (rows of every
table, the events outbox included), or stored and read back as an equal value."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taskforge.domain.enums import Tier
from tests.conftest import new_org
from tests.helpers import asgi_client
from tests.integration.test_input_boundary import deep, raw, row_counts
from tests.unit.test_inputs import admissible

PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

characters = st.characters(exclude_categories=())  # surrogates and NUL included
short_text = st.text(characters, max_size=12)
long_text = st.builds(
    lambda c, n: c * n, st.sampled_from(["x", "é", " ", "\x00"]), st.integers(150, 70_000)
)
texts = (
    short_text
    | st.sampled_from(["", "   ", " padded ", "a\x00b", "\ud800", "é" * 201, "\U0001f600"])
    | long_text
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(2**53) - 2, 2**53 + 2)
    | st.floats(allow_nan=False, allow_infinity=False)
    | short_text
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(short_text, inner, max_size=3),
    max_leaves=10,
) | st.builds(deep, st.integers(60, 120), scalars)
json_objects = st.dictionaries(short_text, json_values, max_size=3) | st.builds(
    lambda v: {"d": v}, json_values
)


class Api:
    """A client for one organization, with the ids the properties need."""

    def __init__(self, gql: Any, runtime: Any, org: Any) -> None:
        self.gql, self.runtime, self.org = gql, runtime, org
        self.queue, self.project = str(org.queue.id), str(org.project.id)
        self.names: dict[str, set[str]] = {}  # unique names stored so far, per kind
        self.worker: str | None = None
        self.execution: str | None = None  # one for all the logs, of job log_job
        self.log_job: str | None = None

    async def attempt(
        self, query: str, variables: dict[str, Any], *values: Any
    ) -> dict[str, Any] | None:
        """The data, or None when refused as bad input (which must have written nothing).
        ``values`` that break a generic rule (``admissible``) must be refused."""
        before = await row_counts(self.runtime)
        body = await raw(self.gql, query, variables)
        if not body.get("errors"):
            assert all(admissible(v) for v in values), body
            return body["data"]  # type: ignore[no-any-return]
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert await row_counts(self.runtime) == before, error
        return None

    async def unique(
        self, kind: str, query: str, variables: dict[str, Any], name: str, *values: Any
    ) -> Any:
        """Like ``attempt`` for a name unique per kind: a name stored before is a CONFLICT."""
        stored = self.names.setdefault(kind, set())
        if name.strip() in stored:
            body = await raw(self.gql, query, variables)
            assert body["errors"][0]["extensions"]["code"] in ("CONFLICT", "BAD_USER_INPUT")
            return None
        data = await self.attempt(query, variables, name, *values)
        if data is not None:
            stored.add(name.strip())
        return data

    async def ok(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        return await self.gql.ok(query, variables)  # type: ignore[no-any-return]

    async def claimed(self) -> tuple[str, str]:
        """A new job claimed by the test's worker: (execution id, job id)."""
        if self.worker is None:
            self.worker = (
                await self.ok(
                    'mutation($q: ID!) { registerWorker(name: "w", queues: [{queueId: $q}]) { id } }',  # noqa: E501
                    {"q": self.queue},
                )
            )["registerWorker"]["id"]
        job = await self.ok(
            'mutation($q: ID!) { enqueueJob(input: {queueId: $q, jobType: "t"}) { id } }',
            {"q": self.queue},
        )
        [claim] = (
            await self.ok(
                "mutation($w: ID!) { claimJobs(workerId: $w, limit: 1) { executionId } }",
                {"w": self.worker},
            )
        )["claimJobs"]
        return claim["executionId"], job["enqueueJob"]["id"]


@pytest.fixture
async def api(runtime):
    org = await new_org(runtime.services, "Props", Tier.ENTERPRISE)  # no quotas
    async with asgi_client(runtime, org.api_key.secret) as gql:
        yield Api(gql, runtime, org)


# --- names and text --------------------------------------------------------------------


@PROPERTY
@given(name=texts, description=st.none() | texts)
async def test_create_project(api, name, description) -> None:
    data = await api.unique(
        "project",
        "mutation($n: String!, $d: String) { createProject(name: $n, description: $d) "
        "{ name description } }",
        {"n": name, "d": description},
        name,
        description,
    )
    if data is not None:
        assert data["createProject"] == {"name": name.strip(), "description": description}


@PROPERTY
@given(name=texts)
async def test_create_queue(api, name) -> None:
    data = await api.unique(
        "queue",
        "mutation($p: ID!, $n: String!) { createQueue(projectId: $p, name: $n) { name } }",
        {"p": api.project, "n": name},
        name,
    )
    if data is not None:
        assert data["createQueue"]["name"] == name.strip()


@PROPERTY
@given(name=texts)
async def test_register_worker(api, name) -> None:
    data = await api.attempt(
        "mutation($q: ID!, $n: String!) { registerWorker(name: $n, queues: [{queueId: $q}]) "
        "{ name } }",
        {"q": api.queue, "n": name},
        name,
    )
    if data is not None:
        assert data["registerWorker"]["name"] == name.strip()


@PROPERTY
@given(job_type=texts | st.from_regex(r"[A-Za-z0-9_.:\-]{1,220}", fullmatch=True))
async def test_enqueue_job_type(api, job_type) -> None:
    data = await api.attempt(
        "mutation($q: ID!, $t: String!) { enqueueJob(input: {queueId: $q, jobType: $t}) "
        "{ jobType } }",
        {"q": api.queue, "t": job_type},
        job_type,
    )
    if data is not None:
        assert data["enqueueJob"]["jobType"] == job_type


@PROPERTY
@given(reason=texts)
async def test_cancel_reason(api, reason) -> None:
    job = await api.ok(
        'mutation($q: ID!) { enqueueJob(input: {queueId: $q, jobType: "t"}) { id } }',
        {"q": api.queue},
    )
    data = await api.attempt(
        "mutation($id: ID!, $r: String) { cancelJob(id: $id, reason: $r) { status statusReason } }",
        {"id": job["enqueueJob"]["id"], "r": reason},
        reason,
    )
    if data is not None:
        expected = reason or "cancelled_by_user"
        assert data["cancelJob"] == {"status": "CANCELLED", "statusReason": expected}


@PROPERTY
@given(message=texts, metadata=st.none() | json_objects)
async def test_append_logs(api, message, metadata) -> None:
    if api.execution is None:
        api.execution, api.log_job = await api.claimed()
    entry = {"message": message, "metadata": metadata}
    data = await api.attempt(
        "mutation($e: ID!, $l: [LogEntryInput!]!) { appendLogs(executionId: $e, entries: $l) }",
        {"e": api.execution, "l": [entry]},
        message,
        metadata,
    )
    if data is not None:
        logs = await api.ok(
            "query($id: ID!) { job(id: $id) { executions { logs { message metadata } } } }",
            {"id": api.log_job},
        )
        [execution] = logs["job"]["executions"]
        assert execution["logs"][-1] == {"message": message, "metadata": metadata or {}}


# --- JSON ------------------------------------------------------------------------------


@PROPERTY
@given(payload=json_values)
async def test_enqueue_payload(api, payload) -> None:
    data = await api.attempt(
        'mutation($q: ID!, $p: JSON) { enqueueJob(input: {queueId: $q, jobType: "t", '
        "payload: $p}) { id } }",
        {"q": api.queue, "p": payload},
        payload,
    )
    if data is not None:
        read = await api.ok(
            "query($id: ID!) { job(id: $id) { payload } }", {"id": data["enqueueJob"]["id"]}
        )
        assert read["job"]["payload"] == (payload if payload is not None else {})


@PROPERTY
@given(output=json_objects)
async def test_complete_output(api, output) -> None:
    execution, job = await api.claimed()
    data = await api.attempt(
        "mutation($e: ID!, $o: JSON) { completeJob(executionId: $e, output: $o) { id } }",
        {"e": execution, "o": output},
        output,
    )
    if data is not None:
        read = await api.ok("query($id: ID!) { job(id: $id) { status output } }", {"id": job})
        assert read["job"] == {"status": "SUCCEEDED", "output": output}


@PROPERTY
@given(name=texts, payload=json_objects, metadata=json_objects)
async def test_create_schedule(api, name, payload, metadata) -> None:
    schedule = {
        "name": name,
        "type": "CRON",
        "expression": "0 * * * *",
        "queueId": api.queue,
        "jobType": "t",
        "payload": payload,
        "metadata": metadata,
    }
    data = await api.attempt(
        "mutation($i: ScheduleInput!) { createSchedule(input: $i) { id } }",
        {"i": schedule},
        name,
        payload,
        metadata,
    )
    if data is not None:
        read = await api.ok(
            "query($id: ID!) { schedule(id: $id) { name payload metadata } }",
            {"id": data["createSchedule"]["id"]},
        )
        assert read["schedule"] == {"name": name.strip(), "payload": payload, "metadata": metadata}


@PROPERTY
@given(name=texts, payload=json_objects)
async def test_create_workflow(api, name, payload) -> None:
    definition = {"name": "wf", "jobs": [{"name": name, "job_type": "t", "payload": payload}]}
    data = await api.attempt(
        "mutation($p: ID!, $d: JSON!) { createWorkflow(input: {projectId: $p, definition: $d}) "
        "{ id definition jobs { name payload } } }",
        {"p": api.project, "d": definition},
        definition,
    )
    if data is not None:
        read = await api.ok(
            "query($id: ID!) { workflow(id: $id) { definition jobs { name payload } } }",
            {"id": data["createWorkflow"]["id"]},
        )
        assert read["workflow"]["definition"] == definition
        assert read["workflow"]["jobs"] == [{"name": name.strip(), "payload": payload}]
