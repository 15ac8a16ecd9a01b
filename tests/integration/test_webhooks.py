"""Webhooks on SQLite and PostgreSQL: endpoints managed by admins over GraphQL, events of
the outbox delivered to a real local HTTP server, signed, in order per endpoint,
retried, logged and redelivered; one tenant at a time."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select, update

from taskforge.domain.enums import JobStatus, ScheduleKind, ScheduleStatus, WorkerType
from taskforge.domain.tenancy import MEMBER_PERMISSIONS
from taskforge.persistence.common import webhooks as repo
from taskforge.persistence.tables import Event, Subscription, WebhookDelivery
from taskforge.services import (
    auth,
    executions,
    jobs,
    scheduler,
    schedules,
    webhook_engine,
    workers,
    workflows,
)
from taskforge.services.schedules import ScheduleSpec
from taskforge.services.webhook_engine import WebhookEngine, dispatch, send
from taskforge.services.workers import QueueWeight
from tests.conftest import admin_of, make_settings, new_org
from tests.helpers import asgi_client, events_settled

CREATE = """mutation($input: CreateWebhookInput!) {
  createWebhook(input: $input) { secret webhook { id url eventTypes active description } }
}"""
UPDATE = """mutation($id: ID!, $input: UpdateWebhookInput!) {
  updateWebhook(id: $id, input: $input) { id url eventTypes active description }
}"""
DELETE = "mutation($id: ID!) { deleteWebhook(id: $id) }"
REDELIVER = """mutation($id: ID!) {
  redeliverWebhookDelivery(deliveryId: $id) { id status attempts redeliveryOf eventId }
}"""
LIST = "query { webhooks(first: 50) { totalCount edges { node { id url eventTypes } } } }"
DELIVERIES = """query($id: ID!, $first: Int = 50, $after: String) {
  webhookDeliveries(webhookId: $id, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node {
      id webhookId eventType eventId status attempts responseStatus error
      nextAttemptAt lastAttemptAt deliveredAt redeliveryOf createdAt payload
    } }
  }
}"""


# -- a real HTTP receiver ----------------------------------------------------------


@dataclass
class Received:
    path: str
    status: int  # what the receiver answered
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


@dataclass
class Receiver:
    """A local HTTP server in a thread: records every POST, answers each path from its
    ``replies`` (200 once they are used up)."""

    url: str
    received: list[Received] = field(default_factory=list)
    replies: dict[str, deque[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    delays: dict[str, float] = field(default_factory=dict)  # seconds before answering
    answer: bytes = b"no"  # the body of an answer other than 2xx

    def reply(self, path: str, *statuses: int) -> None:
        self.replies.setdefault(path, deque()).extend(statuses)

    def answered(self, status: int) -> list[Received]:
        return [r for r in self.received if r.status == status]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with state.lock:
                waiting = state.replies.get(self.path)
                status = waiting.popleft() if waiting else 200
                headers = {k.lower(): v for k, v in self.headers.items()}
                state.received.append(Received(self.path, status, headers, body))
            time.sleep(state.delays.get(self.path, 0.0))
            answer = b"ok" if status < 300 else state.answer
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


# -- fixtures ----------------------------------------------------------------------


@pytest.fixture
def settings(database_url: str, tmp_path: Path):
    return make_settings(
        database_url,
        tmp_path,
        webhooks_allow_http=True,
        webhooks_backoff_seconds=0.05,
        webhooks_backoff_max_seconds=0.1,
        webhooks_max_attempts=3,
        webhooks_timeout_seconds=5.0,
    )


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield client


@pytest.fixture
async def gql(runtime, org):
    async with asgi_client(runtime, org.api_key.secret) as client:
        yield client


@pytest.fixture
async def other_gql(runtime, other_org):
    async with asgi_client(runtime, other_org.api_key.secret) as client:
        yield client


async def create_hook(gql, url: str, *types: str, description: str | None = None) -> dict:
    data = await gql.ok(
        CREATE,
        {"input": {"url": url, "eventTypes": list(types), "description": description}},
    )
    made: dict = data["createWebhook"]
    return made


async def deliveries(gql, webhook_id: str) -> list[dict]:
    data = await gql.ok(DELIVERIES, {"id": webhook_id})
    return [e["node"] for e in data["webhookDeliveries"]["edges"]]


async def pump(
    svc, http: httpx.AsyncClient, until: Callable[[], bool], timeout: float = 30.0
) -> None:
    """Run the engine's steps (the relay stamps events meanwhile) until ``until``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not until():
        if loop.time() > deadline:
            raise AssertionError("the webhook engine did not get there in time")
        await dispatch(svc)
        await send(svc, http)
        await asyncio.sleep(0.02)


