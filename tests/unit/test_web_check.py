"""scripts/web-check's ``unchanged``: a generated path passes only when the work tree
holds what HEAD has for it (edited, staged or new files fail it)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "scripts" / "web-check"


def unchanged_function() -> str:
    """The shell function, as the script defines it."""
    found = re.search(r"^unchanged\(\) \{.*?^\}$", SCRIPT.read_text(), re.S | re.M)
    assert found, "web-check defines unchanged()"
    return found.group(0)


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "ci@example.com")
    git(tmp_path, "config", "user.name", "ci")
    (tmp_path / "gen").mkdir()
    (tmp_path / "gen" / "a.ts").write_text("one\n")
    git(tmp_path, "add", "gen")
    git(tmp_path, "commit", "-qm", "generated")
    return tmp_path


def unchanged(repo: Path) -> bool:
    script = f"set -euo pipefail\n{unchanged_function()}\nunchanged gen"
    return subprocess.run(["bash", "-c", script], cwd=repo, capture_output=True).returncode == 0


def test_committed_files_pass(repo: Path) -> None:
    assert unchanged(repo)


def test_an_edited_file_fails(repo: Path) -> None:
    (repo / "gen" / "a.ts").write_text("two\n")
    assert not unchanged(repo)


def test_a_staged_stale_file_fails(repo: Path) -> None:
    (repo / "gen" / "a.ts").write_text("two\n")
    git(repo, "add", "gen")
    assert not unchanged(repo)


def test_a_new_file_fails(repo: Path) -> None:
    (repo / "gen" / "b.ts").write_text("new\n")
    assert not unchanged(repo)
    git(repo, "add", "gen")
    assert not unchanged(repo)
