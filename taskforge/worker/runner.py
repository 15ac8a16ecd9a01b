"""The worker runner: claims in batches, runs N handlers at once, acknowledges in batches.

It waits on the server's ``jobsAvailable`` signal and polls as a fallback (retries and
scheduled jobs fall due without a signal). On stop it drains: it claims nothing more,
lets running handlers finish within a grace period, and releases the rest as
retryable failures so other workers pick them up.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import json
import logging
import os
import socket
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from taskforge import tracing
from taskforge.worker.client import ApiError, Client
from taskforge.worker.context import JobContext, PermanentError, parents_of, printable

if TYPE_CHECKING:
    from taskforge.metrics.worker import WorkerMetrics

log = logging.getLogger("taskforge.worker")
Handler = Callable[[dict[str, Any], JobContext], Any]

# the worker advertises, and claims, only the job types it has handlers for: a job of
# another type waits for a worker that can run it
REGISTER = """mutation($name: String!, $queues: [QueueWeightInput!]!, $types: [String!]) {
  registerWorker(name: $name, queues: $queues, jobTypes: $types) { id } }"""
# parentOutputs: a workflow job's parents' outputs (ctx.parents), read for the whole claim
# at once (nothing for plain jobs)
CLAIM = """mutation($w: ID!, $n: Int!, $lease: Int!, $types: [String!]) {
  claimJobs(workerId: $w, limit: $n, leaseSeconds: $lease, jobTypes: $types) {
    executionId attempt jobId jobType payload parentOutputs } }"""
# successes without output go as a plain id list (much cheaper for the server to read),
# and only refused acknowledgements come back
ACK = """mutation($done: [CompleteJobInput!]!, $ids: [ID!]!, $failed: [FailJobInput!]!) {
  acknowledgeJobs(completed: $done, executionIds: $ids, failed: $failed) {
    rejected { executionId code message } } }"""
LOGS = """mutation($e: ID!, $entries: [LogEntryInput!]!) {
  appendLogs(executionId: $e, entries: $entries) }"""
PROGRESS_BATCH = 25  # reports per call: aliases of one document (the server allows 30)


def progress_mutation(n: int) -> str:
    """One call reporting ``n`` jobs' progress, as aliases p0..p{n-1}."""
    params = ", ".join(f"$e{i}: ID!, $f{i}: Float!, $m{i}: String" for i in range(n))
    fields = " ".join(
        f"p{i}: reportProgress(executionId: $e{i}, fraction: $f{i}, message: $m{i}) {{ id }}"
        for i in range(n)
    )
    return f"mutation({params}) {{ {fields} }}"


# ctx.spawn: jobs added to a running job's workflow (over GraphQL on either transport)
SPAWN = """mutation($e: ID!, $jobs: [SpawnJobInput!]!) {
  spawnJobs(executionId: $e, jobs: $jobs) { id } }"""
HEARTBEAT = """mutation($w: ID!, $lease: Int!, $held: [ID!]) {
  workerHeartbeat(workerId: $w, leaseSeconds: $lease, executionIds: $held) {
    leasesExtended cancelledExecutionIds } }"""
DRAIN = """mutation($w: ID!) { drainWorker(workerId: $w) { status } }"""
# with tracing on: each job's trace context too (asked for only then, so that a worker
# without tracing works with servers that predate the field)
CLAIM_TRACED = CLAIM.replace("parentOutputs }", "parentOutputs traceContext }")


# codes of failures the worker outlives (it tries again later), unlike a refusal
TRANSIENT = frozenset({"UNAVAILABLE", "INTERNAL"})


def _report(exc: Exception, what: str) -> None:
    """One line for the server or the network being away (the client already logged each
    retry); the traceback for anything else."""
    if isinstance(exc, httpx.HTTPError) or (isinstance(exc, ApiError) and exc.retryable):
        log.warning("%s failed (%s); will retry", what, exc)
    else:
        log.exception("%s failed; will retry", what)


