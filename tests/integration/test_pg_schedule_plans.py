"""PostgreSQL plans of the scheduler's backfill step: the first waiting occurrences of
each schedule whose next backfilled run may fire are read by a probe of its queue, never
by its whole history of fires, nor by every waiting occurrence of every schedule."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event, insert, update

from taskforge.domain.enums import ScheduleKind, Tier
from taskforge.persistence.common import backfills
from taskforge.persistence.tables import ScheduledJob, ScheduleFire
from taskforge.services import schedules
from taskforge.services.schedules import ScheduleSpec
from tests.conftest import admin_of, new_org

NOW = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


async def test_a_schedules_waiting_occurrences_are_read_from_its_queue(pg_runtime) -> None:
    svc = pg_runtime.services
    org = await new_org(svc, "Plans", Tier.ENTERPRISE)
    spec = ScheduleSpec(
        name="s",
        kind=ScheduleKind.CRON,
        expression="* * * * *",
        queue_id=org.queue.id,
        job_type="t",
    )
    made = [await schedules.create(svc, admin_of(org), spec) for _ in range(40)]
    busy = made[0].id
    rows = [  # each schedule a long history of fires; one has a few waiting
        {
            "id": uuid.uuid4(),
            "organization_id": org.organization.id,
            "schedule_id": s.id,
            "fire_at": NOW - dt.timedelta(minutes=i),
            "fired_at": NOW,
            "backfill_due_at": NOW if s.id == busy and i < 5 else None,
        }
        for s in made
        for i in range(500)
    ]
    async with svc.write() as session:
        for i in range(0, len(rows), 2000):
            await session.execute(insert(ScheduleFire), rows[i : i + 2000])
        await session.execute(
            update(ScheduledJob).where(ScheduledJob.id == busy).values(backfill_next_at=NOW)
        )
    async with svc.write() as session:
        conn = await session.connection()
        await conn.exec_driver_sql("ANALYZE schedule_fires")
        await conn.exec_driver_sql("ANALYZE scheduled_jobs")
    ran: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        ran.append((statement, params))

    engine = pg_runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        async with svc.write() as session:
            assert [s.id for s in await backfills.due(session, NOW, 10)] == [busy]
            waiting = await backfills.waiting_of(session, {busy: 3, made[1].id: 3})
            assert [w.fire_at for w in waiting] == [
                NOW - dt.timedelta(minutes=i) for i in (4, 3, 2)
            ]
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    probed = 0
    async with svc.write() as session:
        conn = await session.connection()
        for statement, params in ran:
            raw = await conn.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", params)
            found = raw.scalar()
            found = json.loads(found) if isinstance(found, str) else found
            plan = list(nodes(found[0]["Plan"]))
            fires = [n for n in plan if n.get("Relation Name") == "schedule_fires"]
            for n in fires:  # each schedule's queue probed, none of its history read
                assert n.get("Index Name") == "idx_schedule_fires_waiting", n
                assert n["Actual Rows"] * n["Actual Loops"] <= 5, n  # its 5 waiting at most
            probed += len(fires)
    assert probed == 2  # the waiting occurrences of two schedules, in one statement
