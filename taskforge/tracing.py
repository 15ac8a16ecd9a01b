"""OpenTelemetry tracing: the optional extra ``taskforge[otel]``, on with TASKFORGE_TRACING.

Every use of opentelemetry is in this module, and it imports opentelemetry only when
tracing is switched on (``setup``): without the extra, or with tracing off, nothing of
it is loaded and each hook below costs one test of a module global.

What is traced, in the server:
- each GraphQL operation over HTTP (schema/tracing.py): a span named by the operation,
  continuing the caller's W3C ``traceparent`` header;
- the database statements run while a span is recording (never root spans: the
  engines and the worker channel's claims and acknowledgements run untraced, so tracing
  adds no work per job on the hot paths beyond the spans of the requests themselves);
- an enqueue (``span``). Each job stores the W3C traceparent of the span that created
  it (``jobs.trace_context``); a workflow's jobs get one step span each (a child of the
  creating request's workflow span, linked to its parents' step spans), and store it.

In the worker SDK: each attempt is a span, a child of its job's stored context (so
retries are separate spans in the enqueuer's trace), with the job's logs as its events.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

log = logging.getLogger("taskforge.tracing")

# set by install(): the tracer, and the opentelemetry modules the hooks use
_tracer: Any = None
_trace: Any = None
_context: Any = None
_propagator: Any = None
_provider: Any = None
_NO_SPAN = contextlib.nullcontext(None)

EXPORTERS = ("otlp", "memory", "none")
# the spans a "memory" exporter holds (benchmarks; tests install their own)
memory_exporter: Any = None


def enabled() -> bool:
    return _tracer is not None


def setup(tracing: bool, exporter: str | None = None, service: str = "taskforge") -> bool:
    """Switch tracing on for this process if ``tracing`` asks for it and the SDK is
    installed; returns whether it is on. Idempotent: the first provider stays.

    The provider is the global one if the process already has an SDK provider (set up
    by ``opentelemetry-instrument``, or by a test), else a new one exporting with
    ``exporter``: "otlp" (OTLP/HTTP, configured by the OTEL_EXPORTER_OTLP_* variables),
    "memory" (kept in ``memory_exporter``: benchmarks), "none"; unset: OTLP when
    OTEL_EXPORTER_OTLP_ENDPOINT (or its traces variant) is set, else none."""
    if _tracer is not None or not tracing:
        return _tracer is not None
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.warning("TASKFORGE_TRACING is on, but OpenTelemetry is not installed: no traces")
        log.warning("install it with: pip install 'taskforge[otel]'")
        return False
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        attributes = {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": service}
        provider = TracerProvider(resource=Resource.create(attributes))
        span_exporter = _exporter(exporter)
        if span_exporter is not None:
            provider.add_span_processor(BatchSpanProcessor(span_exporter))
        trace.set_tracer_provider(provider)
    install(provider)
    return True


def _exporter(name: str | None) -> Any:
    global memory_exporter
    if name is None:
        endpoint = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get(
            "OTEL_EXPORTER_OTLP_ENDPOINT"
        )
        name = "otlp" if endpoint else "none"
    if name == "memory":
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
            InMemorySpanExporter,
        )

        memory_exporter = InMemorySpanExporter()
        return memory_exporter
    if name == "otlp":
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        except ImportError:
            log.warning(
                "OTLP export asked for, but opentelemetry-exporter-otlp-proto-http is not "
                "installed: spans are not exported"
            )
            return None
        return OTLPSpanExporter()
    return None


def install(provider: Any) -> None:
    """Trace with this TracerProvider (tests: one with an in-memory exporter)."""
    global _tracer, _trace, _context, _propagator, _provider
    from opentelemetry import context, trace
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    from taskforge import __version__

    _trace, _context, _provider = trace, context, provider
    _propagator = TraceContextTextMapPropagator()
    _tracer = provider.get_tracer("taskforge", __version__)


def flush() -> None:
    """Export the spans still buffered: a process stops (uvicorn ends on the signal it
    caught, so exit hooks would not run). With the memory exporter, says how many
    spans it holds (what a benchmark paid for)."""
    if _tracer is None:
        return
    _provider.force_flush()
    if memory_exporter is not None:
        log.warning("%d spans kept in memory", len(memory_exporter.get_finished_spans()))


def uninstall() -> None:
    """Tracing off again (tests)."""
    global _tracer
    _tracer = None


# -- spans in the server --


def span(name: str, **attributes: Any) -> contextlib.AbstractContextManager[Any]:
    """A span for this block, the current one inside it (tracing off: nothing)."""
    if _tracer is None:
        return _NO_SPAN
    return _tracer.start_as_current_span(name, attributes=attributes or None)  # type: ignore[no-any-return]


def set_attributes(current: Any, **attributes: Any) -> None:
    if current is not None:
        current.set_attributes(attributes)


def traceparent() -> str | None:
    """The W3C traceparent of the current span (None: no span, or tracing off): what a
    job created now stores."""
    if _tracer is None:
        return None
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


@contextlib.contextmanager
def operation(headers: Mapping[str, str] | None) -> Iterator[Any]:
    """A GraphQL operation's span (tracing off: None), current inside, continuing the
    request's ``traceparent``; the caller names it once the operation is known."""
    if _tracer is None:
        yield None
        return
    parent = _propagator.extract(headers) if headers is not None else None
    current = _tracer.start_span("graphql", context=parent, kind=_trace.SpanKind.SERVER)
    token = _context.attach(_trace.set_span_in_context(current, parent))
    try:
        yield current
    finally:
        _context.detach(token)
        current.end()


