from pathlib import Path

from taskforge.config import Limits
from taskforge.schema.roots import build_schema

SNAPSHOT = Path(__file__).parents[2] / "schema.graphql"


def test_schema_graphql_is_up_to_date() -> None:
    """Regenerate with: taskforge export-schema > schema.graphql"""
    assert SNAPSHOT.read_text() == build_schema(Limits()).as_str() + "\n"