async def failed_job(svc, org) -> uuid.UUID:
    """A job that failed for good (one attempt, failed by its worker)."""
    admin = admin_of(org)
    worker = await workers.register(
        svc, admin, f"w-{uuid.uuid4().hex[:6]}", WorkerType.GENERAL, [QueueWeight(org.queue.id, 1)]
    )
    [job] = await jobs.enqueue(
        svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t", max_attempts=1)]
    )
    [claimed] = await executions.claim(svc, admin, worker.id, None, 1)
    await executions.fail(svc, admin, [(claimed.execution_id, ("boom", True))])
    assert (await jobs.get(svc, admin, job.id)).status is JobStatus.FAILED
    return job.id


def signed_by(secret: str, got: Received) -> bool:
    timestamp = got.headers["x-taskforge-timestamp"]
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + got.body, hashlib.sha256)
    return hmac.compare_digest(got.headers["x-taskforge-signature"], f"sha256={mac.hexdigest()}")


# -- endpoints ---------------------------------------------------------------------


async def test_admins_manage_endpoints_and_see_the_secret_once(gql, receiver) -> None:
    made = await create_hook(gql, receiver.url, "JOB_FAILED", "JOB_FAILED", description="ops")
    assert made["secret"].startswith("whsec_") and len(made["secret"]) > 30
    hook = made["webhook"]
    assert hook == {
        "id": hook["id"],
        "url": receiver.url,
        "eventTypes": ["JOB_FAILED"],
        "active": True,
        "description": "ops",
    }
    listed = (await gql.ok(LIST))["webhooks"]
    assert listed["totalCount"] == 1
    assert listed["edges"][0]["node"] == {k: hook[k] for k in ("id", "url", "eventTypes")}

    changed = await gql.ok(
        UPDATE,
        {"id": hook["id"], "input": {"eventTypes": ["WORKFLOW_FINISHED", "QUOTA_NEARLY_USED"]}},
    )
    assert changed["updateWebhook"]["eventTypes"] == ["QUOTA_NEARLY_USED", "WORKFLOW_FINISHED"]
    assert changed["updateWebhook"]["url"] == receiver.url  # untouched
    off = await gql.ok(UPDATE, {"id": hook["id"], "input": {"active": False}})
    assert off["updateWebhook"]["active"] is False

    assert (await gql.ok(DELETE, {"id": hook["id"]}))["deleteWebhook"] == hook["id"]
    assert (await gql.ok(LIST))["webhooks"]["totalCount"] == 0
    assert await gql.error(DELETE, {"id": hook["id"]}) == "NOT_FOUND"


@pytest.mark.parametrize(
    ("url", "allow_http"),
    [
        ("http://example.com/hook", True),  # http only to this machine
        ("http://127.0.0.1:9/hook", False),  # ... and only when allowed
        ("ftp://example.com/hook", True),
        ("https:///no-host", True),
        ("https://user:pw@example.com/hook", True),
        ("not a url", True),
        ("https://example.com:99999/hook", True),
        ("https://example.com/" + "x" * 2000, True),
        ("https://example.com/a\x00b", True),  # control characters
        ("https://10.0.0.7/hook", False),  # private, loopback, link-local addresses
        ("https://[::1]/hook", False),
        ("https://169.254.169.254/latest", False),
        ("https://localhost/hook", False),
    ],
)
async def test_bad_urls_are_refused_naming_the_field(gql, svc, url, allow_http) -> None:
    svc.settings.webhooks_allow_http = allow_http
    body = await gql.raw(CREATE, {"input": {"url": url, "eventTypes": ["JOB_FAILED"]}})
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "url"


