"""Debounce's pure rules: when a debounced job becomes eligible, how an enqueue's rows
are prepared, and ``nextEligibleAt``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from taskforge.domain.enums import JobStatus
from taskforge.domain.flow import Debounce
from taskforge.domain.jobs import next_eligible_at
from taskforge.persistence.tables import (
    DEBOUNCE_PREDICATE,
    WAITING_PREDICATE,
    Job,
    status_in,
)
from taskforge.services.debounce import prepare

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
MIGRATIONS = Path(__file__).parents[2] / "taskforge" / "persistence" / "migrations" / "versions"


def test_a_debounced_job_waits_a_period_or_its_own_later_start() -> None:
    rule = Debounce.parse("payload.c", 90)
    assert rule.eligible_at(NOW, None) == NOW + timedelta(seconds=90)
    assert rule.eligible_at(NOW, NOW + timedelta(seconds=5)) == NOW + timedelta(seconds=90)
    assert rule.eligible_at(NOW, NOW - timedelta(days=1)) == NOW + timedelta(seconds=90)
    assert rule.eligible_at(NOW, NOW + timedelta(hours=2)) == NOW + timedelta(hours=2)


@dataclass(frozen=True)
class Spec:
    debounce: Debounce | None


def test_prepare_delays_only_debounced_rows_and_keys_them_by_index() -> None:
    rule = Debounce.parse("payload.c", 10)
    rows: list[dict[str, Any]] = [
        {"payload": {"c": "a"}, "scheduled_for": None, "status": JobStatus.PENDING},
        {"payload": {"c": 1}, "scheduled_for": None, "status": JobStatus.PENDING},
        {"payload": {}, "scheduled_for": None, "status": JobStatus.PENDING},
    ]
    keys = prepare([Spec(rule), Spec(None), Spec(rule)], rows, NOW)
    assert keys == {0: "a", 2: "null"}
    assert [(r["status"], r["scheduled_for"]) for r in rows] == [
        (JobStatus.SCHEDULED, NOW + timedelta(seconds=10)),
        (JobStatus.PENDING, None),
        (JobStatus.SCHEDULED, NOW + timedelta(seconds=10)),
    ]
    assert prepare([Spec(None)], rows[1:2], NOW) == {}


def test_one_group_without_a_key() -> None:
    rows: list[dict[str, Any]] = [
        {"payload": {"c": n}, "scheduled_for": None, "status": JobStatus.PENDING} for n in (1, 2)
    ]
    assert prepare([Spec(Debounce.parse(None, 5))] * 2, rows, NOW) == {0: "null", 1: "null"}


@pytest.mark.parametrize("status", list(JobStatus))
def test_next_eligible_at_is_the_scheduled_time_of_a_scheduled_job(status: JobStatus) -> None:
    at = NOW + timedelta(minutes=5)
    expected = at if status is JobStatus.SCHEDULED else None
    assert next_eligible_at(status, at) == expected
    assert next_eligible_at(status, None) is None


def test_the_index_states_the_waiting_predicate_the_lookup_states() -> None:
    assert status_in({JobStatus.PENDING, JobStatus.SCHEDULED}) == WAITING_PREDICATE
    assert f"debounce_key IS NOT NULL AND {WAITING_PREDICATE}" == DEBOUNCE_PREDICATE
    [index] = [i for i in Job.__table__.indexes if i.name == "idx_jobs_debounce"]
    for dialect in ("postgresql", "sqlite"):
        assert str(index.dialect_options[dialect]["where"]) == DEBOUNCE_PREDICATE
    migration = MIGRATIONS / "0028_job_debounce_key.py"
    assert f'WAITING = "{DEBOUNCE_PREDICATE}"' in migration.read_text()
