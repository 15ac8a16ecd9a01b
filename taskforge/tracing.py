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
retries are separate spans in the enqueuer's trace), with the job's logs as its events
(``_Attempt``: recorded when it ends, at a third of the cost of an SDK span).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import traceback
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

log = logging.getLogger("taskforge.tracing")

# set by install(): the tracer, and the opentelemetry modules the hooks use
_tracer: Any = None
_trace: Any = None
_context: Any = None
_propagator: Any = None
_provider: Any = None
_sdk: Any = None  # opentelemetry.sdk.trace
_scope: Any = None
_NO_SPAN = contextlib.nullcontext(None)

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
    """Trace with this SDK TracerProvider (tests: one with an in-memory exporter)."""
    global _tracer, _trace, _context, _propagator, _provider, _sdk, _scope
    from opentelemetry import context, trace
    from opentelemetry.sdk import trace as sdk_trace
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    from taskforge import __version__

    _trace, _context, _provider, _sdk = trace, context, provider, sdk_trace
    _propagator = TraceContextTextMapPropagator()
    _tracer = provider.get_tracer("taskforge", __version__)
    _scope = InstrumentationScope("taskforge", __version__)
    _decisions.clear()  # the sampler's, per trace context: this provider's from now on


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
    """A PostgreSQL driver connection whose statements are spans (the PostgreSQL store's raw
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


# Per job trace context and type: the parent and the sampler's decision. The jobs of one
# enqueue share their context and a worker receives them together; parsing it and
# sampling cost as much as the rest of an attempt's span. (The sampler decides once
# for them all: the SDK's samplers decide by the parent and the trace id, not by a
# span's attributes.)
_decisions: dict[tuple[str, str], tuple[Any, ...]] = {}


def _random_ids() -> bool:
    return bool(getattr(_tracer.id_generator, "is_trace_id_random", lambda: False)())


def _decision(trace_context: str | None, name: str) -> tuple[Any, ...]:
    """(parent context, parent span context or None, trace id, trace flags, trace state,
    the sampler's attributes, None if not recorded)."""
    key = (trace_context or "", name)
    found = _decisions.get(key)
    if found is not None:
        return found
    parent = _propagator.extract({"traceparent": trace_context}) if trace_context else None
    parent_span = _trace.get_current_span(parent).get_span_context() if parent else None
    if parent_span is None or not parent_span.is_valid:
        # a root span: a trace of its own, sampled on its own (never cached)
        parent_span, trace_id = None, _tracer.id_generator.generate_trace_id()
    else:
        trace_id = parent_span.trace_id
    kind = _trace.SpanKind.CONSUMER
    sampled = _tracer.sampler.should_sample(parent, trace_id, name, kind)
    flags = _trace.TraceFlags.SAMPLED if sampled.decision.is_sampled() else 0
    if parent_span.trace_flags.random_trace_id if parent_span else _random_ids():
        flags |= _trace.TraceFlags.RANDOM_TRACE_ID
    extra = dict(sampled.attributes or {}) if sampled.decision.is_recording() else None
    found = (parent, parent_span, trace_id, _trace.TraceFlags(flags), sampled.trace_state, extra)
    if parent_span is not None:
        if len(_decisions) >= 1024:
            _decisions.clear()
        _decisions[key] = found
    return found


class _Attempt:
    """An attempt's span, handed to the span processors when it ends: the SDK's own
    span costs a worker about 20 us to start and end, three times what it spends on a
    no-op job, most of it in bookkeeping (locked attribute, event and link containers,
    processor start hooks) that an attempt, whose attributes are known at its start and
    whose events are its logs, does not need. The sampler still decides, and the span
    reaches the processors (and their exporters) as any SDK span does. While it runs,
    its context is current (a non-recording span with its ids): the handler's own
    spans are its children."""

    __slots__ = ("attributes", "context", "events", "name", "parent", "start", "token")

    def __init__(self, name: str, trace_context: str | None, attributes: dict[str, Any]) -> None:
        parent, parent_span, trace_id, flags, state, extra = _decision(trace_context, name)
        self.context = _trace.SpanContext(
            trace_id,
            _tracer.id_generator.generate_span_id(),
            is_remote=False,
            trace_flags=flags,
            trace_state=state,
        )
        self.name, self.parent = name, parent_span
        self.events: list[Any] = []
        self.attributes = None if extra is None else {**attributes, **extra}
        self.start = time.time_ns()
        current = _trace.NonRecordingSpan(self.context)
        self.token = _context.attach(_trace.set_span_in_context(current, parent))

    def add_event(self, name: str, attributes: dict[str, Any]) -> None:
        if self.attributes is not None:
            self.events.append(_sdk.Event(name, attributes))

    def end(self, error: BaseException | None) -> None:
        _context.detach(self.token)
        if self.attributes is None:
            return  # not sampled
        status = _sdk.Status(_trace.StatusCode.UNSET)
        if error is not None:
            name = type(error).__qualname__
            module = type(error).__module__
            self.add_event(
                "exception",
                {
                    "exception.type": name if module == "builtins" else f"{module}.{name}",
                    "exception.message": str(error),
                    "exception.stacktrace": "".join(traceback.format_exception(error)),
                    "exception.escaped": "False",
                },
            )
            status = _sdk.Status(_trace.StatusCode.ERROR, name)
        span = _sdk.ReadableSpan(
            self.name,
            self.context,
            self.parent,
            _tracer.resource,
            self.attributes,
            tuple(self.events),
            (),
            _trace.SpanKind.CONSUMER,
            None,
            status,
            self.start,
            time.time_ns(),
            _scope,
        )
        _tracer.span_processor.on_end(span)


def start_execution(trace_context: str | None, job_type: str, attributes: dict[str, Any]) -> Any:
    """An attempt's span (tracing off: None), a child of its job's stored traceparent
    (a root span without one), its context current until ``end_execution``."""
    if _tracer is None:
        return None
    return _Attempt(f"execute {job_type}", trace_context, attributes)


def end_execution(handle: Any, error: BaseException | None = None) -> None:
    if handle is not None:
        handle.end(error)


def log_event(handle: Any, level: str, message: str, metadata: dict[str, Any]) -> None:
    """A ``ctx.log`` line as an event of the attempt's span."""
    if handle is None:
        return
    attributes: dict[str, Any] = {"log.severity": level, "log.message": message}
    for key, value in metadata.items():
        ok = isinstance(value, str | bool | int | float)
        attributes[f"log.metadata.{key}"] = value if ok else repr(value)
    handle.add_event("log", attributes)