def name_operation(current: Any, name: str, kind: str | None, error: str | None) -> None:
    current.update_name(name)
    current.set_attribute("graphql.operation.name", name)
    if kind:
        current.set_attribute("graphql.operation.type", kind)
    if error is not None:
        current.set_status(_trace.Status(_trace.StatusCode.ERROR, error))


def step_spans(
    workflow_id: Any, name: str, steps: Mapping[str, Any], edges: Iterable[tuple[str, str]]
) -> dict[str, str]:
    """A workflow's span and one step span per job (keyed by job name), each linked to
    its parents' step spans; returns each step's traceparent, which its job stores.
    Empty when no span is recording (tracing off, or a workflow made by the scheduler).
    The spans end at once: a step's attempts are children of its step span."""
    if _tracer is None or not _trace.get_current_span().is_recording():
        return {}
    contexts: dict[str, str] = {}
    with _tracer.start_as_current_span(
        f"workflow {name}", attributes={"taskforge.workflow.id": str(workflow_id)}
    ):
        spans = {
            step: _tracer.start_span(
                f"step {step}",
                attributes={"taskforge.job.id": str(job_id), "taskforge.step": step},
            )
            for step, job_id in steps.items()
        }
        for parent, child in edges:
            spans[child].add_link(spans[parent].get_span_context(), {"taskforge.parent": parent})
        for step, step_span in spans.items():
            carrier: dict[str, str] = {}
            _propagator.inject(carrier, _trace.set_span_in_context(step_span))
            contexts[step] = carrier["traceparent"]
            step_span.end()
    return contexts


# -- database statements (inside a recording span only) --


def _statement_name(statement: str) -> str:
    words = statement.lstrip(" \n(").split(None, 1)
    return words[0].upper() if words else "SQL"


def _db_span(statement: str, system: str) -> Any:
    """A span for a statement about to run, or None outside a recording span."""
    if not _trace.get_current_span().is_recording():
        return None
    return _tracer.start_span(
        _statement_name(statement),
        kind=_trace.SpanKind.CLIENT,
        attributes={"db.system": system, "db.statement": statement[:4000]},
    )


def instrument_engine(engine: Any, system: str) -> None:
    """Spans for the engine's statements (SQLAlchemy events: both databases)."""
    if _tracer is None:
        return
    from sqlalchemy import event

    target = engine.sync_engine

    def before(conn: Any, cursor: Any, statement: str, params: Any, ctx: Any, many: Any) -> None:
        # the greenlet that runs this shares the calling task's context: the span is seen
        current = _db_span(statement, system)
        if current is not None:
            ctx._taskforge_span = current

    def after(conn: Any, cursor: Any, statement: str, params: Any, ctx: Any, many: Any) -> None:
        current = getattr(ctx, "_taskforge_span", None)
        if current is not None:
            ctx._taskforge_span = None
            current.end()

    def failed(exception_context: Any) -> None:
        ctx = exception_context.execution_context
        current = getattr(ctx, "_taskforge_span", None) if ctx is not None else None
        if current is not None:
            ctx._taskforge_span = None
            error = exception_context.original_exception
            current.set_status(_trace.Status(_trace.StatusCode.ERROR, type(error).__name__))
            current.end()

    event.listen(target, "before_cursor_execute", before)
    event.listen(target, "after_cursor_execute", after)
    event.listen(target, "handle_error", failed)


