"""The idempotency key statements, the same on every store: the guard insert skips keys
held already and says which it inserted, the locked read returns a tenant's rows only,
a replacement rewrites a row, and the purge deletes expired rows in bounded batches."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select

from taskforge.persistence.common import idempotency
from taskforge.persistence.tables import IdempotencyKey

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def key_row(org: Any, key: str, scope: str = "queue:q", **extra: Any) -> dict[str, Any]:
    return {
        "organization_id": org.organization.id,
        "scope": scope,
        "key": key,
        "fingerprint": "f" * 64,
        "job_id": uuid.uuid4(),
        "workflow_id": None,
        "created_at": T0,
        "expires_at": T0 + dt.timedelta(hours=24),
        **extra,
    }


async def test_the_guard_insert_reports_what_it_inserted(
    svc: Any, org: Any, other_org: Any
) -> None:
    async with svc.write() as session:
        first = await idempotency.insert_new(session, [key_row(org, "a"), key_row(org, "b")])
        assert first == {("queue:q", "a"), ("queue:q", "b")}
        again = [
            key_row(org, "a", fingerprint="0" * 64),  # held: skipped, left as it was
            key_row(org, "a", scope="workflow"),  # another scope
            key_row(other_org, "a"),  # another tenant
        ]
        assert await idempotency.insert_new(session, again) == {("workflow", "a"), ("queue:q", "a")}
        mine = await idempotency.lock(
            session, org.organization.id, [("queue:q", "a"), ("queue:q", "zz")]
        )
    assert [(r.scope, r.key, r.fingerprint) for r in mine] == [("queue:q", "a", "f" * 64)]
    assert mine[0].expires_at == T0 + dt.timedelta(hours=24)


async def test_many_keys_go_in_chunks(svc: Any, org: Any) -> None:
    rows = [key_row(org, f"k{i:04}") for i in range(idempotency.CHUNK + 20)]
    async with svc.write() as session:
        assert len(await idempotency.insert_new(session, rows)) == len(rows)
        assert await idempotency.insert_new(session, rows) == set()
        pairs = [(r["scope"], r["key"]) for r in rows]
        locked = await idempotency.lock(session, org.organization.id, pairs)
    assert [r.key for r in locked] == sorted(r["key"] for r in rows)


async def test_a_replacement_and_a_target_rewrite_the_row(svc: Any, org: Any) -> None:
    job, wf = uuid.uuid4(), uuid.uuid4()
    later = T0 + dt.timedelta(hours=30)
    async with svc.write() as session:
        await idempotency.insert_new(session, [key_row(org, "a"), key_row(org, "b")])
        new = key_row(org, "a", fingerprint="1" * 64, job_id=job, created_at=later)
        await idempotency.replace(session, [{**new, "expires_at": later + dt.timedelta(hours=1)}])
        await idempotency.set_target(session, org.organization.id, "queue:q", "b", None, wf)
        got = {
            r.key: r
            for r in await idempotency.lock(
                session, org.organization.id, [("queue:q", "a"), ("queue:q", "b")]
            )
        }
    assert (got["a"].fingerprint, got["a"].job_id, got["a"].created_at) == ("1" * 64, job, later)
    assert got["a"].expires_at == later + dt.timedelta(hours=1)
    assert (got["b"].job_id, got["b"].workflow_id) == (None, wf)


async def test_the_purge_deletes_expired_rows_in_batches(svc: Any, org: Any) -> None:
    rows = [key_row(org, f"old{i}", expires_at=T0 + dt.timedelta(minutes=i)) for i in range(5)]
    rows.append(key_row(org, "live", expires_at=T0 + dt.timedelta(days=1)))
    async with svc.write() as session:
        await idempotency.insert_new(session, rows)
        now = T0 + dt.timedelta(hours=1)
        assert await idempotency.purge(session, now, 3) == 3
        assert await idempotency.purge(session, now, 3) == 2
        assert await idempotency.purge(session, now, 3) == 0
        left = list(await session.scalars(select(IdempotencyKey.key)))
    assert left == ["live"]
