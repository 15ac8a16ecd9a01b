"""Batched observations read exactly as one observation at a time would."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from taskforge.metrics.jobs import DURATION_BUCKETS, observe_many


def test_observe_many_matches_observe() -> None:
    amounts = [0.0, 0.005, 0.0051, 0.3, 2.5, 7, 3600, 5000, -1.0, 0.01, 0.01]
    one, many = CollectorRegistry(), CollectorRegistry()
    a = Histogram("h", "h", ("q",), buckets=DURATION_BUCKETS, registry=one)
    b = Histogram("h", "h", ("q",), buckets=DURATION_BUCKETS, registry=many)
    for amount in amounts:
        a.labels("x").observe(max(amount, 0.0))
    observe_many(b.labels("x"), amounts[:4])
    observe_many(b.labels("x"), amounts[4:])

    def without_created(text: bytes) -> list[str]:
        return [line for line in text.decode().splitlines() if "_created" not in line]

    assert without_created(generate_latest(one)) == without_created(generate_latest(many))
    assert 'h_bucket{le="0.005",q="x"} 3.0' in generate_latest(many).decode()
