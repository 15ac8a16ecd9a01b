"""The removal plan of a deleted organization covers every table and deletes children
before their parents (so batches never lean on a cascade of unbounded size)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, Uuid

from taskforge.persistence.common.organizations import LINKS, PLAN, removal_plan, uncovered
from taskforge.persistence.tables import Base


def test_every_table_is_covered() -> None:
    assert uncovered() == []


def test_children_go_before_their_parents() -> None:
    first = {}
    for i, step in enumerate(PLAN):
        first.setdefault(step.table.name, i)
    for step in PLAN:
        for fk in step.table.foreign_keys:
            parent = fk.column.table.name
            if parent in first and parent != step.table.name:
                assert first[step.table.name] < first[parent], (step.table.name, parent)
    for name, (_, parent) in LINKS.items():  # links without a foreign key, likewise
        assert first[name] < first[parent], (name, parent)
    # no foreign key, but the jobs' trigger writes counts as jobs go: after jobs
    assert first["jobs"] < first["workflow_job_counts"] < first["workflows"]


def test_unindexed_organization_columns_go_through_an_indexed_parent() -> None:
    steps = {(s.table.name, s.column) for s in PLAN}
    assert ("job_executions", "job_id") in steps  # organization_id has no index there
    assert ("job_executions", "organization_id") in steps  # then whatever is left
    assert ("execution_logs", "execution_id") in steps


def test_a_new_table_is_covered_without_a_change() -> None:
    metadata = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    Table(
        "referrals",
        metadata,
        Column("id", Uuid, primary_key=True),
        Column("organization_id", Uuid, ForeignKey("organizations.id"), index=True),
    )
    Table(
        "referral_uses",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("referral_id", Uuid, ForeignKey("referrals.id"), index=True),
        Column("note", String(10)),
    )
    assert uncovered(metadata) == []
    names = [s.table.name for s in removal_plan(metadata)]
    assert names.index("referral_uses") < names.index("referrals")
