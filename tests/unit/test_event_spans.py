"""Outbox spans: consecutive events of one tenant, topic and type share a row, and a
row's events get back their own payloads and consecutive ids."""

from __future__ import annotations

import uuid
from typing import Any

from taskforge.domain.events import MAX_SPAN, expand, spans

ORG, OTHER = uuid.uuid4(), uuid.uuid4()


def ev(n: int, type_: str = "job.status_changed", org: uuid.UUID = ORG) -> dict[str, Any]:
    return {"organization_id": org, "topic": "jobs", "type": type_, "payload": {"n": n}}


def test_runs_of_one_tenant_topic_and_type_share_a_row_in_order() -> None:
    events = [ev(1), ev(2), ev(3, "jobs.released"), ev(4), ev(5, org=OTHER), ev(6)]
    rows = spans(events)
    assert [(r["type"], r["organization_id"], r["span"]) for r in rows] == [
        ("job.status_changed", ORG, 2),
        ("jobs.released", ORG, 1),
        ("job.status_changed", ORG, 1),
        ("job.status_changed", OTHER, 1),
        ("job.status_changed", ORG, 1),
    ]
    assert rows[0]["payload"] == [{"n": 1}, {"n": 2}]
    assert rows[1]["payload"] == {"n": 3}  # a lone event keeps its own payload


def test_a_row_holds_at_most_max_span_events() -> None:
    rows = spans([ev(i) for i in range(MAX_SPAN * 2 + 1)])
    assert [r["span"] for r in rows] == [MAX_SPAN, MAX_SPAN, 1]
    assert [p["n"] for r in rows[:2] for p in r["payload"]] == list(range(MAX_SPAN * 2))


def test_a_row_expands_to_its_events_with_consecutive_ids() -> None:
    row = {"seq": 7, "span": 3, "organizationId": "o", "type": "t", "payload": [1, 2, 3]}
    assert [(e["seq"], e["payload"]) for e in expand(row)] == [(7, 1), (8, 2), (9, 3)]
    assert all("span" not in e and e["type"] == "t" for e in expand(dict(row)))
    single = {"seq": 4, "span": 1, "payload": {"a": 1}}
    assert expand(single) == [{"seq": 4, "payload": {"a": 1}}]


def test_events_of_one_workflow_state_store_it_once_and_expand_whole() -> None:
    state = {"status": "RUNNING", "stats": {"total": 3, "completed": 1}}
    other = {"status": "RUNNING", "stats": {"total": 9, "completed": 0}}

    def job(n: int, flow: dict[str, Any]) -> dict[str, Any]:
        return {**ev(n), "payload": {"jobId": str(n), "status": "SUCCEEDED", "workflow": flow}}

    same = [job(1, state), job(2, dict(state))]
    mixed = [job(3, state), job(4, other)]
    (packed,), (listed,) = spans(same), spans(mixed)
    assert packed["payload"] == {
        "workflow": state,
        "events": [{"jobId": "1", "status": "SUCCEEDED"}, {"jobId": "2", "status": "SUCCEEDED"}],
    }
    assert isinstance(listed["payload"], list)  # different states stay with each event
    for row, given in ((packed, same), (listed, mixed)):
        stored = {"seq": 10, "span": row["span"], "payload": row["payload"]}
        assert [(e["seq"], e["payload"]) for e in expand(stored)] == [
            (10, given[0]["payload"]),
            (11, given[1]["payload"]),
        ]
