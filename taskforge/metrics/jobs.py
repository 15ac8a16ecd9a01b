"""Job transition series: one counter per transition, by queue name and job type, and
the queue wait and run time histograms by queue name.

Label children are bound once per (queue, job type) and kept, so counting a
transition is a dict lookup and an ``inc``: no label dict per event."""

from __future__ import annotations

import uuid
from bisect import bisect_left
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


def transition(previous: JobStatus | None, status: JobStatus) -> int | None:
    """Which counted transition a job status change is, if any."""
    if previous is None:
        return ENQUEUED
    if status is JobStatus.SCHEDULED and previous is JobStatus.PROCESSING:
        return RETRIED
    return _BY_STATUS.get(status)


# every (previous, status) pair looked up once: a dict probe per event, not a call
_TRANSITIONS = {(p, s): transition(p, s) for p in (None, *JobStatus) for s in JobStatus}


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
        for the caller to name and count again (so one pass serves the usual case). A
        batch is tallied first: one ``inc`` per series touched, not per job."""
        children, transitions = self._children, _TRANSITIONS
        unnamed: list[JobStatusChanged] = []
        tally: dict[Counter, int] = {}
        for events in changes:
            for e in events:
                if type(e) is not JobStatusChanged:
                    continue
                kind = transitions.get((e.previous_status, e.status))
                if kind is None:
                    continue
                bound = children.get((e.queue_id, e.job_type))
                if bound is None:
                    bound = self._bind(e.queue_id, e.job_type, names)
                    if bound is None:
                        unnamed.append(e)
                        continue
                child = bound[kind]
                tally[child] = tally.get(child, 0) + 1
        for child, n in tally.items():
            child.inc(n)
        return unnamed

    def _bind(
        self, queue_id: uuid.UUID, job_type: str, names: dict[uuid.UUID, str]
    ) -> tuple[Counter, ...] | None:
        name = names.get(queue_id)
        if name is None:
            return None
        bound = tuple(c.labels(name, job_type) for c in self._counters)
        self._children[(queue_id, job_type)] = bound
        return bound

    def created(self, jobs: Iterable[tuple[uuid.UUID, str]], names: dict[uuid.UUID, str]) -> None:
        """Jobs created without a status event each (a workflow's)."""
        tally: dict[Counter, int] = {}
        for queue_id, job_type in jobs:
            bound = self._children.get((queue_id, job_type)) or self._bind(
                queue_id, job_type, {queue_id: "unknown", **names}
            )
            assert bound is not None
            tally[bound[ENQUEUED]] = tally.get(bound[ENQUEUED], 0) + 1
        for child, n in tally.items():
            child.inc(n)

    def observe_waits(
        self, waits: Iterable[tuple[uuid.UUID, float]], names: dict[uuid.UUID, str]
    ) -> None:
        by_queue: dict[uuid.UUID, list[float]] = {}
        for queue_id, seconds in waits:
            if (same := by_queue.get(queue_id)) is None:
                by_queue[queue_id] = [seconds]
            else:
                same.append(seconds)
        for queue_id, amounts in by_queue.items():
            child = self._waits.get(queue_id)
            if child is None:
                child = self._waits[queue_id] = self.wait.labels(names.get(queue_id, "unknown"))
            observe_many(child, amounts)

    def observe_runs(
        self, runs: Iterable[tuple[uuid.UUID, str, float]], names: dict[uuid.UUID, str]
    ) -> None:
        by_key: dict[tuple[uuid.UUID, str], list[float]] = {}
        for queue_id, outcome, seconds in runs:
            by_key.setdefault((queue_id, outcome), []).append(seconds)
        for key, amounts in by_key.items():
            child = self._runs.get(key)
            if child is None:
                name = names.get(key[0], "unknown")
                child = self._runs[key] = self.run.labels(name, key[1])
            observe_many(child, amounts)


def observe_many(child: Histogram, amounts: Sequence[float]) -> None:
    """Observe each amount (negatives as 0): tallied per bucket first, so a claim of 500
    takes a lock per bucket touched rather than two per job. Through prometheus_client's
    stored values (non-cumulative buckets and a sum, as ``Histogram.observe`` writes
    them); one observation at a time if a version stores them otherwise."""
    if len(amounts) == 1:
        child.observe(max(amounts[0], 0.0))
        return
    buckets = getattr(child, "_buckets", None)
    bounds = getattr(child, "_upper_bounds", None)
    total = getattr(child, "_sum", None)
    if buckets is None or bounds is None or total is None or len(buckets) != len(bounds):
        for amount in amounts:
            child.observe(max(amount, 0.0))
        return
    tally: dict[int, int] = {}
    added = 0.0
    for amount in amounts:
        amount = max(amount, 0.0)
        added += amount
        i = bisect_left(bounds, amount)  # the first bound >= amount, as observe() picks
        tally[i] = tally.get(i, 0) + 1
    for i, n in tally.items():
        buckets[i].inc(n)
    total.inc(added)
