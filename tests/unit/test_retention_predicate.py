"""The retention index's predicate is the domain's set of finished statuses."""

from taskforge.domain.jobs import TERMINAL
from taskforge.persistence.tables import EXPIRABLE_PREDICATE, FINISHED_PREDICATE, status_in


def test_finished_predicate_is_the_terminal_set() -> None:
    assert status_in(TERMINAL) == FINISHED_PREDICATE
    assert f"{status_in(TERMINAL)} AND workflow_id IS NULL" == EXPIRABLE_PREDICATE
