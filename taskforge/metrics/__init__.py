"""Prometheus metrics (prometheus_client): the server's series (``server``), counted where
the transitions happen and applied after their transaction commits; the background
sampler of queue depths (``sampler``); the /metrics endpoint (``exposition``); the
worker's own series (``worker``).

Labels are bounded: queue names, job types, GraphQL root fields, outcomes; never ids.
With ``PROMETHEUS_MULTIPROC_DIR`` set (``serve --workers N`` sets it up), every process
writes its values there and /metrics aggregates them (prometheus_client's multiprocess
mode)."""

from __future__ import annotations

import os

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))
