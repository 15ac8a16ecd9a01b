"""The store's literal status predicates say what the domain's source sets say."""

from __future__ import annotations

from taskforge.domain import jobs, transitions
from taskforge.domain.enums import ExecutionStatus, JobStatus
from taskforge.persistence.postgres import dependencies as pg_dependencies
from taskforge.persistence.postgres import executions as pg_executions
from taskforge.persistence.tables import DUE_PREDICATE, READY_PREDICATE, Job, status_in


def test_status_in_is_the_literal_form_index_predicates_use() -> None:
    assert status_in({JobStatus.SCHEDULED}) == "status = 'SCHEDULED'"
    assert status_in([JobStatus.SCHEDULED, JobStatus.PENDING], "j.status") == (
        "j.status IN ('PENDING', 'SCHEDULED')"
    )


def test_the_ready_and_due_predicates_are_the_claim_and_promotion_sources() -> None:
    status, dependencies = READY_PREDICATE.split(" AND ", 1)
    assert status == status_in(transitions.CLAIMABLE)
    assert dependencies.startswith("dependency_status")
    assert status_in(transitions.DUE) == DUE_PREDICATE
    # and the partial indexes state them, so that both stores' claims use them
    where = {i.name: str(i.dialect_options["postgresql"]["where"]) for i in Job.__table__.indexes}
    assert where["idx_jobs_ready"] == READY_PREDICATE
    assert where["idx_jobs_ready_typed"] == READY_PREDICATE
    ready = ", ".join(repr(str(d)) for d in sorted(jobs.READY_DEPENDENCIES))
    assert dependencies == f"dependency_status IN ({ready})"
    assert where["idx_jobs_due"] == DUE_PREDICATE


def test_postgres_statements_guard_with_the_domain_sources() -> None:
    assert f"AND {READY_PREDICATE}" in pg_executions.CLAIM_ONE_PG
    assert f"AND {READY_PREDICATE}" in pg_executions.CLAIM_ANY_PG
    assert f"SET status = '{JobStatus.PROCESSING}'" in pg_executions.CLAIM_ONE_PG
    for typed in pg_executions.CLAIM_TYPED_PG.values():
        assert f"AND {READY_PREDICATE}" in typed
    assert f"job_executions.{status_in(transitions.STARTED)}" in pg_executions.SUCCEED_PG
    assert f"jobs.{status_in(transitions.RUNNING)}" in pg_executions.SUCCEED_PG
    assert status_in(transitions.NOT_STARTED) in pg_dependencies.LOCK_CHILDREN_PG


def test_the_source_sets_are_within_their_tables() -> None:
    assert transitions.JOBS.sources(JobStatus.PENDING) >= transitions.DUE
    assert transitions.JOBS.sources(JobStatus.CANCELLED) >= transitions.NOT_STARTED
    assert transitions.JOBS.sources(JobStatus.SKIPPED) >= transitions.NOT_STARTED
    assert transitions.EXECUTIONS.sources(ExecutionStatus.CANCELLED) == transitions.OPEN