async def test_https_urls_are_accepted_without_the_http_setting(gql, svc) -> None:
    svc.settings.webhooks_allow_http = False
    made = await create_hook(gql, "https://hooks.example.com/taskforge", "JOB_FAILED")
    assert made["webhook"]["url"] == "https://hooks.example.com/taskforge"


async def test_an_endpoint_needs_an_event_type(gql, receiver) -> None:
    body = await gql.raw(CREATE, {"input": {"url": receiver.url, "eventTypes": []}})
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "eventTypes",
        **{k: v for k, v in error["extensions"].items() if k not in ("code", "field")},
    }
    hook = (await create_hook(gql, receiver.url, "JOB_FAILED"))["webhook"]
    body = await gql.raw(UPDATE, {"id": hook["id"], "input": {"url": "http://example.com/"}})
    assert body["errors"][0]["extensions"]["field"] == "url"


async def test_members_are_forbidden(runtime, svc, org, gql, receiver) -> None:
    hook = (await create_hook(gql, receiver.url, "JOB_FAILED"))["webhook"]
    key = await auth.create_api_key(svc, admin_of(org), "member", sorted(MEMBER_PERMISSIONS))
    async with asgi_client(runtime, key.secret) as member:
        new = {"input": {"url": receiver.url, "eventTypes": ["JOB_FAILED"]}}
        assert await member.error(CREATE, new) == "FORBIDDEN"
        assert await member.error(UPDATE, {"id": hook["id"], "input": {"active": False}}) == (
            "FORBIDDEN"
        )
        assert await member.error(DELETE, {"id": hook["id"]}) == "FORBIDDEN"
        assert await member.error(LIST) == "FORBIDDEN"
        assert await member.error(DELIVERIES, {"id": hook["id"]}) == "FORBIDDEN"
        assert await member.error(REDELIVER, {"id": str(uuid.uuid4())}) == "FORBIDDEN"


# -- deliveries --------------------------------------------------------------------


async def test_a_failed_job_is_delivered_signed(svc, org, gql, http, receiver) -> None:
    made = await create_hook(gql, receiver.url, "JOB_FAILED")
    hook, secret = made["webhook"], made["secret"]
    job_id = await failed_job(svc, org)

    await pump(svc, http, lambda: len(receiver.received) >= 1)
    [got] = receiver.received
    assert signed_by(secret, got)
    assert not signed_by("whsec_another", got)
    assert got.headers["x-taskforge-event"] == "JOB_FAILED"
    assert got.headers["content-type"] == "application/json"
    body = got.json
    assert body["type"] == "JOB_FAILED"
    assert body["organizationId"] == str(org.organization.id)
    assert body["data"]["jobId"] == str(job_id) and body["data"]["status"] == "FAILED"

    [logged] = await deliveries(gql, hook["id"])
    assert got.headers["x-taskforge-delivery"] == logged["id"]
    assert logged["status"] == "DELIVERED" and logged["attempts"] == 1
    assert logged["responseStatus"] == 200 and logged["error"] is None
    assert logged["deliveredAt"] is not None and logged["nextAttemptAt"] is None
    assert logged["eventType"] == "JOB_FAILED" and logged["eventId"] == body["id"]
    assert logged["payload"] == body and logged["webhookId"] == hook["id"]

    await pump(svc, http, lambda: True)  # nothing more: sent once
    await asyncio.sleep(0.1)
    await dispatch(svc)
    assert await send(svc, http) == 0 and len(receiver.received) == 1


async def test_only_subscribed_events_are_delivered(svc, org, gql, http, receiver) -> None:
    """A job that failed is not a WORKFLOW_FINISHED; jobs that succeed are nothing."""
    hook = (await create_hook(gql, receiver.url, "WORKFLOW_FINISHED"))["webhook"]
    await failed_job(svc, org)
    wf = await workflows.create(
        svc,
        admin_of(org),
        org.project.id,
        {"name": "one", "jobs": [{"name": "a", "job_type": "t"}]},
        start=True,
    )
    await workflows.cancel(svc, admin_of(org), wf.id)

    await pump(svc, http, lambda: len(receiver.received) >= 1)
    await asyncio.sleep(0.1)
    await pump(svc, http, lambda: True)
    [got] = receiver.received
    assert got.json["type"] == "WORKFLOW_FINISHED"
    assert got.json["data"]["workflowId"] == str(wf.id)
    assert got.json["data"]["status"] == "CANCELLED"
    assert [d["eventType"] for d in await deliveries(gql, hook["id"])] == ["WORKFLOW_FINISHED"]


