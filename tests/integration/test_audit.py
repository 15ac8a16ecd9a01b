"""The audit log: administrative changes recorded in their own transaction, read back
newest first by admins only, one tenant at a time. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete, func, select

from taskforge.domain.errors import Forbidden
from taskforge.domain.tenancy import MEMBER_PERMISSIONS
from taskforge.persistence.tables import AuditEntry, JobQueue
from taskforge.services import audit, auth, jobs, queues
from taskforge.services.base import Principal
from tests.conftest import new_org
from tests.helpers import asgi_client

LOG = """query($first: Int!, $after: String, $action: String, $type: String, $actor: ID) {
  auditLog(first: $first, after: $after, action: $action, targetType: $type, actor: $actor) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id action targetType targetId actorUserId actorApiKeyId details createdAt } }
  }
}"""


async def audit_rows(runtime, org_id=None) -> list[AuditEntry]:
    async with runtime.db.read() as session:
        stmt = select(AuditEntry)
        if org_id is not None:
            stmt = stmt.where(AuditEntry.organization_id == org_id)
        return list(await session.scalars(stmt))


async def log_of(client, **variables) -> list[dict]:
    data = await client.ok(LOG, {"first": 100, **variables})
    return [edge["node"] for edge in data["auditLog"]["edges"]]


async def _without_creation_entry(svc, created):
    """The organization with its ``organization.created`` entry removed: each test here
    starts from an empty log and counts only the entries its own operations write
    (tests/integration/test_admin_audit_trail.py checks the creation entry)."""
    async with svc.write() as session:
        await session.execute(
            delete(AuditEntry).where(
                AuditEntry.organization_id == created.organization.id,
                AuditEntry.action == "organization.created",
            )
        )
    return created


@pytest.fixture
async def org(svc):
    return await _without_creation_entry(svc, await new_org(svc, "Acme"))


@pytest.fixture
async def other_org(svc):
    return await _without_creation_entry(svc, await new_org(svc, "Globex"))


@pytest.fixture
async def gql(runtime, org):
    async with asgi_client(runtime, org.api_key.secret) as client:
        yield client


async def test_administrative_operations_are_recorded(gql, org, runtime) -> None:
    key_id = str(org.api_key.key.id)
    project = (await gql.ok('mutation { createProject(name: "web") { id } }'))["createProject"]
    queue = (
        await gql.ok(
            'mutation($p: ID!) { createQueue(projectId: $p, name: "q") { id } }',
            {"p": project["id"]},
        )
    )["createQueue"]
    await gql.ok("mutation($id: ID!) { updateQueue(id: $id, priority: 9) { id } }", queue)
    job = (
        await gql.ok(
            'mutation($q: ID!) { enqueueJob(input: {queueId: $q, jobType: "noop"}) { id } }',
            {"q": queue["id"]},
        )
    )["enqueueJob"]
    await gql.ok("mutation($id: ID!) { deleteJob(id: $id) }", job)
    created = await gql.ok(
        'mutation { createApiKey(name: "ci", permissions: ["jobs:read"]) { secret apiKey { id } } }'
    )
    new_key = created["createApiKey"]["apiKey"]["id"]
    await gql.ok("mutation($id: ID!) { revokeApiKey(id: $id) { id } }", {"id": new_key})
    wf = await gql.ok(
        "mutation($p: ID!, $d: JSON!) { createWorkflow(input: {projectId: $p, definition: $d}) "
        "{ id } }",
        {
            "p": project["id"],
            "d": {"name": "wf", "jobs": [{"name": "a", "job_type": "noop", "queue": "q"}]},
        },
    )
    await gql.ok("mutation($id: ID!) { deleteWorkflow(id: $id) }", wf["createWorkflow"])
    schedule = await gql.ok(
        'mutation($q: ID!) { createSchedule(input: {name: "s", type: CRON, expression: '
        '"0 * * * *", queueId: $q, jobType: "noop"}) { id } }',
        {"q": queue["id"]},
    )
    await gql.ok("mutation($id: ID!) { deleteSchedule(id: $id) }", schedule["createSchedule"])
    await gql.ok("mutation($id: ID!) { deleteQueue(id: $id) }", queue)

    entries = await log_of(gql)
    assert [(e["action"], e["targetType"], e["targetId"]) for e in entries] == [
        ("queue.deleted", "queue", queue["id"]),
        ("schedule.deleted", "schedule", schedule["createSchedule"]["id"]),
        ("workflow.deleted", "workflow", wf["createWorkflow"]["id"]),
        ("api_key.revoked", "api_key", new_key),
        ("api_key.created", "api_key", new_key),
        ("job.deleted", "job", job["id"]),
        ("queue.updated", "queue", queue["id"]),
        ("queue.created", "queue", queue["id"]),
        ("project.created", "project", project["id"]),
    ]
    assert all(e["actorApiKeyId"] == key_id and e["actorUserId"] is None for e in entries)
    assert entries[0]["details"] == {"name": "q", "force": False}
    assert entries[6]["details"] == {"changed": ["priority"]}
    assert entries[4]["details"] == {"name": "ci", "permissions": ["jobs:read"]}
    # never a secret: the key's secret appears nowhere in the log
    secret = created["createApiKey"]["secret"]
    assert all(secret not in str(e) and secret[:10] not in str(e["details"]) for e in entries)


async def test_a_user_is_recorded_as_the_actor(gql, org) -> None:
    token = (
        await gql.as_(None).ok(
            'mutation($e: String!) { login(email: $e, password: "correct-horse-battery") '
            "{ token } }",
            {"e": org.admin.email},
        )
    )["login"]["token"]
    as_user = gql.as_(token)
    await as_user.ok('mutation { createProject(name: "by-user") { id } }')
    [entry] = await log_of(as_user)
    assert entry["actorUserId"] == str(org.admin.id)
    assert entry["actorApiKeyId"] is None
    assert [e["id"] for e in await log_of(gql, actor=str(org.admin.id))] == [entry["id"]]
    assert await log_of(gql, actor=str(org.api_key.key.id)) == []


async def test_filters_and_pages(gql, org) -> None:
    for name in ("a", "b", "c"):
        await gql.ok("mutation($n: String!) { createProject(name: $n) { id } }", {"n": name})
    await gql.ok('mutation { createApiKey(name: "k", permissions: ["jobs:read"]) { secret } }')
    assert [e["action"] for e in await log_of(gql, action="project.created")] == [
        "project.created"
    ] * 3
    assert [e["targetType"] for e in await log_of(gql, type="api_key")] == ["api_key"]
    assert await log_of(gql, action="queue.deleted") == []

    first = await gql.ok(LOG, {"first": 2})
    page = first["auditLog"]
    assert page["totalCount"] == 4 and page["pageInfo"]["hasNextPage"] is True
    rest = await gql.ok(LOG, {"first": 2, "after": page["pageInfo"]["endCursor"]})
    seen = [e["node"]["id"] for e in page["edges"] + rest["auditLog"]["edges"]]
    assert len(set(seen)) == 4 and rest["auditLog"]["pageInfo"]["hasNextPage"] is False


async def test_a_failed_operation_leaves_no_entry(gql, org, runtime, admin, svc) -> None:
    await gql.ok('mutation { createProject(name: "dup") { id } }')
    assert await gql.error('mutation { createProject(name: "dup") { id } }') == "CONFLICT"
    await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="noop")])
    code = await gql.error("mutation($id: ID!) { deleteQueue(id: $id) }", {"id": str(org.queue.id)})
    assert code == "CONFLICT"
    assert [(r.action, r.target_id) for r in await audit_rows(runtime)] == [
        ("project.created", (await log_of(gql))[0]["targetId"])
    ]


async def test_the_entry_and_the_change_commit_together(svc, org, admin, runtime) -> None:
    """An entry that cannot be written takes the change down with it: one transaction."""
    before = await audit_rows(runtime)
    with pytest.raises(ValueError):
        async with svc.write() as session:
            queue = await session.get(JobQueue, org.queue.id)
            queue.priority = 1
            await audit.record(session, admin, "queue.updated", "queue", queue.id)
            await audit.record(
                session, admin, "queue.updated", "queue", queue.id, details={"password": "x"}
            )
    async with runtime.db.read() as session:
        assert (await session.get(JobQueue, org.queue.id)).priority == 5
    assert await audit_rows(runtime) == before


async def test_tenants_never_see_each_other(runtime, gql, org, other_org, svc) -> None:
    await gql.ok('mutation { createProject(name: "mine") { id } }')
    other = admin_principal(other_org)
    await queues.create_queue(svc, other, other_org.project.id, "theirs")
    async with asgi_client(runtime, other_org.api_key.secret) as theirs:
        assert [e["action"] for e in await log_of(theirs)] == ["queue.created"]
        # the other tenant's actor id filters to nothing, never to our entries
        assert await log_of(theirs, actor=str(org.api_key.key.id)) == []
        assert (await theirs.ok(LOG, {"first": 10}))["auditLog"]["totalCount"] == 1
    assert [e["action"] for e in await log_of(gql)] == ["project.created"]
    # another tenant's ids are NOT_FOUND and leave no entry in either log
    code = await gql.error(
        "mutation($id: ID!) { deleteQueue(id: $id) }", {"id": str(other_org.queue.id)}
    )
    assert code == "NOT_FOUND"
    code = await gql.error(
        "mutation($id: ID!) { revokeApiKey(id: $id) { id } }", {"id": str(other_org.api_key.key.id)}
    )
    assert code == "NOT_FOUND"
    assert len(await audit_rows(runtime, org.organization.id)) == 1
    assert len(await audit_rows(runtime, other_org.organization.id)) == 1


def admin_principal(created) -> Principal:
    return Principal(created.organization.id, frozenset({"admin"}), user_id=created.admin.id)


async def test_members_are_forbidden(gql, org, svc) -> None:
    member = Principal(org.organization.id, MEMBER_PERMISSIONS, user_id=uuid.uuid4())
    with pytest.raises(Forbidden):
        await audit.entries(svc, member, 10, None)
    reader = await auth.create_api_key(
        svc, admin_principal(org), "reader", sorted(MEMBER_PERMISSIONS)
    )
    assert await gql.as_(reader.secret).error(LOG, {"first": 10}) == "FORBIDDEN"


@pytest.mark.parametrize(
    "variables",
    [
        {"action": "Queue Deleted"},
        {"action": "deleted"},
        {"action": "queue." + "x" * 100},
        {"action": "queue.deleted\x00"},
        {"type": "Queue"},
        {"type": "q" * 51},
        {"actor": "not-an-id"},
        {"after": "garbage"},
        {"first": -1},
        {"first": 100_000},
    ],
)
async def test_bad_filters(gql, runtime, variables) -> None:
    before = len(await audit_rows(runtime))
    assert await gql.error(LOG, {"first": 10, **variables}) == "BAD_USER_INPUT"
    assert len(await audit_rows(runtime)) == before


async def test_only_admins_write_nothing_on_refusal(svc, org, runtime) -> None:
    """A forbidden administrative call records nothing."""
    member = Principal(org.organization.id, frozenset({"jobs:read"}))
    with pytest.raises(Forbidden):
        await auth.revoke_api_key(svc, member, org.api_key.key.id)
    async with runtime.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == 0
