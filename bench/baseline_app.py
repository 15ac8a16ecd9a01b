"""The baseline of bench/api.py: bare Starlette JSON endpoints reading the same rows
with the same engine (no GraphQL, no auth)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from taskforge.persistence.database import Database
from taskforge.persistence.tables import Job

db = Database(os.environ["TASKFORGE_DATABASE_URL"])
ORG = uuid.UUID(os.environ["BENCH_ORG_ID"])


def as_json(job: Job) -> dict[str, Any]:
    return {
        "id": str(job.id),
        "jobType": job.job_type,
        "status": job.status.value,
        "priority": job.priority,
        "payload": job.payload,
        "createdAt": job.created_at.isoformat(),
        "queueId": str(job.queue_id),
    }


async def one(request: Request) -> JSONResponse:
    async with db.read() as session:
        job = await session.scalar(
            select(Job).where(
                Job.id == uuid.UUID(request.path_params["id"]), Job.organization_id == ORG
            )
        )
    assert job is not None
    return JSONResponse(as_json(job))


async def page(_: Request) -> JSONResponse:
    async with db.read() as session:
        rows = await session.scalars(
            select(Job)
            .where(Job.organization_id == ORG)
            .order_by(Job.created_at.desc(), Job.id.desc())
            .limit(50)
        )
        return JSONResponse([as_json(j) for j in rows])


@contextlib.asynccontextmanager
async def lifespan(_: Starlette) -> AsyncIterator[None]:
    yield
    await db.dispose()


app = Starlette(routes=[Route("/job/{id}", one), Route("/jobs", page)], lifespan=lifespan)
