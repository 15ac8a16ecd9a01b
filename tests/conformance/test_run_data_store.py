"""``Store.workflows.parents`` on every store: each job's named parents with their status
and output (JSON values as stored), only edges of the organization asked for, nothing
for jobs without parents or for no jobs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from taskforge.domain.enums import JobStatus
from taskforge.persistence.common import run_data
from taskforge.persistence.tables import Job
from taskforge.services import workflows
from tests.conftest import admin_of


async def test_parents_by_name_with_status_and_output(svc: Any, org: Any, other_org: Any) -> None:
    definition = {
        "name": "diamond",
        "jobs": [
            {"name": "top", "job_type": "t"},
            {"name": "left", "job_type": "t", "depends_on": ["top"]},
            {"name": "right", "job_type": "t", "depends_on": ["top"]},
            {"name": "bottom", "job_type": "t", "depends_on": ["left", "right"]},
        ],
    }
    wf = await workflows.create(svc, admin_of(org), org.project.id, definition)
    output = {"rows": [{"id": 1, "x": None}], "n": 2.5, "ok": True, "s": "é"}
    async with svc.write() as session:
        ids = {
            j.name: j.id for j in await session.scalars(select(Job).where(Job.workflow_id == wf.id))
        }
        await session.execute(
            update(Job).where(Job.id == ids["left"]).values(status="SUCCEEDED", output=output)
        )
    async with svc.read() as session:
        got = await run_data.parents(
            session, [ids["bottom"], ids["left"], ids["top"]], org.organization.id
        )
        everyone = await run_data.parents(session, [ids["bottom"]])
        foreign = await run_data.parents(session, [ids["bottom"]], other_org.organization.id)
        none = await run_data.parents(session, [])
    assert got == {
        ids["bottom"]: {
            "left": (JobStatus.SUCCEEDED, output),
            "right": (JobStatus.PENDING, None),
        },
        ids["left"]: {"top": (JobStatus.PENDING, None)},
    }
    assert all(type(status) is JobStatus for by in got.values() for status, _ in by.values())
    assert everyone == {ids["bottom"]: got[ids["bottom"]]}
    assert foreign == {} and none == {}
