"""OpenTelemetry tracing (taskforge[otel]) with the SDK's in-memory exporter: one trace
from the enqueueJob request (HTTP, real server) through the worker's attempts, retries
included; workflow steps linked to their parents; the trace context on the claims."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from taskforge import tracing
from taskforge.config import Settings
from taskforge.domain.enums import JobStatus, WorkerType
from taskforge.runtime import Runtime
from taskforge.services import jobs, queues, workers
from taskforge.worker.channel import ChannelWorker
from taskforge.worker.client import Client
from taskforge.worker.runner import Settings as WorkerSettings
from taskforge.worker.runner import Worker
from tests.conftest import admin_of, new_org
from tests.helpers import served
from tests.integration.test_worker_channel import channel

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{CALLER_SPAN}-01"
ENQUEUE = """mutation enqueueFlaky($q: ID!) {
  enqueueJob(input: {queueId: $q, jobType: "flaky", payload: {n: 1}}) { id } }"""
CREATE = """mutation createPipeline($p: ID!, $d: JSON!) {
  createWorkflow(input: {projectId: $p, definition: $d, start: true}) { id } }"""
PIPELINE = """
name: pipeline
jobs:
  - {name: fetch, job_type: step}
  - {name: parse, job_type: step}
  - {name: load, job_type: step, depends_on: [fetch, parse]}
