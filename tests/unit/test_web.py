"""The shipped GraphiQL assets (present, as recorded, licensed, packaged, small) and the
browser-facing settings."""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import re
import tomllib

import pytest
from pydantic import ValidationError

from taskforge.config import Settings
from taskforge.web.graphiql import HERE, STATIC

VENDOR = STATIC / "vendor"
ROOT = HERE.parent.parent


def test_vendored_files_are_the_recorded_ones_with_licenses() -> None:
    versions = json.loads((VENDOR / "versions.json").read_text())
    assert {"react", "react-dom", "graphiql", "@graphiql/plugin-explorer"} <= set(versions)
    for entry in versions.values():
        assert re.fullmatch(r"\d+\.\d+\.\d+", entry["version"])
        for name, integrity in entry["files"].items():
            digest = hashlib.sha384((VENDOR / name).read_bytes()).digest()
            assert integrity == "sha384-" + base64.b64encode(digest).decode(), name
        assert "Permission is hereby granted" in (VENDOR / entry["license"]).read_text()


def test_the_page_loads_only_shipped_files() -> None:
    page = (HERE / "graphiql.html").read_text()
    refs = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert refs
    for ref in refs:
        if ref.startswith("data:"):
            continue
        assert ref.startswith("$static/"), ref
        assert (STATIC / ref.removeprefix("$static/")).is_file(), ref


def test_assets_are_package_data_and_small() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = pyproject["tool"]["setuptools"]["package-data"]["taskforge.web"]
    shipped = [
        p.relative_to(HERE)
        for p in HERE.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    ]
    for path in shipped:
        assert any(fnmatch.fnmatch(str(path), g) for g in globs), f"{path} is not package data"
    assert sum((HERE / p).stat().st_size for p in shipped) < 5_000_000


def test_cors_origins_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TASKFORGE_CORS_ORIGINS", raising=False)
    assert Settings().cors_origins == []
    monkeypatch.setenv("TASKFORGE_CORS_ORIGINS", "https://App.example.com, http://localhost:3000/")
    assert Settings().cors_origins == ["https://app.example.com", "http://localhost:3000"]
    monkeypatch.setenv("TASKFORGE_CORS_ORIGINS", '["*"]')
    assert Settings().cors_origins == ["*"]
    monkeypatch.setenv("TASKFORGE_CORS_ORIGINS", "https://app.example.com:443")
    assert Settings().cors_origins == ["https://app.example.com"]  # as browsers send it
    for wrong in ("https://app.example.com/ui", "app.example.com", "null", "ftp://x.example"):
        monkeypatch.setenv("TASKFORGE_CORS_ORIGINS", wrong)
        with pytest.raises(ValidationError, match="is not an origin"):
            Settings()


def test_switches_default_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TASKFORGE_GRAPHIQL", raising=False)
    monkeypatch.delenv("TASKFORGE_INTROSPECTION", raising=False)
    assert Settings().graphiql and Settings().introspection
    monkeypatch.setenv("TASKFORGE_GRAPHIQL", "false")
    monkeypatch.setenv("TASKFORGE_INTROSPECTION", "0")
    assert not Settings().graphiql
    assert not Settings().introspection
