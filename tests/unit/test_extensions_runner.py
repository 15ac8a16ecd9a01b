"""The schema's extension runner asks only the extensions that define a per-result hook,
with the same outcome as strawberry's: their results, their stream-result hooks."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from strawberry.extensions import SchemaExtension

from taskforge.config import Limits
from taskforge.schema.roots import build_schema
from taskforge.schema.runner import LeanExtensionsRunner


class Plain(SchemaExtension):
    pass


class Reporting(SchemaExtension):
    def get_results(self) -> dict[str, Any]:
        return {"cost": 3}


class AsyncReporting(SchemaExtension):
    async def get_results(self) -> dict[str, Any]:  # type: ignore[override]
        return {"later": True}


class Watching(SchemaExtension):
    seen: list[Any] = []

    def on_stream_result(self, result: Any) -> Iterator[None]:  # type: ignore[override]
        Watching.seen.append(result)
        yield


def runner(*extensions: SchemaExtension) -> LeanExtensionsRunner:
    return LeanExtensionsRunner(execution_context=None, extensions=list(extensions))  # type: ignore[arg-type]


async def test_results_of_the_extensions_that_have_some(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[SchemaExtension] = []
    base = SchemaExtension.get_results

    def counted(self: SchemaExtension) -> Any:
        asked.append(self)
        return base(self)

    monkeypatch.setattr(SchemaExtension, "get_results", counted)
    ctx: Any = SimpleNamespace(extensions_results={"fromContext": 1})
    lean = runner(Plain(), Reporting(), AsyncReporting(), Plain())
    for _ in range(2):
        got = await lean.get_extensions_results(ctx)
        assert got == {"cost": 3, "later": True, "fromContext": 1}
    assert asked == []  # the extensions without results are not asked, every result
    assert await runner(Plain()).get_extensions_results(ctx) == {"fromContext": 1}


async def test_stream_result_hooks_run_only_where_defined() -> None:
    Watching.seen.clear()
    async with runner(Plain(), Watching()).on_stream_result("a result"):  # type: ignore[arg-type]
        pass
    assert Watching.seen == ["a result"]
    quiet = runner(Plain(), Reporting())
    first, second = quiet.on_stream_result("x"), quiet.on_stream_result("y")  # type: ignore[arg-type]
    assert first is second  # nothing built per result
    async with first:
        pass


def test_the_schema_runs_its_operations_with_it() -> None:
    schema = build_schema(Limits(), introspection=False)
    made = schema.create_extensions_runner(None, schema.get_extensions())  # type: ignore[arg-type]
    assert isinstance(made, LeanExtensionsRunner)
