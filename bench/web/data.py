"""The benchmark's data, written in-process before the server starts: a fresh database
(SQLite in a temporary folder, or PostgreSQL), one organization, a backlog of PENDING
jobs and a started layered workflow."""

from __future__ import annotations

import argparse
import os
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import insert, select

from taskforge.config import Settings
from taskforge.domain.enums import Tier
from taskforge.persistence.tables import Job
from taskforge.runtime import Runtime
from taskforge.services import jobs, queues, tenancy, workflows
from taskforge.services.base import Principal

DSN = os.environ.get("TASKFORGE_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
DB = "taskforge_bench_web"
PG_URL = f"{DSN.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+asyncpg://', 1)}/{DB}"
SECRET = "bench-web-" * 4  # 40 bytes: HS256 wants 32 or more
EMAIL, PASSWORD = "bench@example.com", "bench-password"
LEVEL = 100  # workflow jobs per level


@dataclass
class Prepared:
    env: dict[str, str]
    workflow: str
    wf_queue: str
    key: str


async def prepare(args: argparse.Namespace, data: Path) -> Prepared:
    if args.postgres:
        conn = await asyncpg.connect(DSN)
        await conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{DB}"')
        await conn.close()
        settings = Settings(database_url=PG_URL, secret_key=SECRET, bootstrap=False)
        env = {"TASKFORGE_DATABASE_URL": PG_URL}
    else:
        settings = Settings(data_dir=data, secret_key=SECRET, bootstrap=False)
        env = {"TASKFORGE_DATA_DIR": str(data)}
    rt = Runtime.create(settings)
    await rt.start(migrate=True, engines=False)
    try:
        org = await tenancy.create_organization(
            rt.services, "Bench", EMAIL, PASSWORD, Tier.ENTERPRISE
        )
        assert org is not None
        admin = Principal(org.organization.id, frozenset({"admin"}))
        began = time.perf_counter()
        await backlog(rt, admin, org.queue.id, args.jobs)
        print(f"{args.jobs:,} jobs inserted in {time.perf_counter() - began:.1f} s", flush=True)
        if args.postgres:  # this machine's PostgreSQL runs no autovacuum: plans from stats
            conn = await asyncpg.connect(f"{DSN.rsplit('/', 1)[0]}/{DB}")
            try:
                await conn.execute("VACUUM ANALYZE jobs")
            finally:
                await conn.close()
        wf_queue = await queues.create_queue(rt.services, admin, org.project.id, "wf")
        wf = await workflows.create(
            rt.services, admin, org.project.id, layered(args.nodes), start=True
        )
        return Prepared(env, str(wf.id), str(wf_queue.id), org.api_key.secret)
    finally:
        await rt.stop()


async def backlog(rt: Runtime, admin: Principal, queue: uuid.UUID, n: int) -> None:
    """``n`` PENDING jobs: 1,000 through the service (rows exactly as it writes them),
    the rest copies of those with new ids and older creation times, inserted 5,000 per
    statement."""
    seed = min(n, 1000)
    specs = [
        jobs.NewJob(queue_id=queue, job_type=f"report-{i % 7}", payload={"n": i})
        for i in range(seed)
    ]
    await jobs.enqueue(rt.services, admin, specs)
    table = Job.__table__
    async with rt.db.read() as session:
        rows = [dict(r._mapping) for r in await session.execute(select(table))]
    copies: list[dict[str, Any]] = []
    for i in range(n - seed):
        round_, row = divmod(i, seed)
        copies.append(
            row_copy(
                rows[row],
                id=uuid.uuid4(),
                created_at=rows[row]["created_at"] - timedelta(minutes=round_ + 1),
            )
        )
        if len(copies) == 5000 or i == n - seed - 1:
            async with rt.db.write() as session:
                await session.execute(insert(table), copies)
            copies = []


def row_copy(row: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**row, **changes}


def layered(nodes: int) -> dict[str, Any]:
    """Levels of LEVEL jobs; each job below the first depends on two of the level above."""
    defs: list[dict[str, Any]] = []
    for i in range(nodes):
        level, k = divmod(i, LEVEL)
        job: dict[str, Any] = {"name": f"l{level}-{k}", "job_type": "noop", "queue": "wf"}
        if level:
            width = min(LEVEL, nodes - (level - 1) * LEVEL)
            job["depends_on"] = sorted(
                {f"l{level - 1}-{k % width}", f"l{level - 1}-{(k + 1) % width}"}
            )
        defs.append(job)
    return {"name": f"layered-{nodes}", "jobs": defs}


# -- server -----------------------------------------------------------------------------