"""


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Tracing on in this process (server and worker), every span kept in memory."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    exporter.provider = provider  # type: ignore[attr-defined]
    tracing.install(provider)
    try:
        yield exporter
    finally:
        tracing.uninstall()
        provider.shutdown()


@pytest.fixture
async def traced(spans: InMemorySpanExporter, settings: Settings) -> AsyncIterator[Runtime]:
    """A runtime made with tracing on (its engine's statements are traced)."""
    rt = Runtime.create(settings)
    await rt.start(migrate=False, engines=False)
    yield rt
    await rt.stop()


def hex_trace(span: ReadableSpan) -> str:
    return format(span.context.trace_id, "032x")


def traceparent_of(span: ReadableSpan) -> str:
    context = span.context
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"


def parent_id(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


async def run_worker(
    kind: type[Worker], base: str, org: Any, handlers: dict[str, Any], done: Any, queue: Any = None
) -> Worker:
    client = Client(f"http://{base}", org.api_key.secret)
    worker = kind(
        client,
        handlers,
        [(str(queue or org.queue.id), 1)],
        WorkerSettings(concurrency=4, poll_interval=0.1),
    )
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        async with asyncio.timeout(30):
            while not await done():
                assert not running.done(), running
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)
        await client.close()
    return worker


@pytest.mark.parametrize("kind", [ChannelWorker, Worker], ids=["channel", "graphql"])
async def test_one_trace_from_the_enqueue_request_through_every_attempt(
    traced, org, spans, kind
) -> None:
    svc, admin = traced.services, admin_of(org)
    quick_retries = {"max_attempts": 3, "base_delay": 0, "max_delay": 0, "jitter": False}
    queue = await queues.create_queue(svc, admin, org.project.id, "q", settings=quick_retries)
    attempts: list[int] = []

    handler_tracer = spans.provider.get_tracer("handler")

    async def flaky(payload: dict[str, Any], ctx: Any) -> None:
        attempts.append(ctx.attempt)
        with handler_tracer.start_as_current_span("inside"):  # the handler's own span
            pass
        ctx.log("working", attempt=ctx.attempt, detail={"n": payload["n"]})
        if ctx.attempt == 1:
            raise RuntimeError("first attempt fails")

    async with served(traced) as base:
        headers = {"Authorization": f"Bearer {org.api_key.secret}", "traceparent": TRACEPARENT}
        async with httpx.AsyncClient(base_url=f"http://{base}", headers=headers) as http:
            body = (
                await http.post(
                    "/graphql", json={"query": ENQUEUE, "variables": {"q": str(queue.id)}}
                )
            ).json()
        job_id = uuid.UUID(body["data"]["enqueueJob"]["id"])

        async def succeeded() -> bool:
            return (await jobs.get(svc, admin, job_id)).status is JobStatus.SUCCEEDED

        await run_worker(kind, base, org, {"flaky": flaky}, succeeded, queue.id)
    assert attempts == [1, 2]

    finished = spans.get_finished_spans()
    [request] = [s for s in finished if s.name == "enqueueFlaky"]
    # the request continues the caller's trace
    assert hex_trace(request) == TRACE_ID and parent_id(request) == int(CALLER_SPAN, 16)
    assert request.kind is SpanKind.SERVER
    assert request.attributes["graphql.operation.type"] == "mutation"
    [enqueue] = [s for s in finished if s.name == "enqueue"]
    assert parent_id(enqueue) == request.context.span_id
    assert enqueue.attributes["taskforge.job.id"] == str(job_id)
    # the request's statements are its spans (the job's INSERT among them)
    statements = [s for s in finished if "db.system" in (s.attributes or {})]
    mine = [s for s in statements if hex_trace(s) == TRACE_ID]
    assert any(s.name == "INSERT" and parent_id(s) == enqueue.context.span_id for s in mine)
    assert {s.attributes["db.system"] for s in mine} == {traced.db.engine.dialect.name}
    # statements outside a traced span (the channel's claims and acknowledgements) are not
    assert all(s.parent is not None for s in statements)
    if kind is ChannelWorker:
        assert {hex_trace(s) for s in statements} == {TRACE_ID}

    # each attempt is a span in the same trace, a child of the enqueue span
    runs = sorted(
        (s for s in finished if s.name == "execute flaky"), key=lambda s: s.start_time or 0
    )
    assert [s.attributes["taskforge.attempt"] for s in runs] == [1, 2]
    assert {hex_trace(s) for s in runs} == {TRACE_ID}
    assert {parent_id(s) for s in runs} == {enqueue.context.span_id}
    assert all(s.attributes["taskforge.job.id"] == str(job_id) for s in runs)
    assert runs[0].context.span_id != runs[1].context.span_id
    first, second = runs
    # the attempt's context is current while its handler runs
    inside = [s for s in finished if s.name == "inside"]
    assert sorted(parent_id(s) for s in inside) == sorted(s.context.span_id for s in runs)
    assert first.status.status_code is StatusCode.ERROR
    assert second.status.status_code is StatusCode.UNSET
    # the job's logs are the attempts' events; the failure is recorded on the first
    logged = [
        (e.attributes["log.message"], e.attributes["log.metadata.attempt"])
        for e in second.events
        if e.name == "log"
    ]
    assert logged == [("working", 2)]
    assert [e.name for e in first.events] == ["log", "log", "exception"]
    assert first.events[0].attributes["log.metadata.detail"] == "{'n': 1}"
    assert first.events[1].attributes["log.severity"] == "ERROR"
    assert "first attempt fails" in first.events[2].attributes["exception.message"]


async def test_workflow_steps_are_spans_linked_to_their_parents(traced, org, spans) -> None:
    svc, admin = traced.services, admin_of(org)
    async with served(traced) as base:
        headers = {"Authorization": f"Bearer {org.api_key.secret}"}
        async with httpx.AsyncClient(base_url=f"http://{base}", headers=headers) as http:
            body = (
                await http.post(
                    "/graphql",
                    json={"query": CREATE, "variables": {"p": str(org.project.id), "d": PIPELINE}},
                )
            ).json()
        assert "errors" not in body, body
        workflow_id = uuid.UUID(body["data"]["createWorkflow"]["id"])

        async def ended() -> bool:
            listing = await jobs.list_jobs(svc, admin, first=10, after=None)
            mine = [j for j in listing.items if j.workflow_id == workflow_id]
            return len(mine) == 3 and all(j.status is JobStatus.SUCCEEDED for j in mine)

        async def step(payload: dict[str, Any], ctx: Any) -> None:
            return None

        await run_worker(ChannelWorker, base, org, {"step": step}, ended)

    finished = spans.get_finished_spans()
    [request] = [s for s in finished if s.name == "createPipeline"]
    trace_id = hex_trace(request)
    [workflow] = [s for s in finished if s.name == "workflow pipeline"]
    assert parent_id(workflow) == request.context.span_id
    assert workflow.attributes["taskforge.workflow.id"] == str(workflow_id)
    steps = {s.attributes["taskforge.step"]: s for s in finished if s.name.startswith("step ")}
    assert set(steps) == {"fetch", "parse", "load"}
    assert {parent_id(s) for s in steps.values()} == {workflow.context.span_id}
    assert {hex_trace(s) for s in steps.values()} == {trace_id}
    # each step links to its parents' step spans
    linked = {name: {link.context.span_id for link in s.links} for name, s in steps.items()}
    assert linked == {
        "fetch": set(),
        "parse": set(),
        "load": {steps["fetch"].context.span_id, steps["parse"].context.span_id},
    }
    # each step's attempt is a child of its step span, in the creating request's trace
    runs = [s for s in finished if s.name == "execute step"]
    by_job = {s.attributes["taskforge.job.id"]: s for s in runs}
    assert len(runs) == 3 and {hex_trace(s) for s in runs} == {trace_id}
    for name, step_span in steps.items():
        run = by_job[step_span.attributes["taskforge.job.id"]]
        assert parent_id(run) == step_span.context.span_id, name


CLAIM = """mutation($w: ID!) { claimJobs(workerId: $w, limit: 5) { jobId traceContext } }"""


async def test_claims_hand_out_the_trace_context_of_the_enqueue(traced, org, spans) -> None:
    svc, admin = traced.services, admin_of(org)
    other = await new_org(svc, "Globex")
    with tracing.span("caller") as caller:
        [job] = await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")])
    [enqueue] = [s for s in spans.get_finished_spans() if s.name == "enqueue"]
    expected = (
        f"00-{hex_trace(enqueue)}-{enqueue.context.span_id:016x}-{enqueue.context.trace_flags:02x}"
    )
    assert enqueue.parent.span_id == caller.get_span_context().span_id
    tracing.uninstall()  # a job enqueued with tracing off has no trace context
    [untraced] = await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")])
    tracing.install(spans.provider)
    worker = await workers.register(
        svc, admin, "w", WorkerType.GENERAL, [workers.QueueWeight(org.queue.id, 1)]
    )
    auth = {"Authorization": f"Bearer {org.api_key.secret}"}
    claim = {"query": CLAIM, "variables": {"w": str(worker.id)}}
    async with served(traced) as base, httpx.AsyncClient(base_url=f"http://{base}") as http:
        body = (await http.post("/graphql", json=claim, headers=auth)).json()
        # another tenant's worker is not found: nothing of this tenant is claimed
        foreign = await http.post(
            "/graphql", json=claim, headers={"Authorization": f"Bearer {other.api_key.secret}"}
        )
    claimed = {c["jobId"]: c["traceContext"] for c in body["data"]["claimJobs"]}
    assert claimed == {str(job.id): expected, str(untraced.id): None}
    assert foreign.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # an anonymous operation's span is named by its type and root field; a refused one
    # says why
    ok, refused = [s for s in spans.get_finished_spans() if s.name == "mutation claimJobs"]
    assert ok.status.status_code is StatusCode.UNSET
    assert refused.status.status_code is StatusCode.ERROR
    assert "not found" in (refused.status.description or "")


def test_without_the_extra_everything_works(tmp_path) -> None:
    """OpenTelemetry not installed (its imports fail): the server and the worker SDK
    load and serve, TASKFORGE_TRACING=true only says that it cannot trace."""
    script = f"""
import sys
sys.modules["opentelemetry"] = None  # as if not installed: importing it fails
from starlette.testclient import TestClient
from taskforge import tracing
from taskforge.app import create_app
from taskforge.config import Settings
from taskforge.worker import channel, cli, runner
for on in (False, True):
    app = create_app(Settings(data_dir={str(tmp_path)!r}, secret_key="k", tracing=on))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        answer = client.post("/graphql", json={{"query": "{{ __typename }}"}})
        assert answer.json() == {{"data": {{"__typename": "Query"}}}}, answer.text
    assert not tracing.enabled() and tracing.traceparent() is None
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "OpenTelemetry is not installed" in done.stderr


async def test_the_channel_appends_the_trace_context_for_workers_that_ask(
    traced, org, spans
) -> None:
    svc, admin = traced.services, admin_of(org)
    with tracing.span("caller"):
        created = await jobs.enqueue(
            svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")] * 2
        )
    [enqueue] = [s for s in spans.get_finished_spans() if s.name == "enqueue"]
    expected = (
        f"00-{hex_trace(enqueue)}-{enqueue.context.span_id:016x}-{enqueue.context.trace_flags:02x}"
    )
    async with served(traced) as base:
        # a worker that does not ask (one written before tracing) gets five items
        async with channel(base, org.api_key.secret) as old:
            await old.hello(org.queue.id, capacity=1)
            [item] = await old.jobs(1)
            assert len(item) == 5
        async with channel(base, org.api_key.secret) as new:
            await new.hello(org.queue.id, capacity=1, trace=True)
            [item] = await new.jobs(1)
            assert len(item) == 6 and item[-1] == expected
            assert item[1] in {str(j.id) for j in created}
        async with channel(base, org.api_key.secret) as bad:
            await bad.send(
                type="hello", name="w", queues=[[str(org.queue.id), 1]], capacity=1, trace="yes"
            )
            assert await bad.closed() == 4400


def test_attempt_spans_follow_the_sampler(spans) -> None:
    """A job whose trace was not sampled gets no attempt span; a sampled one gets a
    child of its context; without a context, a trace of its own."""
    sampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    dropped = "00-5bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
    for context in (dropped, sampled, None):
        handle = tracing.start_execution(context, "t", {"taskforge.attempt": 1})
        tracing.log_event(handle, "INFO", "hello", {})
        tracing.end_execution(handle, ValueError("no") if context is None else None)
    child, root = spans.get_finished_spans()
    assert hex_trace(child) == TRACE_ID and parent_id(child) == int(CALLER_SPAN, 16)
    assert child.attributes == {"taskforge.attempt": 1} and child.kind is SpanKind.CONSUMER
    assert [e.attributes["log.message"] for e in child.events] == ["hello"]
    assert root.parent is None and hex_trace(root) != TRACE_ID
    assert root.status.status_code is StatusCode.ERROR
    assert [e.name for e in root.events] == ["log", "exception"]
    assert root.events[1].attributes["exception.type"] == "ValueError"
