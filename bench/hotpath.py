"""The database's share of a job's cost: enqueue, claim and acknowledge through the
services, in one process, without HTTP, GraphQL or a worker, on PostgreSQL.

    .venv/bin/python -m bench.hotpath [--jobs 20000] [--batch 500] [--types noop,...]

Prints, per phase, the CPU microseconds per job of this process (services and driver)
and of the database (the backends of this process's sessions; the WAL writer is not
counted), and the wall-clock jobs/s. One claimer and one acknowledger run one after
the other, so the figures are the statements' own cost, not contention's; compare a
change with the commit before it in interleaved runs. ``--types``: the claims name
these job types (a worker's handlers; the jobs are all ``noop``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid

import asyncpg

from bench.throughput import DSN, cpu_seconds
from taskforge.config import Settings
from taskforge.domain.enums import Tier, WorkerType
from taskforge.runtime import Runtime
from taskforge.services import auth, executions, jobs, tenancy, workers

DB = os.environ.get("TASKFORGE_BENCH_DB", "taskforge_hotpath")
PG = f"{DSN.rsplit('/', 1)[0]}/{DB}"


async def backends() -> list[int]:
    """The server processes of this database's sessions (the pool's connections): the
    database's work for this process, whatever else the machine runs."""
    conn = await asyncpg.connect(DSN)
    try:
        rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", DB)
        return [r["pid"] for r in rows]
    finally:
        await conn.close()


class Meter:
    """CPU of this process and of its database sessions, and wall time, since made."""

    async def start(self) -> Meter:
        self.before = {pid: cpu_seconds([pid]) for pid in await backends()}
        self.began = (time.process_time(), time.perf_counter())
        return self

    async def read(self, n: int) -> tuple[float, float, float]:
        cpu, wall = time.process_time(), time.perf_counter()
        # a session opened meanwhile did all its work in this phase
        db = sum(cpu_seconds([p]) - self.before.get(p, 0.0) for p in await backends())
        c0, w0 = self.began
        return (cpu - c0) * 1e6 / n, db * 1e6 / n, n / (wall - w0)


async def run(n: int, batch: int, types: list[str] | None = None) -> None:
    conn = await asyncpg.connect(DSN)
    await conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{DB}"')
    await conn.close()
    url = PG.replace("postgresql://", "postgresql+asyncpg://", 1)
    rt = Runtime.create(Settings(database_url=url, secret_key="bench", bootstrap=False))
    await rt.start(migrate=True, engines=False)
    svc = rt.services
    try:
        org = await tenancy.create_organization(
            svc, "Bench", "bench@example.com", "bench-password", Tier.ENTERPRISE
        )
        assert org is not None
        principal = await auth.authenticate(svc, org.api_key.secret)
        queue = org.queue.id
        worker = await workers.register(
            svc, principal, "bench", WorkerType.GENERAL, [workers.QueueWeight(queue, 1)]
        )
        print(f"{n} jobs, batches of {batch}: CPU us/job (this process, database), jobs/s")
        m = await Meter().start()
        for _ in range(n // batch):
            await jobs.enqueue(
                svc, principal, [jobs.NewJob(queue_id=queue, job_type="noop")] * batch
            )
        print("  enqueue     %7.1f %7.1f %9.0f" % await m.read(n))
        claimed: list[uuid.UUID] = []
        m = await Meter().start()
        while got := await executions.claim(
            svc, principal, worker.id, None, batch, 60, job_types=types
        ):
            claimed += [c.execution_id for c in got]
        print("  claim       %7.1f %7.1f %9.0f" % await m.read(len(claimed)))
        m = await Meter().start()
        for i in range(0, len(claimed), batch):
            await executions.complete(svc, principal, [(e, None) for e in claimed[i : i + batch]])
        print("  acknowledge %7.1f %7.1f %9.0f" % await m.read(len(claimed)))
    finally:
        await rt.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--types", help="comma-separated job types the claims name")
    args = parser.parse_args()
    asyncio.run(run(args.jobs, args.batch, args.types.split(",") if args.types else None))


if __name__ == "__main__":
    main()
