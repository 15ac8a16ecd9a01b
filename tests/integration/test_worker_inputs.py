"""The worker SDK and the input boundary: what handlers produce (exception messages and
logs with NUL characters or lone surrogates, results that are not JSON or break the
JSON rules) ends each job cleanly instead of holding up the worker's acknowledgements."""

from __future__ import annotations

import asyncio
from typing import Any

from taskforge.persistence.common import executions as executions_repo
from taskforge.services import jobs
from taskforge.worker.client import Client
from taskforge.worker.context import PermanentError
from taskforge.worker.runner import Settings, Worker
from tests.conftest import admin_of
from tests.helpers import served


def deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


async def test_handlers_output_and_messages_never_block_acknowledgements(runtime, org) -> None:
    svc, admin = runtime.services, admin_of(org)
    kinds = ("raises", "nan", "deep", "fine")
    created = await jobs.enqueue(
        svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type=k) for k in kinds]
    )
    by_kind = dict(zip(kinds, created, strict=True))
    everyone = asyncio.Barrier(len(kinds))  # all end together: one acknowledgement

    async def raises(payload: dict[str, Any], ctx: Any) -> None:
        ctx.log("read a\x00b")
        await everyone.wait()
        raise PermanentError("bad \x00 byte and \ud800")

    async def nan(payload: dict[str, Any], ctx: Any) -> dict[str, Any]:
        await everyone.wait()
        return {"n": float("nan")}

    async def too_deep(payload: dict[str, Any], ctx: Any) -> dict[str, Any]:
        await everyone.wait()
        return {"d": deep(100)}

    async def fine(payload: dict[str, Any], ctx: Any) -> dict[str, Any]:
        await everyone.wait()
        return {"ok": True}

    async with served(runtime) as base:
        client = Client(f"http://{base}", org.api_key.secret)
        worker = Worker(
            client,
            {"raises": raises, "nan": nan, "deep": too_deep, "fine": fine},
            [(str(org.queue.id), 1)],
            Settings(concurrency=4, batch=4, poll_interval=0.05),
        )
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))

        async def ended(job_id: Any) -> None:
            while (await jobs.get(svc, admin, job_id)).status.value in ("PENDING", "PROCESSING"):
                assert not running.done()
                await asyncio.sleep(0.02)

        try:
            await asyncio.wait_for(asyncio.gather(*(ended(j.id) for j in created)), 20)
        finally:
            stop.set()
        await asyncio.wait_for(running, 10)
        await client.close()
    status = {k: await jobs.get(svc, admin, j.id) for k, j in by_kind.items()}
    assert status["fine"].status.value == "SUCCEEDED"
    assert status["fine"].output == {"ok": True}
    assert status["raises"].status.value == "FAILED"
    assert status["raises"].error == "PermanentError: bad \ufffd byte and \\ud800"
    assert status["nan"].status.value == "FAILED"
    assert "not JSON" in (status["nan"].error or "")
    assert status["deep"].status.value == "FAILED"
    assert "nested deeper than 64 levels" in (status["deep"].error or "")
    async with runtime.db.read() as session:
        [execution] = await executions_repo.by_jobs(
            session, org.organization.id, [by_kind["raises"].id]
        )
        logs = await executions_repo.logs_by_executions(session, [execution.id])
    assert [log.message for log in logs][:1] == ["read a\ufffdb"]
