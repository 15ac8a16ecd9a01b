"""The layering rules, checked on the source tree: only persistence/ (and config.py,
which names the default SQLite URL) knows which database it talks to."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "taskforge"
ALLOWED = {PACKAGE / "config.py"}

FORBIDDEN = [
    re.compile(r"\bdriver_connection\b"),
    re.compile(r"\basyncpg\b"),
    re.compile(r"\bdialects?\b"),
    # a check of the database kind: == "sqlite", != 'postgresql', startswith("postgres") …
    re.compile(r"""(==|!=|\bin\b|startswith\()\s*\(?\s*["'](sqlite|postgres(ql)?)"""),
    re.compile(r"""["'](sqlite|postgres(ql)?)["']\s*(==|!=|\bin\b)"""),
]


def _modules(under: Path) -> list[Path]:
    return sorted(
        p for p in under.rglob("*.py") if "persistence" not in p.relative_to(PACKAGE).parts
    )


def test_only_persistence_knows_the_database() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}"
        for path in _modules(PACKAGE)
        if path not in ALLOWED
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if any(p.search(line) for p in FORBIDDEN)
    ]
    assert offenders == []


def test_the_scan_sees_a_database_check() -> None:
    """The patterns catch what they are meant to (a scan that matches nothing passes)."""
    samples = [
        'if db.dialect.name == "sqlite":',
        "driver = await driver_connection(session)",
        "import asyncpg",
        "if backend != 'postgresql':",
    ]
    assert all(any(p.search(s) for p in FORBIDDEN) for s in samples)