async def test_a_500_is_retried_then_delivered(svc, org, gql, http, receiver) -> None:
    hook = (await create_hook(gql, receiver.url, "JOB_FAILED"))["webhook"]
    receiver.reply("/hook", 500)
    await failed_job(svc, org)

    await pump(svc, http, lambda: len(receiver.received) >= 1)
    [logged] = await deliveries(gql, hook["id"])
    assert logged["status"] == "RETRYING" and logged["attempts"] == 1
    assert logged["responseStatus"] == 500 and logged["error"].startswith("HTTP 500")
    assert logged["nextAttemptAt"] is not None

    await pump(svc, http, lambda: len(receiver.received) >= 2)
    first, second = receiver.received
    assert first.headers["x-taskforge-delivery"] == second.headers["x-taskforge-delivery"]
    assert first.body == second.body  # the same bytes, signed again
    [logged] = await deliveries(gql, hook["id"])
    assert logged["status"] == "DELIVERED" and logged["attempts"] == 2
    assert logged["responseStatus"] == 200 and logged["error"] is None


async def test_a_slow_or_verbose_endpoint_is_a_failed_attempt(
    svc, org, gql, http, receiver
) -> None:
    """No answer within the timeout is a failed attempt; of a long answer only the
    start is kept in the log."""
    hook = (await create_hook(gql, receiver.url, "JOB_FAILED"))["webhook"]
    svc.settings.webhooks_timeout_seconds = 0.3
    receiver.delays["/hook"] = 1.0
    await failed_job(svc, org)
    await pump(svc, http, lambda: len(receiver.received) >= 1)
    [logged] = await deliveries(gql, hook["id"])
    assert logged["status"] == "RETRYING" and logged["responseStatus"] is None
    assert logged["error"].startswith("TimeoutError")

    receiver.delays["/hook"], receiver.answer = 0.0, b"x" * 100_000
    receiver.reply("/hook", 500)
    await pump(svc, http, lambda: len(receiver.received) >= 2)
    [logged] = await deliveries(gql, hook["id"])
    assert logged["responseStatus"] == 500 and logged["attempts"] == 2
    assert logged["error"].startswith("HTTP 500: xxx") and len(logged["error"]) <= 500


async def test_deliveries_of_an_endpoint_go_in_order(svc, org, gql, http, receiver) -> None:
    """The second and third wait while the first is retried; another endpoint's
    deliveries do not wait for this one."""
    hook = (await create_hook(gql, receiver.url, "JOB_FAILED"))["webhook"]
    other = (await create_hook(gql, receiver.url + "/other", "JOB_FAILED"))["webhook"]
    receiver.reply("/hook", 500, 503)
    ids = [await failed_job(svc, org) for _ in range(3)]

    await pump(svc, http, lambda: len(receiver.answered(200)) >= 6)
    mine = [r for r in receiver.received if r.path == "/hook"]
    assert [r.json["data"]["jobId"] for r in mine] == [str(i) for i in [ids[0]] * 3 + ids[1:]]
    assert [r.status for r in mine] == [500, 503, 200, 200, 200]
    log = await deliveries(gql, hook["id"])
    assert [d["status"] for d in log] == ["DELIVERED"] * 3
    assert [d["attempts"] for d in reversed(log)] == [3, 1, 1]
    theirs = await deliveries(gql, other["id"])
    assert [d["attempts"] for d in theirs] == [1, 1, 1]


