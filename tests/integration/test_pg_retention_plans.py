"""PostgreSQL plan of the statement that finds expired workflows: each project's ended,
not yet pruned workflows by the partial index, never a scan of every workflow."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from taskforge.domain.enums import Tier
from taskforge.persistence.postgres.retention import EXPIRED_WORKFLOWS_PG
from tests.conftest import new_org
from tests.integration.test_pg_plans import nodes


async def test_expired_workflows_are_found_by_the_partial_index(pg_runtime) -> None:
    svc = pg_runtime.services
    org = await new_org(svc, "Many", Tier.ENTERPRISE)
    async with svc.write() as session:
        # 20,000 workflows: live, ended recently, and ended long ago but pruned
        await session.execute(
            text(
                "INSERT INTO workflows (id, organization_id, project_id, name, definition,"
                " status, failure_policy, priority, created_at, updated_at, finished_at,"
                " pruned_at)"
                " SELECT gen_random_uuid(), :org, :project, 'w', '{}',"
                " (ARRAY['RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'])[1 + i % 4],"
                " 'FAIL_FAST', 5, now(), now(),"
                " CASE WHEN i % 4 = 0 THEN NULL"
                "   WHEN i % 2 = 0 THEN now() - interval '400 days' ELSE now() END,"
                " CASE WHEN i % 4 = 2 THEN now() ELSE NULL END"
                " FROM generate_series(1, 20000) AS i"
            ),
            {"org": org.organization.id, "project": org.project.id},
        )
        await session.execute(text("ANALYZE workflows"))
        raw = await session.scalar(
            text(f"EXPLAIN (FORMAT JSON) {EXPIRED_WORKFLOWS_PG.text}"),
            {"now": svc.clock(), "default_days": 30, "limit": 100},
        )
    plan: dict[str, Any] = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    reads = [
        (n["Node Type"], n.get("Index Name"))
        for n in nodes(plan)
        if n.get("Relation Name") == "workflows"
    ]
    assert ("Seq Scan", None) not in reads, reads
    assert any(index == "idx_workflows_expirable" for _, index in reads), reads
