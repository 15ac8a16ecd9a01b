"""The workflow retention index's predicate is the domain's set of ended workflows, the
same in the tables and in the migration that made the index."""

import importlib.util
from pathlib import Path

import taskforge.persistence
from taskforge.domain.workflows import TERMINAL_WORKFLOW
from taskforge.persistence.tables import WORKFLOW_EXPIRABLE_PREDICATE, status_in

MIGRATION = (
    Path(taskforge.persistence.__file__).parent
    / "migrations"
    / "versions"
    / "0017_workflow_retention.py"
)


def test_expirable_workflows_are_the_ended_ones_not_yet_pruned() -> None:
    expected = f"{status_in(TERMINAL_WORKFLOW)} AND pruned_at IS NULL"
    assert expected == WORKFLOW_EXPIRABLE_PREDICATE
    spec = importlib.util.spec_from_file_location("migration_0017", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.EXPIRABLE == WORKFLOW_EXPIRABLE_PREDICATE
