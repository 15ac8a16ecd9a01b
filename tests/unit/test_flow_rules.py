"""Flow-control rules: key expressions over payloads, bounds, strategies."""

from __future__ import annotations

import pytest

from taskforge.domain.errors import InvalidInput
from taskforge.domain.flow import Concurrency, ConcurrencyStrategy, Debounce, Key, RateLimit


def test_key_reads_payload_paths() -> None:
    payload = {"customer_id": "c-1", "order": {"lines": [{"sku": 7}]}}
    assert Key("payload.customer_id").value(payload) == "c-1"
    assert Key("customer_id").value(payload) == "c-1"  # a bare name is a payload key
    assert Key('payload["order"].lines[0].sku').value(payload) == "7"
    assert Key("payload.order").value(payload) == '{"lines": [{"sku": 7}]}'


def test_missing_paths_and_no_key_share_the_null_group() -> None:
    assert Key("payload.nope.deeper").value({"a": 1}) == "null"
    assert Key("payload.a").value(None) == "null"
    assert Key(None).value({"a": 1}) == "null"


def test_payload_root_has_no_status() -> None:
    # in a dependency condition "status" is the parent's status; over a payload it is a key
    assert Key("status").value({"status": "gold"}) == "gold"
    assert Key("payload.status.tier").value({"status": {"tier": 2}}) == "2"


def test_long_values_are_cut() -> None:
    assert len(Key("payload.s").value({"s": "x" * 5000})) == 255


@pytest.mark.parametrize(
    ("source", "field"),
    [
        ("payload.a +", "concurrency.key"),
        ("__import__('os')", "concurrency.key"),
        ("  ", "concurrency.key"),
    ],
)
def test_bad_key_expressions_name_their_field(source: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Concurrency.parse(source, 1)
    assert caught.value.details["field"] == field


@pytest.mark.parametrize("value", [0, -1, 2_000_000])
def test_limits_are_bounded(value: int) -> None:
    with pytest.raises(InvalidInput, match=r"concurrency\.max"):
        Concurrency.parse(None, value)
    with pytest.raises(InvalidInput, match=r"rateLimit\.limit"):
        RateLimit.parse(None, value, 60)
    with pytest.raises(InvalidInput, match=r"rateLimit\.period"):
        RateLimit.parse(None, 1, value if value != 2_000_000 else 10**9)
    with pytest.raises(InvalidInput, match=r"debounce\.period"):
        Debounce.parse(None, value if value != 2_000_000 else 10**9)


def test_unknown_strategy_is_refused() -> None:
    with pytest.raises(InvalidInput, match="strategy"):
        Concurrency.parse(None, 1, "NEWEST")


def test_settings_round_trip() -> None:
    rule = Concurrency.parse("payload.c", 2, ConcurrencyStrategy.CANCEL_IN_PROGRESS)
    assert Concurrency.from_json(rule.to_json()) == rule
    limit = RateLimit.parse("payload.c", 10, 60)
    assert RateLimit.from_json(limit.to_json()) == limit
    assert Concurrency.from_json(None) is None and RateLimit.from_json({}) is None
