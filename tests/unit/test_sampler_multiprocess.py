"""The sampler's gauges under prometheus_client's multiprocess mode (serve --workers): a
replica that stops sampling, or a queue deleted, must not leave its last depth in the
aggregate (a series cannot be removed there: its value stays in the process's file)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from taskforge.metrics.sampler import Sampler
from taskforge.metrics.server import ServerMetrics

metrics = ServerMetrics()
sampler = Sampler(None, metrics)  # the leader's last sample: queue 'a' 500 deep
metrics.queue_depth.labels("a").set(500)
metrics.queue_oldest.labels("a").set(60)
sampler._queues = {"a"}
sampler._clear()  # the lease went to another process
registry = CollectorRegistry()
MultiProcessCollector(registry, sys.argv[1])
found = {
    (s.name, tuple(sorted(s.labels.items()))): s.value
    for family in registry.collect()
    for s in family.samples
}
print(found[("taskforge_queue_depth", (("queue", "a"),))])
print(found[("taskforge_queue_oldest_age_seconds", (("queue", "a"),))])
"""


def test_a_former_leaders_depths_read_zero(tmp_path: Path) -> None:
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        env={**env, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert [float(v) for v in out] == [0.0, 0.0]
