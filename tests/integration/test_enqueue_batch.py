"""enqueueJobBatch: jobs of one queue and type from a list of payloads, by every rule
of enqueueJobs (limits, tenancy, quota, events, one transaction), on both backends."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, select

from taskforge.domain.enums import Tier
from taskforge.persistence.common import tenancy as tenancy_repo
from taskforge.persistence.tables import Event, Job
from taskforge.services import jobs
from tests.conftest import new_org
from tests.helpers import asgi_client

BATCH = """mutation($q: ID!, $t: String!, $p: [JSON!]!, $prio: Int! = 5, $s: DateTime,
  $m: Int) {
  enqueueJobBatch(queueId: $q, jobType: $t, payloads: $p, priority: $prio,
    scheduledFor: $s, maxAttempts: $m) {
    count ids jobs { id jobType payload priority status maxAttempts queueId }
  }
}"""


@pytest.fixture
async def gql(runtime, org):
    async with asgi_client(runtime, org.api_key.secret) as client:
        yield client


async def jobs_in_db(runtime) -> int:
    async with runtime.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Job)))


async def events_of(runtime, org) -> int:
    """Events the organization's transactions wrote (a row may hold several)."""
    async with runtime.db.read() as session:
        total = await session.scalar(
            select(func.coalesce(func.sum(Event.span), 0)).where(
                Event.organization_id == org.organization.id
            )
        )
        return int(total)


async def error_of(gql, variables: dict[str, Any]) -> dict[str, Any]:
    body = await gql.raw(BATCH, variables)
    assert body.get("errors"), body
    extensions: dict[str, Any] = body["errors"][0]["extensions"]
    return extensions


async def test_creates_one_job_a_payload_in_order(gql, runtime, org) -> None:
    payloads = [{"n": i, "to": f"user{i}@example.com"} for i in range(5)]
    before = await events_of(runtime, org)
    data = await gql.ok(
        BATCH,
        {"q": str(org.queue.id), "t": "send_email", "p": payloads, "prio": 7, "m": 3},
    )
    batch = data["enqueueJobBatch"]
    assert batch["count"] == 5
    assert batch["ids"] == [j["id"] for j in batch["jobs"]]
    assert len(set(batch["ids"])) == 5
    assert [j["payload"] for j in batch["jobs"]] == payloads
    assert {
        (j["jobType"], j["priority"], j["status"], j["maxAttempts"], j["queueId"])
        for j in batch["jobs"]
    } == {("send_email", 7, "PENDING", 3, str(org.queue.id))}
    # stored as enqueueJobs stores them, each with its status event
    listed = await gql.ok(
        "query($id: ID!) { job(id: $id) { payload jobType } }", {"id": batch["ids"][3]}
    )
    assert listed["job"] == {"payload": payloads[3], "jobType": "send_email"}
    assert await events_of(runtime, org) - before == 5


async def test_scheduled_for_later_makes_them_scheduled(gql, org) -> None:
    data = await gql.ok(
        BATCH,
        {"q": str(org.queue.id), "t": "noop", "p": [{}, {}], "s": "2999-01-01T00:00:00Z"},
    )
    assert {j["status"] for j in data["enqueueJobBatch"]["jobs"]} == {"SCHEDULED"}


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"p": []}, "payloads"),
        ({"p": [{}] * 4}, "payloads"),  # over the batch limit of this test's settings
        ({"p": [{}, {"big": "x" * 300}]}, "payloads[1]"),  # over the payload limit
        ({"p": [{}, {"bad": "a\x00b"}]}, "payloads[1]"),  # NUL: the input boundary
        ({"p": [{}], "t": "no spaces allowed"}, "jobType"),
        ({"p": [{}], "prio": 10}, "priority"),
        ({"p": [{}], "m": 0}, "maxAttempts"),
        ({"p": [{}], "q": "not-a-uuid"}, "queueId"),
    ],
)
async def test_bad_input_creates_nothing(runtime, org, variables, field) -> None:
    runtime.services.settings.limits.batch_size = 3
    runtime.services.settings.limits.payload_bytes = 100
    async with asgi_client(runtime, org.api_key.secret) as gql:
        extensions = await error_of(
            gql, {"q": str(org.queue.id), "t": "noop", "p": [{}], **variables}
        )
    assert extensions["code"] == "BAD_USER_INPUT"
    assert extensions["field"] == field
    assert await jobs_in_db(runtime) == 0


async def test_payloads_need_not_be_objects(gql, org) -> None:
    """As in enqueueJobs, a payload is any JSON value but null."""
    payloads = [[1, 2], "text", 3, True, {}]
    data = await gql.ok(BATCH, {"q": str(org.queue.id), "t": "noop", "p": payloads})
    assert [j["payload"] for j in data["enqueueJobBatch"]["jobs"]] == payloads


async def test_a_null_payload_is_refused_by_graphql(gql, runtime, org) -> None:
    body = await gql.raw(BATCH, {"q": str(org.queue.id), "t": "noop", "p": [{}, None]})
    assert body.get("errors")
    assert await jobs_in_db(runtime) == 0


async def test_another_organizations_queue_is_not_found(runtime, org, other_org) -> None:
    async with asgi_client(runtime, other_org.api_key.secret) as intruder:
        extensions = await error_of(intruder, {"q": str(org.queue.id), "t": "noop", "p": [{}]})
    assert extensions["code"] == "NOT_FOUND"
    assert await jobs_in_db(runtime) == 0


async def test_needs_jobs_write(gql, runtime, org) -> None:
    created = await gql.ok(
        'mutation { createApiKey(name: "ro", permissions: ["jobs:read"]) { secret } }'
    )
    reader = gql.as_(created["createApiKey"]["secret"])
    extensions = await error_of(reader, {"q": str(org.queue.id), "t": "noop", "p": [{}]})
    assert extensions["code"] == "FORBIDDEN"
    assert await jobs_in_db(runtime) == 0


async def test_the_monthly_quota_counts_every_job_all_or_none(runtime) -> None:
    small = await new_org(runtime.services, "Small", Tier.STARTER)
    async with runtime.services.write() as session:
        sub = await tenancy_repo.subscription(session, small.organization.id)
        assert sub is not None
        sub.max_jobs_per_month = 3
    variables = {"q": str(small.queue.id), "t": "noop"}
    async with asgi_client(runtime, small.api_key.secret) as gql:
        await gql.ok(BATCH, {**variables, "p": [{}, {}]})
        extensions = await error_of(gql, {**variables, "p": [{}, {}]})  # would make 4
        assert extensions["code"] == "QUOTA_EXCEEDED"
        assert await jobs_in_db(runtime) == 2
        await gql.ok(BATCH, {**variables, "p": [{}]})
    assert await jobs_in_db(runtime) == 3


async def test_the_created_jobs_are_the_stored_ones(svc, org, admin) -> None:
    """The enqueue hands up the rows as stored (PostgreSQL builds them from what it
    sent rather than reading them back): equal to a later read, field by field."""
    later = datetime(2999, 1, 1, 9, tzinfo=timezone(timedelta(hours=2)))
    specs = [
        jobs.NewJob(org.queue.id, "a", {"n": 1.5, "list": [1, "x", None], "ü": {"k": True}}),
        jobs.NewJob(org.queue.id, "b", {}, priority=9, scheduled_for=later, max_attempts=4),
    ]
    created = await jobs.enqueue(svc, admin, specs)
    assert [await jobs.get(svc, admin, job.id) for job in created] == created
    assert created[1].scheduled_for == later and created[1].scheduled_for.utcoffset() == timedelta()