async def test_failed_after_the_last_attempt_then_redelivered(
    svc, org, gql, http, receiver
) -> None:
    hook = (await create_hook(gql, receiver.url, "JOB_FAILED"))["webhook"]
    receiver.reply("/hook", 500, 500, 500)  # webhooks_max_attempts = 3
    first_job = await failed_job(svc, org)
    second_job = await failed_job(svc, org)

    await pump(svc, http, lambda: len(receiver.answered(200)) >= 1)
    jobs_seen = [r.json["data"]["jobId"] for r in receiver.received]
    assert jobs_seen == [str(first_job)] * 3 + [str(second_job)]  # the next one went on
    later, failed = await deliveries(gql, hook["id"])
    assert failed["status"] == "FAILED" and failed["attempts"] == 3
    assert failed["responseStatus"] == 500 and failed["nextAttemptAt"] is None
    assert later["status"] == "DELIVERED"

    again = (await gql.ok(REDELIVER, {"id": failed["id"]}))["redeliverWebhookDelivery"]
    assert again["redeliveryOf"] == failed["id"] and again["id"] != failed["id"]
    assert again["status"] == "PENDING" and again["attempts"] == 0
    assert again["eventId"] == failed["eventId"]
    await pump(svc, http, lambda: len(receiver.answered(200)) >= 2)
    last = receiver.received[-1]
    assert last.headers["x-taskforge-delivery"] == again["id"]
    assert last.body == receiver.received[0].body  # the same event, byte for byte
    log = {d["id"]: d for d in await deliveries(gql, hook["id"])}
    assert log[again["id"]]["status"] == "DELIVERED"
    assert log[failed["id"]]["status"] == "FAILED"  # the log keeps what happened


async def test_an_inactive_endpoint_gets_nothing(svc, org, gql, http, receiver) -> None:
    hook = (await create_hook(gql, receiver.url, "JOB_FAILED"))["webhook"]
    await gql.ok(UPDATE, {"id": hook["id"], "input": {"active": False}})
    await failed_job(svc, org)
    await asyncio.sleep(0.2)
    await pump(svc, http, lambda: True)
    await dispatch(svc)
    await send(svc, http)
    assert receiver.received == [] and await deliveries(gql, hook["id"]) == []


async def test_the_delivery_log_pages_newest_first(svc, org, gql, http, receiver) -> None:
    hook = (await create_hook(gql, receiver.url, "JOB_FAILED"))["webhook"]
    for _ in range(3):
        await failed_job(svc, org)
    await pump(svc, http, lambda: len(receiver.received) >= 3)
    page = (await gql.ok(DELIVERIES, {"id": hook["id"], "first": 2}))["webhookDeliveries"]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"] is True
    rest = await gql.ok(
        DELIVERIES, {"id": hook["id"], "first": 2, "after": page["pageInfo"]["endCursor"]}
    )
    nodes = [e["node"] for e in page["edges"]] + [
        e["node"] for e in rest["webhookDeliveries"]["edges"]
    ]
    event_ids = [int(n["eventId"]) for n in nodes]
    assert event_ids == sorted(event_ids, reverse=True) and len(set(event_ids)) == 3


# -- other event types -------------------------------------------------------------


async def test_quota_nearly_used_fires_once_a_period(svc, org, gql, http, receiver) -> None:
    hook = (await create_hook(gql, receiver.url, "QUOTA_NEARLY_USED"))["webhook"]
    async with svc.write() as session:
        await session.execute(
            update(Subscription)
            .where(Subscription.organization_id == org.organization.id)
            .values(max_jobs_per_month=10)
        )
    admin = admin_of(org)
    new = jobs.NewJob(queue_id=org.queue.id, job_type="t")
    await jobs.enqueue(svc, admin, [new] * 7)  # 70%: nothing
    await jobs.enqueue(svc, admin, [new] * 2)  # 90%: crossed
    await jobs.enqueue(svc, admin, [new])  # 100%: already told
    await pump(svc, http, lambda: len(receiver.received) >= 1)
    await asyncio.sleep(0.1)
    await pump(svc, http, lambda: True)
    [got] = receiver.received
    assert got.json["type"] == "QUOTA_NEARLY_USED"
    assert got.json["data"]["jobsUsed"] == 9 and got.json["data"]["limit"] == 10
    assert len(await deliveries(gql, hook["id"])) == 1