@dataclass
class Settings:
    concurrency: int = 8
    batch: int = 50
    lease_seconds: int = 30
    poll_interval: float = 1.0
    grace_seconds: float = 30.0
    # the longest a result waits for others to share its acknowledgement while the worker
    # is busy (an idle worker acknowledges at once)
    ack_interval: float = 0.05
    # pause before sending again after an acknowledgement failed (the server is down)
    ack_retry_seconds: float = 0.5
    # how often running jobs' logs and progress are sent (a log line is this late at most,
    # plus the call); progress is coalesced: the latest report of each flush
    flush_interval: float = 0.5


def _attributes(ctx: JobContext) -> dict[str, Any]:
    """An attempt span's attributes."""
    return {  # the job's type is in the span's name
        "taskforge.job.id": ctx.job_id,
        "taskforge.execution.id": ctx.execution_id,
        "taskforge.attempt": ctx.attempt,
    }


class Worker:
    def __init__(
        self,
        client: Client,
        handlers: dict[str, Handler],
        queues: list[tuple[str, int]],
        settings: Settings | None = None,
        name: str | None = None,
    ) -> None:
        self.client, self.handlers, self.queues = client, handlers, queues
        self.settings = settings or Settings()
        self.name = name or f"{socket.gethostname()}-{os.getpid()}"
        self.worker_id: str | None = None
        # what it claims: the types it has handlers for (none: any, as before)
        self.job_types: list[str] | None = sorted(handlers) or None
        self.processed = 0
        self._running: dict[str, asyncio.Task[None]] = {}
        self._contexts: dict[str, JobContext] = {}
        # one sender of an execution's logs at a time: its entries arrive in order
        self._sending: dict[str, asyncio.Lock] = {}
        self._done: list[dict[str, Any]] = []
        self._failed: list[dict[str, Any]] = []
        self._wake = asyncio.Event()
        self._to_ack = asyncio.Event()
        # the last claim got less than it asked for: the queues are empty, so a finished
        # handler is no reason to claim again (a signal or the poll is)
        self._starved = False
        # the worker's own series (`taskforge worker --metrics-port`); None: not counted
        self.metrics: WorkerMetrics | None = None

    async def run(self, stop: asyncio.Event) -> None:
        s = self.settings
        data = await self.client.call(
            REGISTER,
            {
                "name": self.name,
                "queues": [{"queueId": q, "weight": w} for q, w in self.queues],
                "types": self.job_types,
            },
        )
        self.worker_id = data["registerWorker"]["id"]
        log.info("worker %s registered as %s", self.name, self.worker_id)
        helpers = [
            asyncio.create_task(self._heartbeats(stop)),
            asyncio.create_task(self._signals()),
            asyncio.create_task(self._acks(stop)),
            asyncio.create_task(self._live()),
        ]
        try:
            while not stop.is_set():
                # cleared before claiming: a handler finishing meanwhile must wake us
                self._wake.clear()
                free = s.concurrency - len(self._running)
                if free > 0:
                    want = min(free, s.batch)
                    try:
                        got = await self._claim(want)
                    except (ApiError, httpx.HTTPError) as exc:
                        if isinstance(exc, ApiError) and exc.code not in TRANSIENT:
                            raise  # refused (a key revoked, the worker deleted): stop
                        # the server failed or stayed unreachable through the client's
                        # retries: wait for a signal or the next poll and claim again
                        _report(exc, "claiming")
                        got = 0
                    self._starved = got < want
                    if not self._starved:
                        continue  # there may be more right away
                waiters = [
                    asyncio.ensure_future(self._wake.wait()),
                    asyncio.ensure_future(stop.wait()),
                ]
                await asyncio.wait(
                    waiters, timeout=s.poll_interval, return_when=asyncio.FIRST_COMPLETED
                )
                for w in waiters:
                    w.cancel()
            await self._drain()
        finally:
            for task in helpers:
                task.cancel()
            for task in helpers:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await self._flush()

    async def _claim(self, n: int) -> int:
        started = time.perf_counter()
        data = await self.client.call(
            CLAIM_TRACED if tracing.enabled() else CLAIM,
            {
                "w": self.worker_id,
                "n": n,
                "lease": self.settings.lease_seconds,
                "types": self.job_types,
            },
        )
        if self.metrics is not None:
            self.metrics.claim.observe(time.perf_counter() - started)
        for item in data["claimJobs"]:
            ctx = JobContext(
                item["jobId"],
                item["executionId"],
                item["jobType"],
                item["attempt"],
                parents=parents_of(item.get("parentOutputs")),
                _heartbeat=self._heartbeat,
                trace_context=item.get("traceContext"),
            )
            self._start(item["payload"] or {}, ctx)
        return len(data["claimJobs"])

    def _start(self, payload: dict[str, Any], ctx: JobContext) -> None:
        ctx._spawn = functools.partial(self._spawn, ctx.execution_id)
        self._contexts[ctx.execution_id] = ctx
        task = asyncio.create_task(self._execute(payload, ctx))
        self._running[ctx.execution_id] = task

    async def _execute(self, payload: dict[str, Any], ctx: JobContext) -> None:
        handler = self.handlers.get(ctx.job_type)
        started, outcome = time.perf_counter(), "failed"
        span = tracing.start_execution(ctx.trace_context, ctx.job_type, _attributes(ctx))
        ctx._span = span
        error: BaseException | None = None
        try:
            if handler is None:
                raise PermanentError(f"no handler for job type {ctx.job_type!r}")
            if inspect.iscoroutinefunction(handler):
                result = await handler(payload, ctx)
            else:
                result = await asyncio.to_thread(handler, payload, ctx)
            if ctx.cancelled:  # a sync handler that saw ctx.cancelled, or finished anyway
                await self._cancelled(ctx)
                return
            output = result if result is None or isinstance(result, dict) else {"result": result}
            if output is not None:  # else the whole acknowledgement batch could not be sent
                try:
                    json.dumps(output, allow_nan=False)
                except (TypeError, ValueError, RecursionError) as exc:
                    raise PermanentError(f"the handler's result is not JSON: {exc}") from None
            await self._send_live(ctx)
            self._done.append({"executionId": ctx.execution_id, "output": output})
            outcome = "succeeded"
        except asyncio.CancelledError as exc:
            outcome, error = "cancelled", exc
            if not ctx.cancelled:
                raise  # the worker is stopping (drain releases the job)
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()  # handled: the job's cancellation, not the worker's
            await self._cancelled(ctx)
        except Exception as exc:
            error = exc
            if ctx.cancelled:  # the handler gave up because it was cancelled
                outcome = "cancelled"
                await self._cancelled(ctx)
                return
            ctx.log(f"{type(exc).__name__}: {exc}", level="ERROR")
            await self._send_live(ctx)
            self._failed.append(
                {
                    "executionId": ctx.execution_id,
                    "error": printable(f"{type(exc).__name__}: {exc}"[:2000]),
                    "retryable": not isinstance(exc, PermanentError),
                    # the server keeps the tail (16 KiB): send no more than that
                    "traceback": printable(traceback.format_exc()[-16_384:]),
                }
            )
        finally:
            if self.metrics is not None:
                self.metrics.finished(ctx.job_type, outcome, time.perf_counter() - started)
            tracing.end_execution(span, error)
            self._running.pop(ctx.execution_id, None)
            self._contexts.pop(ctx.execution_id, None)
            self._sending.pop(ctx.execution_id, None)
            self.processed += 1
            self._to_ack.set()
            if not self._starved:
                self._wake.set()

    async def _spawn(self, execution_id: str, jobs: list[dict[str, Any]]) -> list[str]:
        """spawnJobs for a running attempt; not sent twice (each call adds jobs)."""
        data = await self.client.call(SPAWN, {"e": execution_id, "jobs": jobs}, resend=False)
        return [job["id"] for job in data["spawnJobs"]]

    async def _cancelled(self, ctx: JobContext) -> None:
        """The job was cancelled while its handler ran: its attempt is CANCELLED on the
        server already, so nothing is acknowledged; its last log lines still go."""
        log.info("job %s was cancelled while running; its handler stopped", ctx.job_id)
        ctx.log("cancelled while running", level="WARN")
        await self._send_live(ctx)

    def _cancel(self, execution_ids: Sequence[str]) -> None:
        """The server says these jobs were cancelled: an async handler's task is
        cancelled (``asyncio.CancelledError`` in the handler); a sync handler, running
        in a thread that cannot be interrupted, sees ``ctx.cancelled``."""
        for execution_id in execution_ids:
            ctx, task = self._contexts.get(execution_id), self._running.get(execution_id)
            if ctx is None or task is None or ctx.cancelled:
                continue
            ctx._cancelled = True
            if inspect.iscoroutinefunction(self.handlers.get(ctx.job_type)):
                task.cancel()

    async def _send_live(self, ctx: JobContext) -> None:
        """At a job's end: its last progress report if not sent yet (a final 1.0 is what
        its attempt shows), then its buffered log entries (in order: one sender at a
        time per execution)."""
        if (report := ctx.take_progress()) is not None:
            await self._send_progress([(ctx.execution_id, *report)])
        lock = self._sending.get(ctx.execution_id)
        if lock is None:  # no flush is sending this execution's entries now
            if not ctx._logs:
                return  # most jobs: nothing logged, no lock made
            lock = self._sending[ctx.execution_id] = asyncio.Lock()
        async with lock:
            await self._post_logs(ctx.execution_id, ctx.take_logs())

    async def _post_logs(self, execution_id: str, entries: list[dict[str, Any]]) -> None:
        if entries:
            # best effort: a job's result does not wait for (or fail with) its logs
            with contextlib.suppress(ApiError, httpx.HTTPError):
                await self._send_logs(execution_id, entries)

    async def _flush_live(self) -> None:
        """The running jobs' latest progress (one call), then their log entries: whoever
        sees a line also finds the progress reported before it."""
        contexts = [ctx for ctx in self._contexts.values() if ctx.pending()]
        reports = [(ctx.execution_id, *p) for ctx in contexts if (p := ctx.take_progress())]
        if reports:
            await self._send_progress(reports)
        for ctx in contexts:
            # each execution's lines under its own lock, taken when sent: in order with
            # what its job's end sends, and a job ending meanwhile waits for no other's
            async with self._sending.setdefault(ctx.execution_id, asyncio.Lock()):
                await self._post_logs(ctx.execution_id, ctx.take_logs())
        for execution_id in [e for e in self._sending if e not in self._contexts]:
            del self._sending[execution_id]  # of a job that ended meanwhile

    async def _send_logs(self, execution_id: str, entries: list[dict[str, Any]]) -> None:
        await self.client.call(LOGS, {"e": execution_id, "entries": entries})

    async def _send_progress(self, reports: list[tuple[str, float, str | None]]) -> None:
        """Best effort, in calls of PROGRESS_BATCH: a report refused (its job ended or was
        cancelled meanwhile: the others of the call are still applied) or lost is
        superseded by the next one."""
        for start in range(0, len(reports), PROGRESS_BATCH):
            chunk = reports[start : start + PROGRESS_BATCH]
            variables: dict[str, Any] = {}
            for i, (execution_id, fraction, message) in enumerate(chunk):
                variables |= {f"e{i}": execution_id, f"f{i}": fraction, f"m{i}": message}
            with contextlib.suppress(ApiError, httpx.HTTPError):
                await self.client.call(progress_mutation(len(chunk)), variables, retries=1)

    async def _live(self) -> None:
        """While jobs run: every ``flush_interval``, their logs and latest progress."""
        while True:
            await asyncio.sleep(self.settings.flush_interval)
            try:
                await self._flush_live()
            except Exception as exc:
                _report(exc, "sending logs and progress")

    async def _flush(self) -> None:
        done, self._done = self._done, []
        failed, self._failed = self._failed, []
        if not done and not failed:
            return
        try:
            data = await self.client.call(
                ACK,
                {
                    "done": [d for d in done if d["output"] is not None],
                    "ids": [d["executionId"] for d in done if d["output"] is None],
                    "failed": failed,
                },
            )
        except BaseException:  # failed or cancelled (the ack loop stops with the worker)
            self._done[:0], self._failed[:0] = done, failed  # the next (final) flush sends them
            raise
        self._rejected(
            [
                (r["executionId"], r["code"], r["message"])
                for r in data["acknowledgeJobs"]["rejected"]
            ]
        )

    def _rejected(self, rejected: Sequence[Sequence[Any]]) -> None:
        """Acknowledgements the server refused, as (execution id, code, message): a refused
        output fails its attempt in the next acknowledgement; the rest were stale."""
        stale = 0
        for execution_id, code, message in rejected:
            if code == "BAD_USER_INPUT":  # the output was refused: the attempt fails
                self._failed.append(
                    {
                        "executionId": execution_id,
                        "error": f"output refused: {message}"[:2000],
                        "retryable": False,
                    }
                )
                self._to_ack.set()
            else:
                stale += 1
        if stale:
            log.info("%d acknowledgements were stale (job cancelled or lease lost)", stale)

    async def _acks(self, stop: asyncio.Event) -> None:
        """Acknowledge when the worker goes idle, or after ack_interval at most while
        it is busy: a lone job or a chain's next step is not held back by a timer,
        while a busy worker sends few large calls (each costs the server a transaction,
        and in a workflow a step of the dependency engine). Results that come in while
        a call is underway go together in the next one."""
        loop = asyncio.get_running_loop()
        s = self.settings
        while True:
            await self._to_ack.wait()
            deadline = loop.time() + s.ack_interval
            while self._busy():
                self._to_ack.clear()
                left = deadline - loop.time()
                if left <= 0:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._to_ack.wait(), left)
            self._to_ack.clear()
            try:
                await self._flush()
            except Exception as exc:
                _report(exc, "acknowledging")
                self._to_ack.set()
                await asyncio.sleep(s.ack_retry_seconds)

    def _busy(self) -> bool:
        """Handlers are running, or the last claim got all it asked for (more work is
        being claimed at once): results to acknowledge wait a little for company."""
        return bool(self._running) or not self._starved

    async def _heartbeat(self) -> None:
        data = await self.client.call(
            HEARTBEAT,
            {
                "w": self.worker_id,
                "lease": self.settings.lease_seconds,
                "held": list(self._running),
            },
        )
        self._cancel(data["workerHeartbeat"]["cancelledExecutionIds"])

    async def _heartbeats(self, stop: asyncio.Event) -> None:
        while True:
            await asyncio.sleep(self.settings.lease_seconds / 3)
            try:
                await self._heartbeat()
            except Exception as exc:
                _report(exc, "heartbeat")

    async def _signals(self) -> None:
        async for _ in self.client.signals([q for q, _ in self.queues]):
            self._wake.set()

    async def _stop_claims(self) -> None:
        """The server hands this worker nothing more."""
        with contextlib.suppress(Exception):
            await self.client.call(DRAIN, {"w": self.worker_id}, retries=2)

    async def _drain(self) -> None:
        """Claim nothing more; finish within the grace period, release the rest."""
        await self._stop_claims()
        running = list(self._running.items())
        if running:
            log.info(
                "draining: waiting up to %.0fs for %d jobs",
                self.settings.grace_seconds,
                len(running),
            )
            _, pending = await asyncio.wait(
                [t for _, t in running], timeout=self.settings.grace_seconds
            )
            for execution_id, task in running:
                if task in pending:
                    task.cancel()
                    self._failed.append(
                        {
                            "executionId": execution_id,
                            "retryable": True,
                            "error": "released: worker shut down",
                        }
                    )
            await asyncio.gather(*pending, return_exceptions=True)
        await self._flush()