class _TracedDriver:
    """An asyncpg connection whose statements are spans (the PostgreSQL store's raw
    statements bypass SQLAlchemy's events)."""

    __slots__ = ("_driver", "_system")

    def __init__(self, driver: Any, system: str) -> None:
        self._driver, self._system = driver, system

    def __getattr__(self, name: str) -> Any:
        return getattr(self._driver, name)

    async def _run(self, method: str, statement: str, *args: Any, **kwargs: Any) -> Any:
        current = _db_span(statement, self._system)
        if current is None:
            return await getattr(self._driver, method)(statement, *args, **kwargs)
        try:
            return await getattr(self._driver, method)(statement, *args, **kwargs)
        except BaseException as exc:
            current.set_status(_trace.Status(_trace.StatusCode.ERROR, type(exc).__name__))
            raise
        finally:
            current.end()

    async def fetch(self, statement: str, *args: Any, **kwargs: Any) -> Any:
        return await self._run("fetch", statement, *args, **kwargs)

    async def fetchrow(self, statement: str, *args: Any, **kwargs: Any) -> Any:
        return await self._run("fetchrow", statement, *args, **kwargs)

    async def fetchval(self, statement: str, *args: Any, **kwargs: Any) -> Any:
        return await self._run("fetchval", statement, *args, **kwargs)

    async def execute(self, statement: str, *args: Any, **kwargs: Any) -> Any:
        return await self._run("execute", statement, *args, **kwargs)

    async def executemany(self, statement: str, *args: Any, **kwargs: Any) -> Any:
        return await self._run("executemany", statement, *args, **kwargs)


def traced_driver(driver: Any, system: str) -> Any:
    """The driver connection, traced while a span is recording."""
    if _tracer is None or not _trace.get_current_span().is_recording():
        return driver
    return _TracedDriver(driver, system)


# -- the worker SDK --


# parsed traceparents: the jobs of one enqueue share theirs, and a worker receives them
# together (parsing one costs a third of starting a span)
_parents: dict[str, Any] = {}


def _parent(trace_context: str) -> Any:
    parent = _parents.get(trace_context)
    if parent is None:
        if len(_parents) >= 1024:
            _parents.clear()
        parent = _parents[trace_context] = _propagator.extract({"traceparent": trace_context})
    return parent


def start_execution(
    trace_context: str | None, job_type: str, attributes: dict[str, Any]
) -> tuple[Any, Any] | None:
    """An attempt's span, a child of its job's stored traceparent (a root span without
    one), current until ``end_execution``; None with tracing off."""
    if _tracer is None:
        return None
    parent = _parent(trace_context) if trace_context else None
    current = _tracer.start_span(
        f"execute {job_type}", context=parent, kind=_trace.SpanKind.CONSUMER, attributes=attributes
    )
    return current, _context.attach(_trace.set_span_in_context(current, parent))


def end_execution(handle: tuple[Any, Any] | None, error: BaseException | None = None) -> None:
    if handle is None:
        return
    current, token = handle
    if error is not None:
        current.record_exception(error)
        current.set_status(_trace.Status(_trace.StatusCode.ERROR, f"{type(error).__name__}"))
    _context.detach(token)
    current.end()


def log_event(
    handle: tuple[Any, Any] | None, level: str, message: str, metadata: dict[str, Any]
) -> None:
    """A ``ctx.log`` line as an event of the attempt's span."""
    if handle is None:
        return
    attributes: dict[str, Any] = {"log.severity": level, "log.message": message}
    for key, value in metadata.items():
        ok = isinstance(value, str | bool | int | float)
        attributes[f"log.metadata.{key}"] = value if ok else repr(value)
    handle[0].add_event("log", attributes)
