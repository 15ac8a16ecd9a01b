"""The worker runner over the worker channel (one WebSocket, taskforge/worker/protocol.py).

The server pushes jobs up to the worker's capacity (its concurrency); the runner sends
outcomes back batched as the GraphQL runner does (``ack_interval``), and beats to
extend leases. Handlers, logs, drain and grace behave as in ``runner.Worker``.

A lost connection is reconnected with backoff; the ``hello`` names the worker and what
it holds (running jobs, outcomes not yet answered), so the server pushes again only
what went into the broken socket. Outcomes are kept until the server answers them:
those sent into a broken socket go again (the server refuses any it already applied
as stale), so nothing is lost and nothing runs twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from typing import Any

import orjson
import websockets

from taskforge import tracing
from taskforge.worker import protocol
from taskforge.worker.client import MAX_DELAY, ApiError, Client
from taskforge.worker.context import JobContext, parents_of
from taskforge.worker.runner import Handler, Settings, Worker

log = logging.getLogger("taskforge.worker")

SETTLE_SECONDS = 10.0  # at the end, the longest to wait for outstanding outcomes' answers
DRAINED_SECONDS = 10.0  # after asking to drain, the longest to wait for the last jobs


class ChannelWorker(Worker):
    def __init__(
        self,
        client: Client,
        handlers: dict[str, Handler],
        queues: list[tuple[str, int]],
        settings: Settings | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(client, handlers, queues, settings, name)
        base = client.url.removesuffix("/graphql")
        self.url = "ws" + base.removeprefix("http") + protocol.PATH
        self._ws: Any = None  # the live connection, once welcomed
        self._welcomed = asyncio.Event()
        self._drained = asyncio.Event()
        self._sent: deque[tuple[list[dict[str, Any]], list[dict[str, Any]]]] = deque()
        self._answered = asyncio.Event()  # an in-flight batch was answered
        self._starved = True  # pushed, not claimed: there is no claim to wait for
        self.reconnects = 0

    # -- running --

    async def run(self, stop: asyncio.Event) -> None:
        connection = asyncio.create_task(self._connection())
        helpers: list[asyncio.Task[None]] = []
        try:
            await _until(_any(self._welcomed, stop), connection)
            if not self._welcomed.is_set():
                return  # stopped before the server could be reached
            log.info("worker %s connected as %s", self.name, self.worker_id)
            helpers = [
                asyncio.create_task(self._heartbeats(stop)),
                asyncio.create_task(self._acks(stop)),
                asyncio.create_task(self._live()),
            ]
            await _until(stop.wait(), connection)
            await self._drain()
            await self._settle(connection)
        finally:
            for task in [*helpers, connection]:
                task.cancel()
            for task in [*helpers, connection]:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _connection(self) -> None:
        """Connect, and reconnect with capped backoff; a refusal ends the worker."""
        delay = 0.2
        headers = {"Authorization": f"Bearer {self.client.api_key}"}
        while True:
            try:
                async with websockets.connect(
                    self.url, additional_headers=headers, open_timeout=10, max_size=None
                ) as ws:
                    await self._hello(ws)
                    delay = 0.2
                    async for raw in ws:
                        self._on_message(orjson.loads(raw))
                    raise ConnectionError(f"closed by the server ({ws.close_code})")
            except asyncio.CancelledError:
                raise
            except ApiError:
                raise
            except websockets.ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd else None
                if code in protocol.FATAL_CLOSES:
                    reason = exc.rcvd.reason if exc.rcvd else ""
                    raise ApiError(f"the server closed the channel: {reason}", str(code)) from None
                log.warning("worker channel lost (%s); reconnecting", exc)
            except Exception as exc:
                log.warning("worker channel unavailable (%s); reconnecting", exc)
            finally:
                self._lost()
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, MAX_DELAY)
            self.reconnects += 1

    async def _hello(self, ws: Any) -> None:
        hello: dict[str, Any] = {
            "type": "hello",
            "name": self.name,
            "queues": [[q, w] for q, w in self.queues],
            "capacity": self.settings.concurrency,
            "lease": self.settings.lease_seconds,
        }
        if self.job_types is not None:
            hello["types"] = self.job_types  # pushed only jobs it has handlers for
        if tracing.enabled():
            hello["trace"] = True  # each job then carries its trace context
        if self.worker_id is not None:
            hello["workerId"] = self.worker_id
            hello["holding"] = self._holding()
        await ws.send(orjson.dumps(hello).decode())
        answer = orjson.loads(await asyncio.wait_for(ws.recv(), 30))
        if answer.get("type") != "welcome":
            error = ApiError(str(answer.get("message")), answer.get("code"))
            if error.retryable:  # the server or the rate limit: connect again later
                raise ConnectionError(str(error))
            raise error  # refused: the worker stops
        self.worker_id = answer["workerId"]
        self._ws = ws
        self._welcomed.set()
        if self._done or self._failed:
            self._to_ack.set()  # outcomes buffered across the drop go now

    def _holding(self) -> list[str]:
        """Received and not yet answered: running, buffered, or sent without an answer."""
        held = list(self._running)
        held += [d["executionId"] for d in self._done]
        held += [f["executionId"] for f in self._failed]
        return held

    def _lost(self) -> None:
        """The connection is gone: outcomes sent without an answer go again."""
        self._ws = None
        while self._sent:
            done, failed = self._sent.pop()
            self._done[:0], self._failed[:0] = done, failed
        self._answered.set()

    # -- from the server --

    def _on_message(self, msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        if kind == "jobs":
            parents = msg.get("parents") or {}  # workflow jobs' parents' outputs, by job
            for execution_id, job_id, job_type, attempt, payload, *rest in msg["jobs"]:
                if execution_id in self._running:
                    continue  # pushed again after a reconnect while still running here
                ctx = JobContext(
                    job_id,
                    execution_id,
                    job_type,
                    attempt,
                    parents=parents_of(parents.get(job_id)),
                    _heartbeat=self._heartbeat,
                    trace_context=rest[0] if rest else None,  # asked for in the hello
                )
                self._start(payload or {}, ctx)
        elif kind == "cancel":
            self._cancel(msg["executionIds"])
        elif kind == "acked" and self._sent:
            self._sent.popleft()
            self._answered.set()
            self._rejected(msg["rejected"])
        elif kind == "drained":
            self._drained.set()
        elif kind == "error":
            if msg.get("about") == "ack" and self._sent:
                done, failed = self._sent.popleft()  # not applied: sent again shortly
                self._done[:0], self._failed[:0] = done, failed
                self._answered.set()
                asyncio.get_running_loop().call_later(
                    self.settings.ack_retry_seconds, self._to_ack.set
                )
            log.warning("worker channel: %s %s (%s)", msg.get("about"), msg.get("code"), msg)

    # -- to the server --

    async def _send(self, message: dict[str, Any]) -> bool:
        ws = self._ws
        if ws is None:
            return False
        try:
            await ws.send(orjson.dumps(message).decode())
        except websockets.ConnectionClosed:
            return False
        return True

    async def _flush(self) -> None:
        if (not self._done and not self._failed) or self._ws is None:
            return  # nothing to say, or kept for after the reconnect
        done, self._done = self._done, []
        failed, self._failed = self._failed, []
        self._sent.append((done, failed))
        message = {
            "type": "ack",
            "ok": [d["executionId"] for d in done if d["output"] is None],
            "done": [[d["executionId"], d["output"]] for d in done if d["output"] is not None],
            "failed": [
                [f["executionId"], f["error"], f["retryable"], f.get("traceback")] for f in failed
            ],
        }
        await self._send(message)  # unsent: the reconnect puts it back (_lost)

    async def _send_logs(self, execution_id: str, entries: list[dict[str, Any]]) -> None:
        rows = [[e["level"], e["message"], e["metadata"]] for e in entries]
        if not await self._send({"type": "logs", "executionId": execution_id, "entries": rows}):
            # no connection: back in front of the job's buffer (in order before what
            # was logged meanwhile), for the next flush after the reconnect
            ctx = self._contexts.get(execution_id)
            if ctx is not None:
                ctx._logs.extendleft(reversed(entries))

    async def _send_live(self, ctx: JobContext) -> None:
        """At a job's end: its last entries wait for a reconnect (as its outcome does, for
        SETTLE_SECONDS at most) rather than being dropped with a lost connection."""
        await super()._send_live(ctx)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_SECONDS
        while ctx._logs and loop.time() < deadline:
            await asyncio.sleep(0.1)
            if self._ws is not None:
                await super()._send_live(ctx)

    async def _send_progress(self, reports: list[tuple[str, float, str | None]]) -> None:
        await self._send({"type": "progress", "items": [list(r) for r in reports]})

    async def _heartbeat(self) -> None:
        await self._send({"type": "beat"})

    def _busy(self) -> bool:
        return bool(self._running)

    async def _stop_claims(self) -> None:
        """Ask for nothing more, and wait for the jobs already on their way."""
        if await self._send({"type": "drain"}):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained.wait(), DRAINED_SECONDS)

    async def _settle(self, connection: asyncio.Task[None]) -> None:
        """Until every outcome is answered (through reconnects), for a while at most."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_SECONDS
        while (self._sent or self._done or self._failed) and not connection.done():
            self._answered.clear()
            if self._ws is not None and (self._done or self._failed):
                await self._flush()
            left = deadline - loop.time()
            if left <= 0:
                log.warning("%d outcomes were not acknowledged", len(self._holding()))
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._answered.wait(), min(left, 0.5))


async def _any(*events: asyncio.Event) -> None:
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()


async def _until(waiting: Any, connection: asyncio.Task[None]) -> None:
    """Wait for ``waiting``; the connection ending first (refused) raises its error."""
    waiter = asyncio.ensure_future(waiting)
    try:
        await asyncio.wait({waiter, connection}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if connection.done() and not waiter.done():
        connection.result()  # raises what ended it
        raise ConnectionError("the worker channel ended")
