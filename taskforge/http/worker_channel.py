"""The worker channel: one long-lived WebSocket per worker at ``/workers/channel``.

A compact JSON protocol (one object per frame, lists as arrays) in place of the
``claimJobs`` / ``acknowledgeJobs`` mutations and the ``jobsAvailable`` subscription: the
server pushes jobs as credit allows, the worker sends outcomes back. It calls the same
services as the GraphQL resolvers, so tenancy, leases, retries, events and consistency
are theirs. Message shapes are checked in taskforge/worker/protocol.py.

Authentication: ``Authorization: Bearer <API key or token>`` on the upgrade request, or
``token`` in the first message. None or an invalid one closes with 4401, a caller
without the ``workers`` permission with 4403, a request rate over the limit with 4429;
the connection counts as one request. The credential is checked again every credential
cache window (as graphql-transport-ws connections are): revoked, deactivated, or its
organization suspended, the connection closes with 4403.

Worker -> server:

- ``hello`` {name, queues: [[queueId, weight]...], capacity, lease?, workerId?, holding?,
  token?, types?, trace?}: the first message. ``types``: the job types the worker has
  handlers for; it is pushed jobs of those types only (absent: any type; a re-attaching
  worker without it keeps the types it advertised before). Without ``workerId`` registers
  a new worker; with the id of one of the organization's workers, re-attaches to it (a
  reconnect: ``name`` and ``queues`` are then optional). ``holding``: the executions
  the worker received and has not had acknowledged (running, or outcomes not yet
  answered with ``acked``). Answered by ``welcome`` {workerId}; an unknown or another
  tenant's worker gets ``error`` NOT_FOUND and a close (4404). ``trace`` true: each
  pushed job carries its trace context as a sixth item (tracing; older workers, which
  do not ask, get five).
- ``ack`` {ok: [executionId...], done: [[executionId, output]...], failed:
  [[executionId, error, retryable, traceback?]...]}: one ``complete`` and one ``fail`` per
  message.
  Always answered, in order, by ``acked`` {rejected: [[executionId, code, message]...]}
  (empty when everything was applied), or by ``error`` {about: "ack"} when nothing can
  be said (UNAVAILABLE: send the same items again). Every item returns its credit,
  but one whose output was refused (BAD_USER_INPUT): its attempt still runs until the
  worker sends its failure.
- ``beat``: heartbeat, extends the leases of what the worker holds (by ``lease``); the
  worker's live attempts that this connection did not push (claimed by a connection
  that broke without the server knowing) are pushed here, and the pushed ones found
  cancelled are sent in a ``cancel`` (read from the database: whichever replica
  committed the cancel, with or without a broker).
- ``logs`` {executionId, entries: [[level, message, metadata?]...]}: appended (the SDK sends
  a running job's entries every ``flush_interval``); errors come back as ``error``
  {about: "logs"}.
- ``progress`` {items: [[executionId, fraction, message?]...]}: running executions' latest
  progress (0..1), recorded in one transaction; reports of executions no longer running
  are skipped.
- ``drain``: the worker gets nothing new; answered by ``drained`` once no ``jobs`` will
  follow.

Server -> worker: ``welcome``, ``jobs`` {jobs: [[executionId, jobId, jobType, attempt,
payload, traceContext?]...], parents?: {jobId: {jobName: output}}} (``parents``: the
outputs of workflow jobs' direct parents, read with the claim; absent for plain jobs),
``acked``, ``drained``, ``error`` {code, message, about},
``cancel`` {executionIds: [...]}: these pushed jobs were cancelled while running; the
worker stops their handlers and acknowledges nothing for them (their credit comes back
at once). Sent as soon as this replica's event tail sees the job cancelled, and else at
the next beat.

Credit: never more than ``capacity`` executions pushed and not acknowledged (those held
at a reconnect count). While it has credit the connection claims up to
min(credit, ``limits.claim_size``); a short claim waits for a jobs-available wake-up
from this process's event tail (as ``jobsAvailable`` does) or
``worker_channel_poll_seconds``. After a full claim (a backlog), a claim for less than
half of min(capacity, ``limits.claim_size``) first waits up to GATHER_SECONDS for more
credit, so that returning acknowledgements make few full claims rather than many small
ones. A slow worker has no credit: nothing is buffered.

Reconnect: on a ``hello`` with ``workerId``, the worker's live attempts (STARTED) that it
does not hold were pushed into a connection that broke: they are pushed again (and
count against credit); those it holds are not. Nothing is lost, nothing runs twice.

A malformed message closes with 4400 and a reason; a service that cannot answer now
(UNAVAILABLE) gets an ``error`` message and the connection stays.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

import orjson
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from taskforge import logs
from taskforge.domain.enums import JobStatus, WorkerType
from taskforge.domain.errors import (
    Forbidden,
    InvalidInput,
    TaskForgeError,
    Unauthenticated,
    Unavailable,
)
from taskforge.domain.events import JobStatusChanged
from taskforge.http.parsing import decode_json
from taskforge.realtime import filters
from taskforge.resolvers.context import bearer
from taskforge.runtime import Runtime
from taskforge.services import abuse, auth, executions, workers
from taskforge.services.base import Principal
from taskforge.services.executions import Claimed
from taskforge.services.workers import PERMISSION
from taskforge.worker import protocol as p

log = logging.getLogger("taskforge.channel")

STATUS_CHANGED = JobStatusChanged.type
CANCELLED = JobStatus.CANCELLED.value
# a job no longer running: a job of its concurrency key may start
NOT_RUNNING = frozenset({JobStatus.PENDING.value, JobStatus.PROCESSING.value})
HELLO_SECONDS = 10.0  # the first message must come this soon
SETTLE_SECONDS = 5.0  # a claim under way when the worker leaves may finish (and be sent)
# With a backlog, the longest a claim waits for returning credit to make it fuller: each
# claim costs a transaction and a walk of the ready index, whatever its size.
GATHER_SECONDS = 0.05


class Closed(Exception):
    """The connection is closed (by us, with a code, or by the worker)."""


def route(runtime: Runtime) -> WebSocketRoute:
    async def endpoint(ws: WebSocket) -> None:
        await Channel(runtime, ws).serve()

    return WebSocketRoute(p.PATH, endpoint)


def _item(c: Claimed) -> list[Any]:
    return [c.execution_id, c.job_id, c.job_type, c.attempt, c.payload]


def _traced_item(c: Claimed) -> list[Any]:
    return [c.execution_id, c.job_id, c.job_type, c.attempt, c.payload, c.trace_context]


def _parents(claimed: list[Claimed]) -> dict[str, dict[str, Any]]:
    """The claimed workflow jobs' parents' outputs, by job id (those that have parents)."""
    return {str(c.job_id): c.parents for c in claimed if c.parents}


class Channel:
    """One worker's connection: a reader (this task), a pusher, and a holder of its
    credential, checked with the replica's other holders of it (auth.watch)."""

    def __init__(self, runtime: Runtime, ws: WebSocket) -> None:
        self.runtime, self.ws, self.svc = runtime, ws, runtime.services
        self.principal: Principal | None = None
        self.credential: str | None = None
        self.worker_id: uuid.UUID | None = None
        self.capacity = 0
        self.lease: int | None = None
        self.types: list[str] | None = None  # the worker's handler types (None: any)
        self.item: Callable[[Claimed], list[Any]] = _item  # _traced_item if asked for
        self.outstanding: set[uuid.UUID] = set()  # pushed, not acknowledged
        # the pushed jobs' executions by job id (text, as events carry it): a cancel
        # event names the job
        self.running: dict[str, uuid.UUID] = {}
        self._job_of: dict[uuid.UUID, str] = {}  # and the other way round
        self.cancelled_meanwhile: list[uuid.UUID] = []  # held at a reconnect, cancelled
        self.closed = False
        self.draining = False
        self._send_lock = asyncio.Lock()
        self._signal = asyncio.Event()  # a job became claimable (or poll)
        # the last claim left jobs of a queue with flow control: a job of the worker's
        # queues ending (which may free its concurrency key) wakes the claim loop too
        self._held_back = False
        self._credit = asyncio.Event()  # credit came back, or the pusher must stop
        self._stop = asyncio.Event()  # draining or leaving
        self._pushing: asyncio.Task[None] | None = None
        self._closing: asyncio.Task[None] | None = None  # refused by the credential check
        self._tasks: set[asyncio.Task[None]] = set()  # cancels under way
        # held while claiming or reconciling, until ``outstanding`` has what they found
        self._claiming = asyncio.Lock()

    # -- sending and closing --

    async def send(self, message: dict[str, Any]) -> None:
        if self.closed:
            raise Closed
        # default: ids read by the store may be its driver's own UUID type (not orjson's)
        data = orjson.dumps(message, default=str).decode()
        async with self._send_lock:
            try:
                await self.ws.send_text(data)
            except Exception as exc:  # the worker went away mid-send
                self.closed = True
                raise Closed from exc

    async def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        self._stop.set()
        self._credit.set()
        with contextlib.suppress(Exception):
            async with self._send_lock:
                await self.ws.close(code, reason[:120])

    async def refuse(self, exc: TaskForgeError, about: str | None = None) -> None:
        """Say why, then close with the code's close code."""
        with contextlib.suppress(Closed):
            await self.send(p.error(exc.code, exc.message, about))
        await self.close(p.CLOSE_CODES.get(exc.code, p.BAD_MESSAGE), exc.message)

    # -- the connection --

    async def serve(self) -> None:
        await self.ws.accept()
        detach: Callable[[], None] | None = None
        watched = False
        try:
            hello = await self._hello()
            if hello is None:
                return
            again = await self._attach(hello)
            if again is None:
                return
            detach = self._wake_on_jobs(hello)
            await self.send(p.welcome(self.worker_id))  # type: ignore[arg-type]
            if self.cancelled_meanwhile:
                await self.send(p.cancel(self.cancelled_meanwhile))
            if again:
                await self._push(again)
            self._pushing = asyncio.create_task(self._pusher(), name="channel-push")
            auth.watch(self.svc, self.credential, self)
            watched = True
            await self._read()
        except Closed:
            pass
        finally:
            self.closed = True
            self._stop.set()
            self._credit.set()
            if self._pushing is not None:
                # a claim under way commits and is sent or, the socket gone, left STARTED
                # for a reconnect to push again (or the reaper, after its lease)
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await asyncio.wait_for(self._pushing, SETTLE_SECONDS)
            if detach is not None:
                detach()
            if watched:
                checking = auth.unwatch(self.svc, self.credential, self)
                if checking is not None:
                    with contextlib.suppress(Exception, asyncio.CancelledError):
                        await checking

    async def _receive(self, within: float | None = None) -> p.ClientMessage | None:
        """The next message, parsed; None when the worker left. Malformed: closes."""
        try:
            async with asyncio.timeout(within):
                frame = await self.ws.receive()
        except TimeoutError:
            await self.close(p.BAD_MESSAGE, "no hello in time")
            raise Closed from None
        if frame["type"] == "websocket.disconnect":
            self.closed = True
            return None
        raw = frame.get("text")
        if raw is None:
            raw = frame.get("bytes") or b""
        if len(raw) > self.svc.settings.limits.request_bytes:
            await self.close(p.BAD_MESSAGE, "message too large")
            raise Closed
        try:
            return p.parse(decode_json(raw))
        except json.JSONDecodeError:
            await self.close(p.BAD_MESSAGE, "a message must be JSON")
        except p.ProtocolError as exc:
            await self.close(p.BAD_MESSAGE, exc.reason)
        raise Closed

    async def _hello(self) -> p.Hello | None:
        header = bearer(self.ws.headers.get("authorization"))
        if header is not None and not await self._authenticate(header):
            return None
        message = await self._receive(HELLO_SECONDS)
        if message is None:
            return None
        if not isinstance(message, p.Hello):
            await self.close(p.BAD_MESSAGE, "the first message must be a hello")
            return None
        if header is None and not await self._authenticate(message.token):
            return None
        return message

    async def _authenticate(self, credential: str | None) -> bool:
        try:
            principal = await auth.authenticate(self.svc, credential)
        except Unavailable:
            await self.close(p.TRY_AGAIN_LATER, "the database is unavailable: retry")
            return False
        except TaskForgeError as exc:
            await self.close(p.UNAUTHENTICATED, exc.message)
            return False
        logs.set_organization(principal.organization_id)
        try:
            principal.require(PERMISSION)
            await abuse.admit(self.svc, principal)  # the connection is one request
        except TaskForgeError as exc:
            await self.refuse(exc)
            return False
        self.principal, self.credential = principal, credential
        return True

    async def _attach(self, hello: p.Hello) -> list[Claimed] | None:
        """Register or re-attach the worker; what to push again (None: refused)."""
        assert self.principal is not None
        self.capacity, self.lease = hello.capacity, hello.lease
        if hello.trace:
            self.item = _traced_item
        try:
            if hello.worker_id is None:
                assignments = [workers.QueueWeight(q, w) for q, w in hello.queues]
                row = await workers.register(
                    self.svc,
                    self.principal,
                    hello.name or "",
                    WorkerType.GENERAL,
                    assignments,
                    hello.types,
                )
                self.worker_id, self.types = row.id, row.job_types
                return []
            beat = await workers.beat(
                self.svc,
                self.principal,
                hello.worker_id,
                hello.lease,
                list(hello.holding),
                hello.types,
            )
            self.cancelled_meanwhile = beat.cancelled  # told once welcomed
            self.worker_id, self.types = hello.worker_id, beat.worker.job_types
            live = await executions.held_by(self.svc, self.principal, hello.worker_id)
        except TaskForgeError as exc:
            await self.refuse(exc, "hello")
            return None
        # held and still live: in flight (an outcome buffered across the drop comes next)
        held = [c for c in live if c.execution_id in hello.holding]
        self.outstanding.update(c.execution_id for c in held)
        self._running(held)
        return [c for c in live if c.execution_id not in hello.holding]

    def _wake_on_jobs(self, hello: p.Hello) -> Callable[[], None]:
        """Wake the pusher when a job becomes claimable in the worker's queues (of a
        re-attached worker without ``queues``: in any queue of the tenant). The filter
        only sets the wake-up and accepts nothing: no event is ever buffered here."""
        assert self.principal is not None
        queues = {q for q, _ in hello.queues}
        wanted = filters.jobs_available(queues or None)
        ready = filters.accepting(wanted)
        mine = {str(q) for q in queues}

        def accept(message: dict[str, Any]) -> bool:
            if (
                self._held_back
                and message["type"] == STATUS_CHANGED
                and message["payload"].get("status") not in NOT_RUNNING
                and (not mine or message["payload"].get("queueId") in mine)
            ):
                self._signal.set()
            if (
                self.running
                and message["type"] == STATUS_CHANGED
                and message["payload"].get("status") == CANCELLED
            ):
                self._on_cancelled(message["payload"].get("jobId"))
                return False
            # most events are jobs starting or ending: told apart without decoding them
            if self._signal.is_set() or (
                message["type"] == STATUS_CHANGED
                and message["payload"].get("status") != JobStatus.PENDING
            ):
                return False
            if ready(message):
                self._signal.set()
            return False

        tail = self.runtime.tail
        feed, _ = tail.attach(self.principal.organization_id, filters.JOBS_AVAILABLE, accept)
        return lambda: tail.detach(feed)

    # -- pushing --

    async def _push(self, claimed: list[Claimed]) -> None:
        self.outstanding.update(c.execution_id for c in claimed)
        self._running(claimed)
        await self.send(p.jobs([self.item(c) for c in claimed], _parents(claimed)))

    def _running(self, claimed: list[Claimed]) -> None:
        for c in claimed:
            job = str(c.job_id)
            self.running[job], self._job_of[c.execution_id] = c.execution_id, job

    def _ended(self, execution_ids: Any) -> None:
        for execution_id in execution_ids:
            job = self._job_of.pop(execution_id, None)
            if job is not None:
                self.running.pop(job, None)

    def _on_cancelled(self, job_id: Any) -> None:
        """A job was cancelled (an event of this tenant): if this worker runs it, say so now
        rather than at the next beat."""
        execution_id = self.running.get(job_id) if isinstance(job_id, str) else None
        if execution_id is not None and execution_id in self.outstanding:
            task = asyncio.get_running_loop().create_task(self._cancel([execution_id]))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _cancel(self, execution_ids: list[uuid.UUID]) -> None:
        """Tell the worker to stop these handlers; their attempts are CANCELLED already,
        so nothing will be acknowledged for them: their credit comes back now."""
        wanted = [e for e in execution_ids if e in self.outstanding]
        if not wanted:
            return
        self.outstanding.difference_update(wanted)
        self._ended(wanted)
        self._credit.set()
        with contextlib.suppress(Closed):
            await self.send(p.cancel(wanted))

    async def _pusher(self) -> None:
        try:
            await self._claim_loop()
        except Closed:
            pass
        except Exception:  # a bug: said once, and the worker reconnects
            log.exception("the worker channel's claims failed")
            await self.close(1011, "internal error")

    async def _claim_loop(self) -> None:
        """Claim while there is credit; after a short claim, wait for a wake-up."""
        assert self.principal is not None and self.worker_id is not None
        limit = self.svc.settings.limits.claim_size
        poll = self.svc.settings.worker_channel_poll_seconds
        fill = max(1, min(limit, self.capacity) // 2)
        backlog = False  # the last claim got all it asked for: more jobs are waiting
        while not self._stop.is_set():
            credit = self.capacity - len(self.outstanding)
            if credit <= 0:
                self._credit.clear()  # no await since the check: no return is missed
                await self._credit.wait()
                continue
            if backlog and credit < fill:
                # acknowledgements are coming back: a moment's wait makes one full claim
                # of what would be several small ones (an idle queue claims at once)
                await self._gather(fill)
                credit = self.capacity - len(self.outstanding)
            want = min(credit, limit)
            self._signal.clear()  # before claiming: a job committed meanwhile wakes us
            try:
                async with self._claiming:
                    claimed = await executions.claim(
                        self.svc,
                        self.principal,
                        self.worker_id,
                        None,
                        want,
                        self.lease,
                        probe=not backlog,
                        job_types=self.types,
                        parents=True,
                    )
                    self.outstanding.update(c.execution_id for c in claimed)
            except Unavailable as exc:
                await self.send(p.error(exc.code, exc.message, "claim"))
                claimed = executions.Claims()
            except TaskForgeError as exc:  # the worker was deleted, a permission lost
                await self.refuse(exc, "claim")
                return
            if claimed:
                await self._push(claimed)
            if claimed.held_back and not self._held_back:
                self._signal.set()  # a job may have ended while this claim ran, unheard
            self._held_back = claimed.held_back
            backlog = len(claimed) == want
            if not backlog:
                await _first(self._signal, self._stop, within=poll)

    async def _gather(self, fill: int) -> None:
        """Until ``fill`` credit is free, the pusher stops, or GATHER_SECONDS pass."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + GATHER_SECONDS
        while self.capacity - len(self.outstanding) < fill and not self._stop.is_set():
            left = deadline - loop.time()
            if left <= 0:
                return
            self._credit.clear()  # no await since the check: no return is missed
            await _first(self._credit, self._stop, within=left)

    # -- reading --

    async def _read(self) -> None:
        while True:
            message = await self._receive()
            if message is None:
                return
            if isinstance(message, p.Ack):
                await self._ack(message)
            elif isinstance(message, p.Beat):
                await self._call("beat", self._beat())
            elif isinstance(message, p.Logs):
                await self._call("logs", self._logs(message))
            elif isinstance(message, p.Drain):
                await self._drain()
            elif isinstance(message, p.Progress):
                await self._call("progress", self._progress(message))
            else:
                await self.close(p.BAD_MESSAGE, "hello was already sent")
                raise Closed

    async def _call(self, about: str, work: Any) -> bool:
        """Run a service call: its refusal is an ``error`` message, a lost credential
        or permission closes the connection."""
        try:
            await work
        except (Unauthenticated, Forbidden) as exc:
            await self.refuse(exc, about)
            raise Closed from None
        except TaskForgeError as exc:
            await self.send(p.error(exc.code, exc.message, about))
            return False
        return True

    async def _ack(self, ack: p.Ack) -> None:
        principal = self.principal
        assert principal is not None
        results: list[executions.Ack] = []
        done: list[tuple[uuid.UUID, Any]] = [(e, None) for e in ack.ok]
        done += ack.done

        async def apply() -> None:
            results.extend(await executions.complete(self.svc, principal, done))
            results.extend(await executions.fail(self.svc, principal, ack.failed))

        if not await self._call("ack", apply()):
            return  # answered by the error; the worker sends the items again
        # an attempt whose output was refused is still running: its credit comes back
        # with the failure the worker sends for it
        refused = {a.execution_id for a in results if isinstance(a.error, InvalidInput)}
        acked = {e for e in ack.ids() if e not in refused}
        self.outstanding.difference_update(acked)
        self._ended(acked)
        self._credit.set()
        rejected = [
            [a.execution_id, a.error.code, a.error.message] for a in results if a.error is not None
        ]
        await self.send(p.acked(rejected))

    async def _beat(self) -> None:
        assert self.principal is not None and self.worker_id is not None
        beat = await workers.beat(
            self.svc, self.principal, self.worker_id, self.lease, list(self.outstanding)
        )
        if beat.cancelled:
            await self._cancel(beat.cancelled)
        if not self.draining:
            await self._reconcile()

    async def _reconcile(self) -> None:
        """Push the worker's live attempts that this connection never pushed: those a
        connection that is gone without the server knowing yet (a half-open socket,
        perhaps on another replica) claimed after the worker re-attached here. Else
        the worker's beats would keep their leases alive, and nobody would run them.
        Acknowledgements sent before the beat are applied by now (one reader)."""
        assert self.principal is not None and self.worker_id is not None
        async with self._claiming:  # a claim's attempts are in ``outstanding`` first
            live = await executions.held_by(self.svc, self.principal, self.worker_id)
            stray = [c for c in live if c.execution_id not in self.outstanding]
            self.outstanding.update(c.execution_id for c in stray)
            self._running(stray)
        if stray:
            await self.send(p.jobs([self.item(c) for c in stray], _parents(stray)))

    async def _logs(self, message: p.Logs) -> None:
        assert self.principal is not None
        await executions.append_logs(
            self.svc, self.principal, message.execution_id, message.entries
        )

    async def _progress(self, message: p.Progress) -> None:
        assert self.principal is not None
        reports = [executions.Progress(e, None, f, m) for e, f, m in message.items]
        if reports:
            await executions.report_progress(self.svc, self.principal, reports, strict=False)

    async def _drain(self) -> None:
        assert self.principal is not None and self.worker_id is not None
        if not await self._call("drain", workers.drain(self.svc, self.principal, self.worker_id)):
            return
        self.draining = True
        self._stop.set()
        self._credit.set()
        if self._pushing is not None:  # it sends the claim it may have under way, then stops
            await self._pushing
        await self.send(p.DRAINED)

    # -- the credential --

    def checked(self, principal: Principal) -> None:
        """The credential is still good (auth.watch, once per cache window for every
        holder of it on this replica): permissions follow a role change; without the
        workers permission the connection closes."""
        try:
            principal.require(PERMISSION)
        except TaskForgeError as exc:
            self.refused(exc)
            return
        if self.principal is not None and (
            principal.organization_id == self.principal.organization_id
        ):
            self.principal = principal

    def refused(self, error: TaskForgeError) -> None:
        """Revoked, deactivated or suspended: the connection closes with 4403."""
        if self._closing is None:
            self._closing = asyncio.create_task(self.close(p.FORBIDDEN, error.message))


async def _first(*events: asyncio.Event, within: float) -> None:
    """Until one of the events is set, or the timeout."""
    if any(e.is_set() for e in events):
        return
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
