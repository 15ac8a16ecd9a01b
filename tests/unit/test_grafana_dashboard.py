"""The shipped Grafana dashboard reads only series the server and the worker define."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import CollectorRegistry

from taskforge.metrics.server import ServerMetrics
from taskforge.metrics.worker import WorkerMetrics

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "taskforge.json"
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def defined(registry: CollectorRegistry) -> set[str]:
    """The sample names a registry's families expose (labelled ones included, which
    collect no samples before their first child)."""
    return {
        family.name + suffix for family in registry.collect() for suffix in SUFFIXES[family.type]
    }


def exprs(panels: list[dict]) -> list[str]:
    found = []
    for panel in panels:
        found += [t["expr"] for t in panel.get("targets", [])]
        found += exprs(panel.get("panels", []))
    return found


def test_every_expression_reads_defined_series() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    known = defined(ServerMetrics().registry) | defined(WorkerMetrics(["t"]).registry)
    queries = exprs(dashboard["panels"])
    assert len(queries) >= 20
    used = set()
    for expr in queries:
        names = set(re.findall(r"\btaskforge_[a-z_]+", expr))
        assert names, expr
        assert names <= known, (expr, names - known)
        used |= names
    # and it shows every family at least once
    families = {re.sub(r"(_total|_bucket|_count|_sum)$", "", n) for n in known}
    shown = {re.sub(r"(_total|_bucket|_count|_sum)$", "", n) for n in used}
    assert families <= shown, families - shown


def test_the_series_definitions_are_checked() -> None:
    # a name the app does not define is caught (the check is not vacuous)
    known = defined(ServerMetrics().registry)
    assert "taskforge_jobs_succeeded_total" in known
    assert "taskforge_job_queue_wait_seconds_bucket" in known
    assert "taskforge_queue_depth" in known
    assert "taskforge_jobs_succeeded" not in known