async def test_a_schedule_stopped_by_the_system_is_schedule_paused(
    svc, org, gql, http, receiver
) -> None:
    """The scheduler moves a schedule to FAILED when a due occurrence cannot fire (here:
    the job quota is used up): SCHEDULE_PAUSED. Pausing one by hand sends nothing."""
    await create_hook(gql, receiver.url, "SCHEDULE_PAUSED")
    admin = admin_of(org)
    real = svc.clock
    start = real()
    spec = ScheduleSpec(
        name="every second",
        kind=ScheduleKind.RECURRING,
        expression="1s",
        queue_id=org.queue.id,
        job_type="report",
    )
    paused = await schedules.create(svc, admin, replace(spec, name="paused by hand"))
    await schedules.pause(svc, admin, paused.id)
    made = await schedules.create(svc, admin, spec)
    async with svc.write() as session:  # the quota is used up
        await session.execute(
            update(Subscription)
            .where(Subscription.organization_id == org.organization.id)
            .values(max_jobs_per_month=0)
        )
    svc.clock = lambda: start + timedelta(seconds=5)
    await scheduler.tick(svc)
    svc.clock = real
    assert (await schedules.get(svc, admin, made.id)).status is ScheduleStatus.FAILED
    await pump(svc, http, lambda: len(receiver.received) >= 1)
    await asyncio.sleep(0.1)
    await pump(svc, http, lambda: True)
    [got] = receiver.received
    assert got.json["type"] == "SCHEDULE_PAUSED"
    assert got.json["data"]["scheduleId"] == str(made.id)
    assert got.json["data"]["status"] == "FAILED" and "quota" in got.json["data"]["error"]


# -- tenants -----------------------------------------------------------------------


async def test_another_organizations_endpoints_are_not_found(
    svc, org, other_org, gql, other_gql, http, receiver
) -> None:
    hook = (await create_hook(gql, receiver.url, "JOB_FAILED"))["webhook"]
    await failed_job(svc, org)
    await pump(svc, http, lambda: len(receiver.received) >= 1)
    [delivery] = await deliveries(gql, hook["id"])

    assert (await other_gql.ok(LIST))["webhooks"]["totalCount"] == 0
    update_it = {"id": hook["id"], "input": {"url": receiver.url + "/mine"}}
    assert await other_gql.error(UPDATE, update_it) == "NOT_FOUND"
    assert await other_gql.error(DELETE, {"id": hook["id"]}) == "NOT_FOUND"
    assert await other_gql.error(DELIVERIES, {"id": hook["id"]}) == "NOT_FOUND"
    assert await other_gql.error(REDELIVER, {"id": delivery["id"]}) == "NOT_FOUND"
    # untouched
    assert (await gql.ok(LIST))["webhooks"]["edges"][0]["node"]["url"] == receiver.url
    assert len(await deliveries(gql, hook["id"])) == 1

    # and the other organization's events never reach this endpoint
    await failed_job(svc, other_org)
    await asyncio.sleep(0.2)
    await pump(svc, http, lambda: True)
    await dispatch(svc)
    await send(svc, http)
    assert len(receiver.received) == 1


# -- safety ------------------------------------------------------------------------


async def test_an_engine_crash_loses_nothing(svc, org, gql, http, receiver) -> None:
    """A dispatch rolled back leaves the cursor: the next one makes the deliveries (once).
    A send that dies after its claim leaves a lease: the attempt is made again after it."""
    hook = (await create_hook(gql, receiver.url, "JOB_FAILED"))["webhook"]
    await failed_job(svc, org)
    await asyncio.sleep(0.2)  # stamped by the relay

    class Crash(Exception):
        pass

    real_move = repo.move_cursor

    async def crash(*args: Any) -> None:
        raise Crash

    repo.move_cursor = crash  # type: ignore[assignment]
    try:
        with pytest.raises(Crash):
            await dispatch(svc)
    finally:
        repo.move_cursor = real_move  # type: ignore[assignment]
    assert await deliveries(gql, hook["id"]) == []
    await dispatch(svc)
    await dispatch(svc)
    [made] = await deliveries(gql, hook["id"])

    now = svc.clock()
    async with svc.write() as session:  # a sender claims it, then dies
        [claimed] = await repo.claim_due(session, now, 10, now + timedelta(seconds=15))
    assert str(claimed.id) == made["id"]
    assert await send(svc, http) == 0  # leased: nobody else sends it meanwhile
    svc.clock = lambda: now + timedelta(seconds=16)
    assert await send(svc, http) == 1
    assert [r.headers["x-taskforge-delivery"] for r in receiver.received] == [made["id"]]
    [logged] = await deliveries(gql, hook["id"])
    assert logged["status"] == "DELIVERED" and logged["attempts"] == 2


