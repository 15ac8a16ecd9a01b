"""The GraphQL layer reads records only: ``schema/`` and ``resolvers/`` import nothing
from ``taskforge.persistence``, and their modules import each other without a cycle (the
context and the loaders used to import each other)."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[2] / "taskforge"


def _imports(path: Path) -> list[tuple[str, bool]]:
    """Every module a file imports, with whether the import runs (not TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(), str(path))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    found: list[tuple[str, bool]] = []
    for node in ast.walk(tree):
        runs = id(node) not in typing_only
        if isinstance(node, ast.Import):
            found += [(alias.name, runs) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, runs))
            found += [(f"{node.module}.{alias.name}", runs) for alias in node.names]
    return found


def _sources(*packages: str) -> list[Path]:
    return sorted(p for name in packages for p in (PACKAGE / name).rglob("*.py"))


@pytest.mark.parametrize("path", _sources("schema", "resolvers"), ids=lambda p: p.name)
def test_graphql_layer_imports_nothing_from_persistence(path: Path) -> None:
    bad = [
        m
        for m, _ in _imports(path)
        if m == "taskforge.persistence" or m.startswith("taskforge.persistence.")
    ]
    assert bad == [], f"{path.relative_to(PACKAGE)} imports {bad}"


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    """Imports among schema/ and resolvers/ modules, of either kind (a TYPE_CHECKING one
    included: a type-only cycle still ties two modules together)."""
    modules = {_module(p): p for p in _sources("schema", "resolvers")}
    return {
        name: {t for t, _ in _imports(path) if t in modules and t != name}
        for name, path in modules.items()
    }


def _reaches(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph[start])
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph[node])
    return seen


def test_no_resolver_module_is_on_an_import_cycle() -> None:
    """The context and the loaders used to import each other; and no resolver module
    is imported back by what it imports (GraphQL types naming each other lazily are
    the schema's own graph, not a layering cycle)."""
    graph = _graph()
    assert "taskforge.resolvers.loaders" in graph["taskforge.resolvers.context"]
    on_cycle = [m for m in graph if m.startswith("taskforge.resolvers") and m in _reaches(graph, m)]
    assert on_cycle == []


def test_the_scan_sees_persistence_imports(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "from taskforge.persistence import tables\n"
        "import taskforge.persistence.repos.jobs\n"
        "if TYPE_CHECKING:\n"
        "    from taskforge.resolvers.context import Context\n"
    )
    found = _imports(source)
    assert ("taskforge.persistence", True) in found
    assert ("taskforge.persistence.repos.jobs", True) in found
    assert ("taskforge.resolvers.context", False) in found


def test_the_graphql_layer_imports_and_no_old_context_module_is_left() -> None:
    import taskforge.resolvers.context
    import taskforge.schema.roots  # noqa: F401

    assert not (PACKAGE / "schema" / "context.py").exists()
