"""Prometheus metrics on both databases: a scripted run (jobs succeed, fail, retry, are
cancelled, a lease expires, a schedule fires, a subscriber connects) read back from
/metrics by value; the background sampler; the token; metrics off."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from taskforge.domain.enums import ScheduleKind
from taskforge.runtime import Runtime
from taskforge.services import executions, scheduler, schedules
from taskforge.services.schedules import ScheduleSpec
from tests.conftest import admin_of, make_settings
from tests.helpers import GraphQLClient, asgi_client, served, subscribe, wait_for_subscribers
from tests.integration.test_execution import Clock

REGISTER = """mutation($q: ID!) { registerWorker(name: "w", queues: [{queueId: $q}]) { id } }"""
ENQUEUE = "mutation($jobs: [EnqueueJobInput!]!) { enqueueJobs(jobs: $jobs) { id } }"
CLAIM = """mutation($w: ID!, $n: Int!, $l: Int) { claimJobs(workerId: $w, limit: $n,
  leaseSeconds: $l) { executionId job { id } } }"""
COMPLETE = "mutation($e: ID!) { completeJob(executionId: $e) { status } }"
FAIL = """mutation($e: ID!, $r: Boolean!) { failJob(executionId: $e, error: "x",
  retryable: $r) { status } }"""
CANCEL = "mutation($id: ID!) { cancelJob(id: $id) { status } }"
LATER = "2999-01-01T00:00:00Z"
SUB = "subscription { jobStatusChanged { jobId } }"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: dict[Any, float], name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


async def scrape(http: httpx.AsyncClient) -> dict[Any, float]:
    resp = await http.get("/metrics")
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain")
    return samples(resp.text)


async def test_a_scripted_run_reads_back_by_value(runtime: Runtime, org) -> None:
    svc, q = runtime.services, str(org.queue.id)
    clock = Clock(svc)
    async with served(runtime) as base, httpx.AsyncClient(base_url=f"http://{base}") as http:
        gql = GraphQLClient(http, org.api_key.secret)
        worker = (await gql.ok(REGISTER, {"q": q}))["registerWorker"]["id"]
        ids = [
            j["id"]
            for j in (await gql.ok(ENQUEUE, {"jobs": [{"queueId": q, "jobType": "t"}] * 5}))[
                "enqueueJobs"
            ]
        ]
        claimed = (await gql.ok(CLAIM, {"w": worker, "n": 4, "l": 30}))["claimJobs"]
        ok1, ok2, bad, flaky = (c["executionId"] for c in claimed)
        left = set(ids).difference(c["job"]["id"] for c in claimed).pop()
        await gql.ok(COMPLETE, {"e": ok1})
        await gql.ok(COMPLETE, {"e": ok2})
        assert await gql.error(COMPLETE, {"e": ok2}) == "CONFLICT"  # stale: an error outcome
        await gql.ok(FAIL, {"e": bad, "r": False})
        await gql.ok(FAIL, {"e": flaky, "r": True})  # retried
        await gql.ok(CANCEL, {"id": left})
        # the retry comes due; its second attempt's lease expires and the reaper fails it
        clock.advance(600)
        [again] = (await gql.ok(CLAIM, {"w": worker, "n": 1, "l": 1}))["claimJobs"]
        clock.advance(5)
        assert await executions.reap(svc) == 1
        # a schedule fires, 2 s late
        made = await schedules.create(
            svc,
            admin_of(org),
            ScheduleSpec(
                name="s",
                kind=ScheduleKind.CRON,
                expression="* * * * *",
                queue_id=org.queue.id,
                job_type="report",
            ),
        )
        assert made.next_run_at is not None
        clock.now = made.next_run_at + timedelta(seconds=2)
        assert await scheduler.tick(svc) == 1

        async with subscribe(base, org.api_key.secret, SUB):
            await wait_for_subscribers(runtime, 1)
            found = await scrape(http)
            assert value(found, "taskforge_subscriptions") == 1
            assert value(found, "taskforge_websocket_connections", endpoint="/graphql") == 1
        # a subscription counts when it ends, untimed
        sub = {"operation": "jobStatusChanged"}
        for _ in range(100):
            ended = await scrape(http)
            if value(ended, "taskforge_graphql_requests_total", outcome="ok", **sub) == 1:
                break
            await asyncio.sleep(0.02)
        assert value(ended, "taskforge_graphql_requests_total", outcome="ok", **sub) == 1
        assert value(ended, "taskforge_graphql_operation_seconds_count", **sub) == 0
        assert value(ended, "taskforge_websocket_connections", endpoint="/graphql") == 0

    t = {"queue": "default", "job_type": "t"}
    assert value(found, "taskforge_jobs_enqueued_total", **t) == 5
    assert value(found, "taskforge_jobs_started_total", **t) == 5
    assert value(found, "taskforge_jobs_succeeded_total", **t) == 2
    assert value(found, "taskforge_jobs_failed_total", **t) == 1
    assert value(found, "taskforge_jobs_retried_total", **t) == 2  # a failure, a lease
    assert value(found, "taskforge_jobs_cancelled_total", **t) == 1
    report = {"queue": "default", "job_type": "report"}
    assert value(found, "taskforge_jobs_enqueued_total", **report) == 1
    assert value(found, "taskforge_job_queue_wait_seconds_count", queue="default") == 5
    # the retried attempt waited for its retry to come due, not since its enqueue
    assert value(found, "taskforge_job_queue_wait_seconds_sum", queue="default") < 600
    runs = {"queue": "default"}
    assert value(found, "taskforge_job_run_seconds_count", outcome="succeeded", **runs) == 2
    assert value(found, "taskforge_job_run_seconds_count", outcome="failed", **runs) == 2
    assert (
        value(found, "taskforge_lease_expirations_total", queue="default", reason="lease_expired")
        == 1
    )
    assert value(found, "taskforge_schedule_fires_total") == 1
    assert value(found, "taskforge_schedule_lateness_seconds_count") == 1
    assert value(found, "taskforge_schedule_lateness_seconds_sum") == 2.0
    ok = {"operation": "completeJob"}
    assert value(found, "taskforge_graphql_requests_total", outcome="ok", **ok) == 2
    assert value(found, "taskforge_graphql_requests_total", outcome="CONFLICT", **ok) == 1
    assert (
        value(found, "taskforge_graphql_requests_total", operation="claimJobs", outcome="ok") == 2
    )
    assert value(found, "taskforge_graphql_operation_seconds_count", operation="claimJobs") == 2
    assert value(found, "taskforge_events_published_total") >= 1
    assert value(found, "taskforge_relay_lag_seconds_count") >= 1
    assert value(found, "taskforge_uptime_seconds") > 0
    held = value(found, "taskforge_db_pool_size")  # in use or idle: at least those in use
    assert held >= value(found, "taskforge_db_pool_checked_out") and held >= 0
    assert again["executionId"]


async def test_the_sampler_reports_queue_depth_by_lease(runtime: Runtime, org, settings) -> None:
    svc, q = runtime.services, str(org.queue.id)
    async with asgi_client(runtime, org.api_key.secret) as gql:
        await gql.ok(ENQUEUE, {"jobs": [{"queueId": q, "jobType": "t"}] * 3})
        await gql.ok(
            ENQUEUE,
            {"jobs": [{"queueId": q, "jobType": "t", "scheduledFor": LATER}]},
        )
        assert runtime.sampler is not None
        assert await runtime.sampler.tick()
        found = await scrape(gql.http)
        assert value(found, "taskforge_queue_depth", queue="default") == 3  # the delayed: not ready
        assert 0 <= value(found, "taskforge_queue_oldest_age_seconds", queue="default") < 60
        assert value(found, "taskforge_metrics_sampler_leader") == 1
        assert "taskforge_outbox_backlog" in {name for name, _ in found}

        # a second replica does not sample while the first holds the lease
        other = Runtime.create(settings)
        try:
            assert other.sampler is not None and not await other.sampler.tick()
            assert other.metrics is not None
            left = samples(exposition_text(other))
            assert ("taskforge_queue_depth", frozenset({("queue", "default")})) not in left
            assert value(left, "taskforge_metrics_sampler_leader") == 0
        finally:
            await other.db.dispose()
        # the first renews its own lease
        assert await runtime.sampler.tick()
        assert svc.metrics is runtime.metrics


def exposition_text(rt: Runtime) -> str:
    from taskforge.metrics.exposition import render

    assert rt.metrics is not None
    return render(rt.metrics).decode()


async def test_a_token_guards_metrics(database_url, tmp_path) -> None:
    rt = Runtime.create(make_settings(database_url, tmp_path, metrics_token="s3cret"))
    await rt.start(migrate=False, engines=False)
    try:
        async with asgi_client(rt) as gql:
            assert (await gql.http.get("/metrics")).status_code == 401
            wrong = {"Authorization": "Bearer nope"}
            assert (await gql.http.get("/metrics", headers=wrong)).status_code == 401
            right = {"Authorization": "Bearer s3cret"}
            resp = await gql.http.get("/metrics", headers=right)
            assert resp.status_code == 200 and "# HELP taskforge_uptime_seconds" in resp.text
    finally:
        await rt.stop()


async def test_metrics_off_count_nothing(database_url, tmp_path) -> None:
    rt = Runtime.create(make_settings(database_url, tmp_path, metrics=False))
    await rt.start(migrate=False, engines=False)
    try:
        assert rt.metrics is None and rt.services.metrics is None and rt.sampler is None
        async with asgi_client(rt) as gql:
            assert (await gql.http.get("/metrics")).status_code == 404
    finally:
        await rt.stop()


async def test_every_series_has_help_and_type(runtime: Runtime) -> None:
    async with asgi_client(runtime) as gql:
        text = (await gql.http.get("/metrics")).text
    families = list(text_string_to_metric_families(text))
    assert len(families) >= 20
    for family in families:
        assert family.name.startswith("taskforge_"), family.name
        assert f"# HELP {family.name}" in text and f"# TYPE {family.name}" in text
        assert family.documentation


async def test_a_workflows_jobs_count_as_enqueued(runtime: Runtime, org) -> None:
    definition = {
        "name": "two",
        "jobs": [{"name": "a", "job_type": "wf"}, {"name": "b", "job_type": "wf"}],
    }
    async with asgi_client(runtime, org.api_key.secret) as gql:
        await gql.ok(
            "mutation($p: ID!, $d: JSON!) { createWorkflow(input: {projectId: $p,"
            " definition: $d, start: false}) { id } }",
            {"p": str(org.project.id), "d": definition},
        )
        found = await scrape(gql.http)
    wf = {"queue": "default", "job_type": "wf"}
    assert value(found, "taskforge_jobs_enqueued_total", **wf) == 2
    assert (
        value(found, "taskforge_graphql_requests_total", operation="createWorkflow", outcome="ok")
        == 1
    )


async def test_made_up_root_fields_share_one_label(runtime: Runtime, org) -> None:
    """The operation label takes only the schema's root fields: a client naming fields
    that do not exist adds no series of its own."""
    async with asgi_client(runtime, org.api_key.secret) as gql:
        for n in range(3):
            await gql.raw(f"{{ made_up_{n} }}")
        await gql.raw("{ __typename }")
        found = await scrape(gql.http)
    names = {dict(labels).get("operation") for name, labels in found if "graphql" in name}
    assert not any(n and n.startswith("made_up") for n in names)
    unknown = {"operation": "unknown", "outcome": "BAD_USER_INPUT"}
    assert value(found, "taskforge_graphql_requests_total", **unknown) == 3
    typename = {"operation": "__typename", "outcome": "ok"}
    assert value(found, "taskforge_graphql_requests_total", **typename) == 1
