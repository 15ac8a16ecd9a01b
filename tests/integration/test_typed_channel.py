"""The worker channel's ``types``: a worker is pushed only the job types it named; a
re-attaching worker's hello replaces them (or keeps them, without ``types``)."""

from __future__ import annotations

import uuid

from taskforge.domain.enums import JobStatus
from taskforge.services import jobs, workers
from tests.conftest import admin_of, new_org
from tests.helpers import served
from tests.integration.test_worker_channel import channel, rt, status_of  # noqa: F401


async def test_a_worker_is_pushed_only_the_types_it_named(rt) -> None:  # noqa: F811
    org = await new_org(rt.services)
    admin = admin_of(org)
    specs = [jobs.NewJob(queue_id=org.queue.id, job_type=t) for t in ("a", "b", "a", "c")]
    a1, b, a2, c = (str(j.id) for j in await jobs.enqueue(rt.services, admin, specs))
    async with served(rt) as base:
        async with channel(base, org.api_key.secret) as chan:
            worker_id = await chan.hello(org.queue.id, capacity=10, types=["a"])
            assert sorted(p[1] for p in await chan.jobs(2)) == sorted([a1, a2])
            await chan.nothing_for(0.5)
            row = await workers.get(rt.services, admin, uuid.UUID(worker_id))
            assert row.job_types == ["a"]
        # re-attached, it names other types: it is pushed those now
        async with channel(base, org.api_key.secret) as chan:
            await chan.send(type="hello", capacity=10, workerId=worker_id, types=["c"])
            assert (await chan.recv())["type"] == "welcome"
            held = {p[1] for p in await chan.jobs(3)}  # the two it no longer holds, and c
            assert held == {a1, a2, c}
            await chan.nothing_for(0.5)
        # without types, a reconnect keeps the ones it advertised
        async with channel(base, org.api_key.secret) as chan:
            await chan.send(type="hello", capacity=10, workerId=worker_id, holding=[])
            assert (await chan.recv())["type"] == "welcome"
            assert {p[1] for p in await chan.jobs(3)} == {a1, a2, c}  # pushed again
            await chan.nothing_for(0.5)
    assert await status_of(rt, org, b) is JobStatus.PENDING
    row = await workers.get(rt.services, admin, uuid.UUID(worker_id))
    assert row.job_types == ["c"]
