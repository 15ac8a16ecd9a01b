"""Job transition series: one counter per transition, by queue name and job type, and
the queue wait and run time histograms by queue name.

Label children are bound once per (queue, job type) and kept, so counting a
transition is a dict lookup and an ``inc``: no label dict per event."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram

from taskforge.domain.enums import JobStatus
from taskforge.domain.events import Event, JobStatusChanged

# enqueue->start and start->end: from milliseconds to an hour
DURATION_BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600,
)  # fmt: skip

ENQUEUED, STARTED, SUCCEEDED, FAILED, RETRIED, CANCELLED = range(6)
_BY_STATUS = {
    JobStatus.PROCESSING: STARTED,
    JobStatus.SUCCEEDED: SUCCEEDED,
    JobStatus.FAILED: FAILED,
    JobStatus.CANCELLED: CANCELLED,
}


def transition(e: JobStatusChanged) -> int | None:
    """Which counted transition a job status event is, if any."""
    if e.previous_status is None:
        return ENQUEUED
    if e.status is JobStatus.SCHEDULED and e.previous_status is JobStatus.PROCESSING:
        return RETRIED
    return _BY_STATUS.get(e.status)


class JobSeries:
    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ("queue", "job_type")

        def counter(name: str, what: str) -> Counter:
            return Counter(f"taskforge_jobs_{name}", what, labels, registry=registry)

        self._counters = (
            counter("enqueued", "Jobs created (enqueued, fired by a schedule)."),
            counter("started", "Attempts started (jobs claimed by a worker)."),
            counter("succeeded", "Jobs that succeeded."),
            counter("failed", "Jobs that failed for good (no attempt left, or not retryable)."),
            counter("retried", "Failed attempts that scheduled a retry."),
            counter("cancelled", "Jobs cancelled."),
        )
        self.wait = Histogram(
            "taskforge_job_queue_wait_seconds",
            "Time from a job being ready (enqueued, or its retry due) to its attempt's start.",
            ("queue",),
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.run = Histogram(
            "taskforge_job_run_seconds",
            "Time from an attempt's start to its worker's acknowledgement, by outcome.",
            ("queue", "outcome"),
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self._children: dict[tuple[uuid.UUID, str], tuple[Counter, ...]] = {}
        self._waits: dict[uuid.UUID, Histogram] = {}
        self._runs: dict[tuple[uuid.UUID, str], Histogram] = {}

    def count(
        self, changes: Iterable[Sequence[Event]], names: dict[uuid.UUID, str]
    ) -> list[JobStatusChanged]:
        """Count the transitions; returns those of queues not yet named (``names``), left
        for the caller to name and count again (so one pass serves the usual case)."""
        children = self._children
        unnamed: list[JobStatusChanged] = []
        for events in changes:
            for e in events:
                if type(e) is not JobStatusChanged:
                    continue
                kind = transition(e)
                if kind is None:
                    continue
                key = (e.queue_id, e.job_type)
                bound = children.get(key)
                if bound is None:
                    name = names.get(e.queue_id)
                    if name is None:
                        unnamed.append(e)
                        continue
                    bound = children[key] = tuple(
                        c.labels(name, e.job_type) for c in self._counters
                    )
                bound[kind].inc()
        return unnamed

    def created(self, jobs: Iterable[tuple[uuid.UUID, str]], names: dict[uuid.UUID, str]) -> None:
        """Jobs created without a status event each (a workflow's)."""
        for queue_id, job_type in jobs:
            bound = self._children.get((queue_id, job_type))
            if bound is None:
                name = names.get(queue_id, "unknown")
                bound = self._children[(queue_id, job_type)] = tuple(
                    c.labels(name, job_type) for c in self._counters
                )
            bound[ENQUEUED].inc()

    def observe_wait(
        self, queue_id: uuid.UUID, names: dict[uuid.UUID, str], seconds: float
    ) -> None:
        child = self._waits.get(queue_id)
        if child is None:
            child = self._waits[queue_id] = self.wait.labels(names.get(queue_id, "unknown"))
        child.observe(max(seconds, 0.0))

    def observe_run(
        self, queue_id: uuid.UUID, outcome: str, names: dict[uuid.UUID, str], seconds: float
    ) -> None:
        child = self._runs.get((queue_id, outcome))
        if child is None:
            name = names.get(queue_id, "unknown")
            child = self._runs[(queue_id, outcome)] = self.run.labels(name, outcome)
        child.observe(max(seconds, 0.0))
