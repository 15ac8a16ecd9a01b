"""The GraphQL API over HTTP (ASGI): codes, limits, masking, auth, DataLoaders."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from taskforge.persistence.tables import Job
from taskforge.services import jobs as job_service
from tests.conftest import PASSWORD
from tests.helpers import asgi_client

ENQUEUE = """mutation($q: ID!, $t: String!, $p: JSON, $prio: Int!) {
  enqueueJob(input: {queueId: $q, jobType: $t, payload: $p, priority: $prio}) { id status priority }
}"""


@pytest.fixture
async def gql(runtime, org):
    async with asgi_client(runtime, org.api_key.secret) as client:
        yield client


async def job_count(runtime) -> int:
    async with runtime.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Job)))


async def test_login_then_use_the_token(gql, org) -> None:
    anon = gql.as_(None)
    data = await anon.ok(
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) "
        "{ token expiresAt user { email role } } }",
        {"e": org.admin.email, "p": PASSWORD},
    )
    assert data["login"]["user"] == {"email": org.admin.email, "role": "ADMIN"}
    viewer = await anon.as_(data["login"]["token"]).ok(
        "{ viewer { organization { id tier maxJobsPerMonth } user { email } apiKey { id } } }"
    )
    assert viewer["viewer"]["organization"]["id"] == str(org.organization.id)
    assert viewer["viewer"]["organization"]["tier"] == "STARTER"
    assert viewer["viewer"]["apiKey"] is None
    assert (
        await anon.error('mutation { login(email: "x@y.io", password: "nope-nope") { token } }')
        == "UNAUTHENTICATED"
    )


@pytest.mark.parametrize("token", [None, "garbage", "tf_unknown", "Bearer"])
async def test_unauthenticated(gql, token) -> None:
    assert await gql.as_(token).error("{ jobs { totalCount } }") == "UNAUTHENTICATED"


async def test_permission_is_forbidden_not_hidden(gql) -> None:
    data = await gql.ok(
        'mutation { createApiKey(name: "ro", permissions: ["jobs:read"]) '
        "{ secret apiKey { id permissions } } }"
    )
    reader = gql.as_(data["createApiKey"]["secret"])
    assert (await reader.ok("{ jobs { totalCount } }"))["jobs"]["totalCount"] == 0
    code = await reader.error('mutation { createProject(name: "p") { id } }')
    assert code == "FORBIDDEN"
    revoked = await gql.ok(
        "mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }",
        {"id": data["createApiKey"]["apiKey"]["id"]},
    )
    assert revoked["revokeApiKey"]["revokedAt"] is not None
    assert await reader.error("{ jobs { totalCount } }") == "UNAUTHENTICATED"


async def test_full_flow(gql, runtime) -> None:
    project = (await gql.ok('mutation { createProject(name: "web") { id } }'))["createProject"]
    queue = (
        await gql.ok(
            'mutation($p: ID!) { createQueue(projectId: $p, name: "q", priority: 7, '
            "settings: {maxAttempts: 4, timeoutSeconds: 9}) "
            "{ id settings { maxAttempts timeoutSeconds } } }",
            {"p": project["id"]},
        )
    )["createQueue"]
    assert queue["settings"] == {"maxAttempts": 4, "timeoutSeconds": 9}
    job = await gql.ok(ENQUEUE, {"q": queue["id"], "t": "send", "p": {"to": "a"}, "prio": 3})
    job_id = job["enqueueJob"]["id"]
    batch = await gql.ok(
        'mutation($q: ID!) { enqueueJobs(jobs: [{queueId: $q, jobType: "a"}, '
        '{queueId: $q, jobType: "b"}]) { id jobType } }',
        {"q": queue["id"]},
    )
    assert [j["jobType"] for j in batch["enqueueJobs"]] == ["a", "b"]
    listed = await gql.ok(
        "query($q: ID!) { jobs(queueId: $q, status: [PENDING], first: 2) "
        "{ totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }",
        {"q": queue["id"]},
    )
    assert listed["jobs"]["totalCount"] == 3 and listed["jobs"]["pageInfo"]["hasNextPage"]
    rest = await gql.ok(
        "query($q: ID!, $a: String) { jobs(queueId: $q, first: 2, after: $a) "
        "{ pageInfo { hasNextPage } edges { node { id } } } }",
        {"q": queue["id"], "a": listed["jobs"]["pageInfo"]["endCursor"]},
    )
    assert len(rest["jobs"]["edges"]) == 1 and not rest["jobs"]["pageInfo"]["hasNextPage"]
    cancelled = await gql.ok(
        "mutation($id: ID!) { cancelJob(id: $id) { status statusReason } }", {"id": job_id}
    )
    assert cancelled["cancelJob"]["status"] == "CANCELLED"
    assert (
        await gql.error("mutation($id: ID!) { cancelJob(id: $id) { status } }", {"id": job_id})
        == "CONFLICT"
    )
    assert (await gql.ok("mutation($id: ID!) { deleteJob(id: $id) }", {"id": job_id}))[
        "deleteJob"
    ] == job_id
    assert await gql.error("query($id: ID!) { job(id: $id) { id } }", {"id": job_id}) == "NOT_FOUND"
    assert (
        await gql.error("mutation($id: ID!) { deleteQueue(id: $id) }", {"id": queue["id"]})
        == "CONFLICT"
    )
    await gql.ok("mutation($id: ID!) { deleteQueue(id: $id, force: true) }", {"id": queue["id"]})
    assert await job_count(runtime) == 0


@pytest.mark.parametrize(
    "variables,code",
    [
        ({"prio": 10}, "BAD_USER_INPUT"),
        ({"prio": "high"}, "BAD_USER_INPUT"),
        ({"t": ""}, "BAD_USER_INPUT"),
        ({"q": "not-a-uuid"}, "BAD_USER_INPUT"),
        ({"q": "00000000-0000-4000-8000-000000000000"}, "NOT_FOUND"),
    ],
)
async def test_bad_enqueue_input(gql, org, runtime, variables, code) -> None:
    base = {"q": str(org.queue.id), "t": "noop", "p": {}, "prio": 5}
    assert await gql.error(ENQUEUE, {**base, **variables}) == code
    assert await job_count(runtime) == 0


async def test_bad_names_and_emails(gql) -> None:
    assert await gql.error('mutation { createProject(name: "  ") { id } }') == "BAD_USER_INPUT"
    assert (
        await gql.as_(None).error(
            'mutation { login(email: "not-an-email", password: "whatever1") { token } }'
        )
        == "BAD_USER_INPUT"
    )
    assert await gql.error("{ jobs(first: 1000) { totalCount } }") == "BAD_USER_INPUT"
    assert await gql.error('{ jobs(after: "garbage") { totalCount } }') == "BAD_USER_INPUT"
    assert await gql.error("{ nope }") == "BAD_USER_INPUT"
    assert await gql.error("{ jobs { ") == "BAD_USER_INPUT"


async def test_payload_over_the_limit(gql, org, runtime) -> None:
    big = {"blob": "x" * (runtime.settings.limits.payload_bytes + 1)}
    assert await gql.error(ENQUEUE, {"q": str(org.queue.id), "t": "n", "p": big, "prio": 1}) == (
        "BAD_USER_INPUT"
    )
    assert await job_count(runtime) == 0


async def test_request_body_limit(gql, runtime) -> None:
    body = "x" * (runtime.settings.limits.request_bytes + 10)
    resp = await gql.http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert resp.status_code == 413
    assert resp.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_depth_alias_and_token_limits(gql, runtime) -> None:
    limits = runtime.settings.limits

    def nested(levels: int) -> str:  # queue -> project -> queues -> project ...
        inner = "id"
        for i in range(levels):
            inner = f"{'project' if (levels - 1 - i) % 2 == 0 else 'queues'} {{ {inner} }}"
        return f"{{ queues {{ edges {{ node {{ {inner} }} }} }} }}"

    await gql.ok(nested(limits.query_depth - 4))
    assert await gql.error(nested(limits.query_depth)) == "BAD_USER_INPUT"
    aliases = (
        "{ "
        + " ".join(f"a{i}: viewer {{ permissions }}" for i in range(limits.query_aliases + 1))
        + " }"
    )
    assert await gql.error(aliases) == "BAD_USER_INPUT"
    tokens = "{ viewer { " + "permissions " * limits.query_tokens + "} }"
    assert await gql.error(tokens) == "BAD_USER_INPUT"


async def test_introspection_passes_the_depth_limit(gql) -> None:
    from graphql import get_introspection_query

    data = await gql.ok(get_introspection_query())
    assert data["__schema"]["queryType"]["name"] == "Query"


async def test_unexpected_errors_are_masked(gql, monkeypatch) -> None:
    async def broken(*args, **kwargs):
        raise RuntimeError("connection string postgres://secret")

    monkeypatch.setattr(job_service, "get", broken)
    body = await gql.raw('{ job(id: "00000000-0000-4000-8000-000000000000") { id } }')
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL"
    assert "secret" not in str(body)


async def test_no_n_plus_one(gql, org, runtime) -> None:
    projects = [
        (await gql.ok(f'mutation {{ createProject(name: "p{i}") {{ id }} }}'))["createProject"][
            "id"
        ]
        for i in range(2)
    ]
    queue_ids = []
    for i, p in enumerate(projects * 2):
        q = await gql.ok(
            f'mutation($p: ID!) {{ createQueue(projectId: $p, name: "q{i}") {{ id }} }}', {"p": p}
        )
        queue_ids.append(q["createQueue"]["id"])
    query = (
        "{ jobs(first: 100) { edges { node { id queue { name project { name "
        "queues { name } } } } } } }"
    )
    statements: list[str] = []

    def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    async def run_and_count(n_jobs: int) -> int:
        await gql.ok(
            "mutation($jobs: [EnqueueJobInput!]!) { enqueueJobs(jobs: $jobs) { id } }",
            {"jobs": [{"queueId": queue_ids[i % 4], "jobType": "x"} for i in range(n_jobs)]},
        )
        statements.clear()
        event.listen(runtime.db.engine.sync_engine, "before_cursor_execute", record)
        try:
            data = await gql.ok(query)
        finally:
            event.remove(runtime.db.engine.sync_engine, "before_cursor_execute", record)
        assert all(e["node"]["queue"]["project"]["queues"] for e in data["jobs"]["edges"])
        # the relay shares the engine; count only this request's reads
        return len(
            [
                s
                for s in statements
                if s.lstrip().upper().startswith("SELECT")
                and "outbox_cursor" not in s
                and "FROM events" not in s
            ]
        )

    few = await run_and_count(4)
    many = await run_and_count(60)
    # key lookup, jobs page, queues, projects, queues by project
    assert many == few <= 5


async def test_payloads_come_back_exactly(gql, org) -> None:
    """Responses are encoded fast (orjson) but exactly: the largest safe integers and
    non-ASCII text come back as they were sent; integers beyond JavaScript's safe range
    (here over 64 bits) are refused rather than returned changed."""
    payload = {"big": 2**53 - 1, "negative": -(2**53 - 1), "text": "naïve ✓", "nested": [1.5, None]}
    created = await gql.ok(ENQUEUE, {"q": str(org.queue.id), "t": "exact", "p": payload, "prio": 5})
    job_id = created["enqueueJob"]["id"]
    data = await gql.ok("query($id: ID!) { job(id: $id) { payload } }", {"id": job_id})
    assert data["job"]["payload"] == payload
    for big in (2**70, -(2**65)):
        variables = {"q": str(org.queue.id), "t": "exact", "p": {"big": big}, "prio": 5}
        assert await gql.error(ENQUEUE, variables) == "BAD_USER_INPUT"