async def test_concurrent_engines_send_each_delivery_once(svc, org, gql, http, receiver) -> None:
    for i in range(4):
        await create_hook(gql, f"{receiver.url}/{i}", "JOB_FAILED")
    for _ in range(3):
        await failed_job(svc, org)
    await asyncio.sleep(0.2)
    await asyncio.gather(*(dispatch(svc) for _ in range(3)))
    async with svc.read() as session:
        made = list(await session.scalars(select(WebhookDelivery)))
    assert len(made) == 12  # 3 events x 4 endpoints, each once

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while len(receiver.received) < 12 and loop.time() < deadline:
        await asyncio.gather(*(send(svc, http) for _ in range(3)))
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)
    await asyncio.gather(*(send(svc, http) for _ in range(3)))
    ids = [r.headers["x-taskforge-delivery"] for r in receiver.received]
    assert len(ids) == 12 and len(set(ids)) == 12


async def test_the_engine_runs_in_the_background(runtime, svc, org, gql, receiver) -> None:
    svc.settings.webhooks_interval = 0.05
    await create_hook(gql, receiver.url, "JOB_FAILED")
    engine = WebhookEngine(svc)
    engine.start()
    try:
        await failed_job(svc, org)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while not receiver.received and loop.time() < deadline:
            await asyncio.sleep(0.02)
    finally:
        await engine.stop()
    assert len(receiver.received) == 1
    assert any(isinstance(e, WebhookEngine) for e in runtime.engines)


async def test_a_slow_endpoint_holds_up_only_its_own_deliveries(svc, org, gql, receiver) -> None:
    """The engine keeps deliveries in flight each on its own: while one endpoint takes
    its time, another's backlog goes through, in order."""
    svc.settings.webhooks_interval = 0.05
    await create_hook(gql, receiver.url + "/slow", "JOB_FAILED")
    await create_hook(gql, receiver.url + "/fast", "JOB_FAILED")
    receiver.delays["/hook/slow"] = 3.0
    ids = [str(await failed_job(svc, org)) for _ in range(4)]
    engine = WebhookEngine(svc)
    engine.start()
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        fast: list[Received] = []
        while len(fast) < 4 and loop.time() < deadline:
            await asyncio.sleep(0.02)
            fast = [r for r in receiver.received if r.path == "/hook/fast"]
        slow = [r for r in receiver.received if r.path == "/hook/slow"]
        assert [r.json["data"]["jobId"] for r in fast] == ids
        assert len(slow) == 1  # still answering the first
    finally:
        await engine.stop(grace=5.0)


async def test_other_organizations_are_isolated_by_service(svc, other_org, org) -> None:
    """The service refuses another tenant's ids as NOT_FOUND too (not only GraphQL)."""
    from taskforge.domain.errors import NotFound
    from taskforge.domain.webhooks import WebhookEventType
    from taskforge.services import webhooks

    made = await webhooks.create(
        svc, admin_of(org), "https://example.com/h", [WebhookEventType.JOB_FAILED]
    )
    intruder = admin_of(other_org)
    with pytest.raises(NotFound):
        await webhooks.update(svc, intruder, made.webhook.id, active=False)
    with pytest.raises(NotFound):
        await webhooks.deliveries(svc, intruder, made.webhook.id, 10, None)
    with pytest.raises(NotFound):
        await webhooks.delete(svc, intruder, made.webhook.id)
    fresh = await new_org(svc, "Initech")
    listing = await webhooks.webhooks(svc, admin_of(fresh), 10, None)
    assert listing.items == []


