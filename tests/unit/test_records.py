"""Records: one constructor from every row shape, frozen, and only the declared fields."""

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, NamedTuple

import pytest

from taskforge.domain import dag, records
from taskforge.domain.enums import DependencyStatus, JobStatus, TriggerRule

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _job_values() -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "organization_id": uuid.uuid4(),
        "project_id": uuid.uuid4(),
        "queue_id": uuid.uuid4(),
        "workflow_id": None,
        "name": "step",
        "job_type": "email",
        "payload": {"to": "a@b.c"},
        "status": JobStatus.PENDING,
        "status_reason": None,
        "dependency_status": DependencyStatus.NONE,
        "priority": 5,
        "scheduled_for": None,
        "attempts": 0,
        "max_attempts": None,
        "output": None,
        "error": None,
        "created_at": NOW,
        "updated_at": NOW,
        "started_at": None,
        "finished_at": None,
        "concurrency_key": None,
        "rate_key": None,
        "trigger_rule": TriggerRule.ALL_SUCCESS,
    }


def test_a_record_reads_any_attribute_row_and_ignores_extra_columns() -> None:
    values = _job_values()
    row = SimpleNamespace(**values, password_hash="secret-ish", extra=1)
    job = records.Job.of(row)
    # deduplicated is no column: what one enqueue response says (transient, false)
    assert dataclasses.asdict(job) == {**values, "deduplicated": False}
    assert records.Job.from_mapping({**values, "extra": 1}) == job
    assert records.Job.all([row, row]) == [job, job]


def test_a_record_reads_named_tuple_rows_like_sqlalchemy_rows() -> None:
    values = _job_values()
    row = NamedTuple("Row", [(k, Any) for k in values])(**values)  # type: ignore[misc]
    assert records.Job.of(row) == records.Job.from_mapping(values)


def test_records_are_frozen_and_slotted() -> None:
    job = records.Job.from_mapping(_job_values())
    with pytest.raises(dataclasses.FrozenInstanceError):
        job.status = JobStatus.FAILED  # type: ignore[misc]
    assert not hasattr(job, "__dict__")


def test_a_missing_column_is_an_error_not_a_none() -> None:
    values = _job_values()
    del values["status"]
    with pytest.raises(AttributeError):
        records.Job.of(SimpleNamespace(**values))


def test_a_transient_field_is_never_read_from_a_row_and_is_set_by_replace() -> None:
    values = _job_values()
    row = SimpleNamespace(**values, deduplicated=True)  # even a row that has one
    job = records.Job.of(row)
    assert job.deduplicated is False
    assert "deduplicated" not in records.Job._names
    again = dataclasses.replace(job, deduplicated=True)
    assert again.deduplicated is True and again.id == job.id
    wf = records.Workflow.without_definition(
        SimpleNamespace(**{n: None for n in records.Workflow._names})
    )
    assert wf.deduplicated is False and wf.definition is records.UNREAD


def test_transient_fields_must_come_last() -> None:
    class Bad(records.Record):
        flag: bool = records.transient(False)
        name: str = "x"

    with pytest.raises(TypeError, match="transient fields must follow"):
        records.record(Bad)


def test_user_and_api_key_records_carry_no_secret() -> None:
    assert "password_hash" not in records.User._names
    assert "key_hash" not in records.ApiKey._names


def test_critical_path_weights_are_run_times_or_one() -> None:
    done = SimpleNamespace(id="a", run_seconds=dag.ran_seconds(NOW, NOW + timedelta(seconds=7.5)))
    running = SimpleNamespace(id="b", run_seconds=dag.ran_seconds(NOW, None))
    waiting = SimpleNamespace(id=uuid.UUID(int=3), run_seconds=dag.ran_seconds(None, None))
    assert dag.run_time_weights([done, running, waiting]) == {
        "a": 7.5,
        "b": 1.0,
        str(uuid.UUID(int=3)): 1.0,
    }
    assert dag.run_time(None, NOW) == 1.0
    assert dag.run_time(NOW, NOW + timedelta(seconds=2)) == 2.0


def test_critical_path_follows_the_run_time_weights_of_graph_rows() -> None:
    def job(name: str, seconds: float | None) -> records.GraphJob:
        return records.GraphJob(name, name, "t", "SUCCEEDED", seconds)

    # a -> b -> d and a -> c -> d: c ran longest, so the path goes through c
    jobs = [job("a", 1), job("b", 2), job("c", 30), job("d", None)]
    pairs = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]
    weights = dag.run_time_weights(jobs)
    assert dag.critical_path([j.id for j in jobs], pairs, weights) == ["a", "c", "d"]
