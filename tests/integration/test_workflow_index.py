"""The workflow index holds workflow jobs only (migration 0020), on both databases, and
an equality on workflow_id still reaches a workflow's jobs through it."""

from __future__ import annotations

from sqlalchemy import text

from taskforge.domain.enums import Tier
from taskforge.services import jobs, workflows
from tests.conftest import admin_of, new_org

WHERE = "workflow_id IS NOT NULL"


async def test_the_workflow_index_is_partial_and_serves_a_workflows_jobs(runtime) -> None:
    svc = runtime.services
    org = await new_org(svc, "Mine", Tier.ENTERPRISE)
    admin = admin_of(org)
    await jobs.enqueue(svc, admin, [jobs.NewJob(queue_id=org.queue.id, job_type="t")] * 50)
    steps = [{"name": f"j{i}", "job_type": "t"} for i in range(5)]
    wf = await workflows.create(svc, admin, org.project.id, {"name": "w", "jobs": steps})
    async with svc.read() as session:
        if session.bind.dialect.name == "postgresql":
            definition = await session.scalar(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_jobs_workflow_status'")
            )
            assert definition.endswith(f"WHERE ({WHERE})"), definition
            return
        definition = await session.scalar(
            text("SELECT sql FROM sqlite_master WHERE name = 'idx_jobs_workflow_status'")
        )
        assert definition.endswith(f"WHERE {WHERE}"), definition
        plan = (
            await session.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT id FROM jobs "
                    "WHERE workflow_id = :w AND status IN ('PENDING', 'PROCESSING')"
                ),
                {"w": wf.id.hex},
            )
        ).all()
        assert any("idx_jobs_workflow_status" in str(row) for row in plan), plan
        count = await session.scalar(
            text("SELECT count(*) FROM jobs INDEXED BY idx_jobs_workflow_status WHERE " + WHERE)
        )
        assert count == 5