async def test_the_log_keeps_finished_deliveries_for_its_retention(
    runtime, svc, org, gql, http, receiver
) -> None:
    from taskforge.services.webhook_engine import prune

    hook = (await create_hook(gql, receiver.url, "JOB_FAILED"))["webhook"]
    receiver.reply("/hook", 500)
    await failed_job(svc, org)
    await failed_job(svc, org)
    await events_settled(runtime)  # both events stamped: one dispatch makes both
    await pump(svc, http, lambda: len(receiver.received) >= 1)
    # the first RETRYING, the second waiting behind it: both open
    assert [d["status"] for d in await deliveries(gql, hook["id"])] == ["PENDING", "RETRYING"]
    later = svc.clock() + timedelta(days=svc.settings.webhooks_log_retention_days + 1)
    real = svc.clock
    svc.clock = lambda: later
    assert await prune(svc, limit=1) == 0  # open ones stay, however old
    svc.clock = real
    await pump(svc, http, lambda: len(receiver.answered(200)) >= 2)
    assert [d["status"] for d in await deliveries(gql, hook["id"])] == ["DELIVERED"] * 2
    svc.clock = lambda: later - timedelta(days=2)
    assert await prune(svc, limit=1) == 0  # within the retention
    svc.clock = lambda: later
    assert await prune(svc, limit=1) == 2  # in batches of one
    assert await deliveries(gql, hook["id"]) == []


async def test_a_url_the_client_cannot_use_is_a_failed_attempt(
    svc, org, gql, http, receiver
) -> None:
    """A host name that passes the checks but that the HTTP client refuses (invalid IDNA)
    fails the attempt like a refused connection: retried later, never left claimed."""
    hook = (await create_hook(gql, "https://xn--/hook", "JOB_FAILED"))["webhook"]
    await failed_job(svc, org)
    await asyncio.sleep(0.2)
    logged: list[dict] = []

    async def attempted() -> bool:
        logged[:] = await deliveries(gql, hook["id"])
        return bool(logged) and logged[0]["attempts"] == 1

    for _ in range(200):
        await dispatch(svc)
        await send(svc, http)
        if await attempted():
            break
    [only] = logged
    assert only["status"] == "RETRYING" and only["error"] and only["nextAttemptAt"]


async def test_events_pruned_past_the_cursor_are_skipped(
    svc, org, gql, http, receiver, monkeypatch
) -> None:
    """Events the retention removed while the engine was behind leave a gap wider than a
    window after its cursor: the engine goes on from the next event there is."""
    await create_hook(gql, receiver.url, "JOB_FAILED")
    await dispatch(svc)
    async with svc.read() as session:
        seen = await repo.position(session)
    admin = admin_of(org)
    for _ in range(5):  # events to prune (their jobs cancelled: the worker takes none)
        [job] = await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")])
        await jobs.cancel(svc, admin, job.id)
    await asyncio.sleep(0.2)  # stamped by the relay
    async with svc.write() as session:  # pruned, as the event retention does
        await session.execute(delete(Event).where(Event.seq > seen))
    monkeypatch.setattr(webhook_engine, "WINDOW", 2)  # the gap is wider than a window
    await failed_job(svc, org)
    await asyncio.sleep(0.2)
    await pump(svc, http, lambda: len(receiver.received) == 1)
    assert json.loads(receiver.received[0].body)["type"] == "JOB_FAILED"


async def test_a_deactivated_endpoints_deliveries_are_not_due(
    svc, org, gql, http, receiver
) -> None:
    """An idle engine reads before it writes: deliveries of an endpoint deactivated
    meanwhile do not make it open a write transaction on every poll."""
    hook = (await create_hook(gql, receiver.url, "JOB_FAILED"))["webhook"]
    await failed_job(svc, org)
    await asyncio.sleep(0.2)
    for _ in range(100):
        await dispatch(svc)
        if await deliveries(gql, hook["id"]):
            break
    async with svc.read() as session:
        assert await repo.any_due(session, svc.clock())
    await gql.ok(UPDATE, {"id": hook["id"], "input": {"active": False}})
    async with svc.read() as session:
        assert not await repo.any_due(session, svc.clock())
