"""Queue weights are shares of a worker's claims, on both backends."""

from __future__ import annotations

from collections import Counter

from taskforge.services import executions, queues
from tests.integration.test_execution import enqueue, make_worker


async def _queues(svc, admin, org, *names: str, priorities=None):
    priorities = priorities or [5] * len(names)
    return [
        await queues.create_queue(svc, admin, org.project.id, n, priority=p)
        for n, p in zip(names, priorities, strict=True)
    ]


async def _claim_counts(svc, admin, worker, by_queue, claims: int, limit: int) -> Counter[str]:
    counts: Counter[str] = Counter()
    for _ in range(claims):
        for c in await executions.claim(svc, admin, worker.id, None, limit):
            counts[by_queue[c.job.queue_id]] += 1
    return counts


async def test_weights_split_claims_three_to_one(svc, org, admin) -> None:
    default, emails = await _queues(svc, admin, org, "bulk", "emails")
    worker = await make_worker(svc, admin, default.id, emails.id, weights=[1, 3])
    await enqueue(svc, admin, default.id, n=200)
    await enqueue(svc, admin, emails.id, n=200)
    names = {default.id: "default", emails.id: "emails"}
    one_by_one = await _claim_counts(svc, admin, worker, names, claims=80, limit=1)
    assert one_by_one == {"emails": 60, "default": 20}  # exactly 3:1 while both have work
    batched = await _claim_counts(svc, admin, worker, names, claims=10, limit=7)
    assert abs(batched["emails"] / batched["default"] - 3) <= 0.3, batched


async def test_a_queue_alone_with_work_gets_every_claim(svc, org, admin) -> None:
    default, emails = await _queues(svc, admin, org, "bulk", "emails")
    worker = await make_worker(svc, admin, default.id, emails.id, weights=[1, 3])
    await enqueue(svc, admin, default.id, n=10)
    got = await executions.claim(svc, admin, worker.id, None, 10)
    assert len(got) == 10 and {c.job.queue_id for c in got} == {default.id}
    # emails gets work after default ran alone: no burst for default's history either way
    await enqueue(svc, admin, default.id, n=40)
    await enqueue(svc, admin, emails.id, n=40)
    names = {default.id: "default", emails.id: "emails"}
    assert await _claim_counts(svc, admin, worker, names, claims=8, limit=1) == {
        "emails": 6,
        "default": 2,
    }


async def test_a_short_queue_leaves_its_share_to_the_others(svc, org, admin) -> None:
    default, emails = await _queues(svc, admin, org, "bulk", "emails")
    worker = await make_worker(svc, admin, default.id, emails.id, weights=[1, 3])
    await enqueue(svc, admin, default.id, n=20)
    await enqueue(svc, admin, emails.id, n=2)
    got = await executions.claim(svc, admin, worker.id, None, 8)
    counts = Counter(c.job.queue_id for c in got)
    assert counts == {emails.id: 2, default.id: 6}


async def test_equal_weights_keep_queue_priority_order(svc, org, admin) -> None:
    low, high = await _queues(svc, admin, org, "low", "high", priorities=[1, 9])
    worker = await make_worker(svc, admin, low.id, high.id)
    await enqueue(svc, admin, low.id, n=3)
    await enqueue(svc, admin, high.id, n=3)
    got = await executions.claim(svc, admin, worker.id, None, 4)
    assert [c.job.queue_id for c in got] == [high.id] * 3 + [low.id]


async def test_queue_priority_breaks_ties_and_classes_sum_their_queues(svc, org, admin) -> None:
    # a:3 and b:3 form one class of share 6 against c:1; within it, queue priority
    a, b, c = await _queues(svc, admin, org, "a", "b", "c", priorities=[2, 8, 5])
    worker = await make_worker(svc, admin, a.id, b.id, c.id, weights=[3, 3, 1])
    for q in (a, b, c):
        await enqueue(svc, admin, q.id, n=100)
    names = {a.id: "a", b.id: "b", c.id: "c"}
    counts = await _claim_counts(svc, admin, worker, names, claims=70, limit=1)
    assert counts == {"b": 60, "c": 10}  # b's priority wins within the class while it has work


async def test_a_backlog_claim_is_never_empty_while_a_queue_has_work(svc, org, admin) -> None:
    # the worker channel claims unprobed while its claims come back full: every queue is
    # then taken to have work, the empty one too; its share must go to the other
    bulk, emails = await _queues(svc, admin, org, "bulk", "emails")
    worker = await make_worker(svc, admin, bulk.id, emails.id, weights=[1, 3])
    await enqueue(svc, admin, emails.id, n=300)
    backlog, sizes = False, []
    for _ in range(30):
        got = await executions.claim(svc, admin, worker.id, None, 10, probe=not backlog)
        sizes.append(len(got))
        backlog = len(got) == 10
    assert sizes == [10] * 30


async def test_an_empty_queue_saves_no_credit_for_later(svc, org, admin) -> None:
    bulk, emails = await _queues(svc, admin, org, "bulk", "emails")
    worker = await make_worker(svc, admin, bulk.id, emails.id, weights=[1, 3])
    await enqueue(svc, admin, emails.id, n=120)
    for probe in (True, False, False, False):  # bulk, empty, is given claims it cannot use
        assert len(await executions.claim(svc, admin, worker.id, None, 10, probe=probe)) == 10
    await enqueue(svc, admin, bulk.id, n=100)
    names = {bulk.id: "bulk", emails.id: "emails"}
    counts = await _claim_counts(svc, admin, worker, names, claims=16, limit=1)
    assert abs(counts["emails"] - 12) <= 1, counts  # 3:1 at once, no burst of bulk
