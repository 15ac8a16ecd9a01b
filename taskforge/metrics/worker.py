"""A worker's own series (``taskforge worker --metrics-port``): jobs it ran by job type and
outcome, their run time, jobs in flight, and the claim round trip (GraphQL transport;
the channel pushes jobs, there is no claim to time). Job types are those the worker has
handlers for; any other reads ``unhandled``."""

from __future__ import annotations

from collections.abc import Callable, Collection

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from taskforge.metrics.jobs import DURATION_BUCKETS

CLAIM_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class WorkerMetrics:
    def __init__(self, job_types: Collection[str]) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        self.jobs = Counter(
            "taskforge_worker_jobs",
            "Jobs this worker ran, by job type and outcome (succeeded, failed, cancelled).",
            ("job_type", "outcome"),
            registry=r,
        )
        self.run = Histogram(
            "taskforge_worker_job_run_seconds",
            "Handler run time in this worker, by job type.",
            ("job_type",),
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge(
            "taskforge_worker_jobs_in_flight", "Jobs this worker is running.", registry=r
        )
        self.claim = Histogram(
            "taskforge_worker_claim_seconds",
            "Round trip of a claim (claimJobs) from this worker.",
            buckets=CLAIM_BUCKETS,
            registry=r,
        )
        self._known = frozenset(job_types)
        self._bound: dict[tuple[str, str], tuple[Counter, Histogram]] = {}

    def finished(self, job_type: str, outcome: str, seconds: float) -> None:
        key = (job_type, outcome)
        bound = self._bound.get(key)
        if bound is None:
            label = job_type if job_type in self._known else "unhandled"
            bound = self._bound[key] = (self.jobs.labels(label, outcome), self.run.labels(label))
        bound[0].inc()
        bound[1].observe(seconds)

    def track(self, running: Callable[[], int]) -> None:
        """Jobs in flight, read at scrape time."""
        self.in_flight.set_function(running)

    def serve(self, port: int, host: str = "127.0.0.1") -> Callable[[], None]:
        """Expose the series on http://host:port/metrics (a daemon thread); returns what
        stops it."""
        server, thread = start_http_server(port, addr=host, registry=self.registry)

        def stop() -> None:
            server.shutdown()
            server.server_close()
            thread.join(5)

        return stop
