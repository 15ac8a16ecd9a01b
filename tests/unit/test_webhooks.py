"""Webhooks' rules: URLs, event types, signatures, backoff, the quota line, and which
outbox events are which webhook events."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import uuid
from datetime import UTC, datetime

import pytest

from taskforge.domain import events
from taskforge.domain import webhooks as rules
from taskforge.domain.enums import JobStatus, ScheduleStatus, WorkflowStatus
from taskforge.domain.errors import InvalidInput
from taskforge.domain.webhooks import WebhookEventType

ORG = uuid.uuid4()
STATS = events.WorkflowStats(1, 1, 100.0, {JobStatus.SUCCEEDED: 1})


def job(status: JobStatus) -> events.JobStatusChanged:
    return events.JobStatusChanged(
        ORG, uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), None, "t", status, JobStatus.PROCESSING
    )


def workflow(status: WorkflowStatus) -> events.WorkflowStatusChanged:
    return events.WorkflowStatusChanged(
        ORG, uuid.uuid4(), uuid.uuid4(), status, WorkflowStatus.RUNNING, STATS
    )


def test_outbox_events_map_to_webhook_events() -> None:
    assert rules.event_type_of(job(JobStatus.FAILED)) is WebhookEventType.JOB_FAILED
    for status in JobStatus:
        if status is not JobStatus.FAILED:
            assert rules.event_type_of(job(status)) is None
    # a job deleted while FAILED is no failure
    deleted = events.JobDeleted(
        ORG, uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), None, "t", JobStatus.FAILED
    )
    assert rules.event_type_of(deleted) is None
    ends = {s for s in WorkflowStatus if rules.event_type_of(workflow(s)) is not None}
    assert ends == {WorkflowStatus.SUCCEEDED, WorkflowStatus.FAILED, WorkflowStatus.CANCELLED}
    now = datetime.now(UTC)
    failed = events.ScheduleFailed(ORG, uuid.uuid4(), ScheduleStatus.FAILED, None, now, "x")
    assert rules.event_type_of(failed) is WebhookEventType.SCHEDULE_PAUSED
    paused = events.SchedulePaused(ORG, uuid.uuid4(), ScheduleStatus.PAUSED, None)
    assert rules.event_type_of(paused) is None  # an operator's pause
    reason = "paused after 3 consecutive failed runs"
    stopped = events.SchedulePaused(ORG, uuid.uuid4(), ScheduleStatus.PAUSED, None, reason)
    assert rules.event_type_of(stopped) is WebhookEventType.SCHEDULE_PAUSED
    assert rules.may_match(stopped.type, stopped.payload())
    assert not rules.may_match(paused.type, paused.payload())
    quota = events.QuotaNearlyUsed(ORG, 8, 10, None)
    assert rules.event_type_of(quota) is WebhookEventType.QUOTA_NEARLY_USED
    # every source type the engine reads can give a webhook event
    assert set(rules.SOURCE_TYPES) == {
        events.JobStatusChanged.type,
        events.WorkflowStatusChanged.type,
        events.ScheduleFailed.type,
        events.SchedulePaused.type,
        events.QuotaNearlyUsed.type,
    }


@pytest.mark.parametrize(
    ("before", "after", "limit", "crossed"),
    [
        (0, 7, 10, False),
        (7, 8, 10, True),
        (7, 10, 10, True),
        (8, 9, 10, False),  # already over the line: said once
        (0, 100, None, False),  # no limit
        (0, 5, 0, False),
        (799, 800, 1000, True),
    ],
)
def test_the_quota_line_is_crossed_once(before, after, limit, crossed) -> None:
    assert rules.quota_crossed(before, after, limit) is crossed


def test_the_signature_is_an_hmac_of_timestamp_and_body() -> None:
    body = rules.body(7, WebhookEventType.JOB_FAILED, ORG, datetime.now(UTC), {"a": 1})
    signed = rules.signature("whsec_k", "1700000000", body)
    expected = hmac.new(b"whsec_k", f"1700000000.{body}".encode(), hashlib.sha256).hexdigest()
    assert signed == f"sha256={expected}"
    assert rules.signature("whsec_k", "1700000001", body) != signed
    assert json.loads(body)["id"] == "7" and json.loads(body)["data"] == {"a": 1}
    assert rules.new_secret() != rules.new_secret()


def test_backoff_grows_to_its_cap_with_jitter() -> None:
    rng = random.Random(1)
    delays = [rules.backoff(n, 10.0, 300.0, rng) for n in range(1, 10)]
    for n, delay in enumerate(delays, start=1):
        full = min(300.0, 10.0 * 2 ** (n - 1))
        assert full / 2 <= delay <= full
    assert max(delays) <= 300.0
    assert len({rules.backoff(3, 10.0, 300.0) for _ in range(20)}) > 1  # jittered


@pytest.mark.parametrize(
    "url",
    ["https://hooks.example.com/x", "https://example.com:8443/a?b=c", " https://e.com/ "],
)
def test_https_urls_are_accepted(url) -> None:
    assert rules.url(url, allow_http=False) == url.strip()


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/h", "http://localhost/h"])
def test_http_to_this_machine_only_when_allowed(url) -> None:
    assert rules.url(url, allow_http=True) == url
    with pytest.raises(InvalidInput) as refused:
        rules.url(url, allow_http=False)
    assert refused.value.details["field"] == "url"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/h",
        "ftp://example.com/h",
        "https://",
        "//example.com/h",
        "https://u:p@example.com/h",
        "https://example.com:0x/h",
        "https://e.com/" + "x" * 2000,
    ],
)
def test_other_urls_are_refused(url) -> None:
    with pytest.raises(InvalidInput) as refused:
        rules.url(url, allow_http=True)
    assert refused.value.details["field"] == "url"


def test_event_types_are_required_and_deduplicated() -> None:
    with pytest.raises(InvalidInput) as refused:
        rules.event_types([])
    assert refused.value.details["field"] == "eventTypes"
    chosen = [WebhookEventType.QUOTA_NEARLY_USED, WebhookEventType.JOB_FAILED] * 2
    assert rules.event_types(chosen) == ["JOB_FAILED", "QUOTA_NEARLY_USED"]
    with pytest.raises(InvalidInput):
        rules.description("x" * 501)


def test_the_cheap_look_never_drops_a_match() -> None:
    now = datetime.now(UTC)
    samples: list[events.Event] = [job(s) for s in JobStatus] + [
        workflow(s) for s in WorkflowStatus
    ]
    samples += [
        events.ScheduleFailed(ORG, uuid.uuid4(), ScheduleStatus.FAILED, None, now, "x"),
        events.QuotaNearlyUsed(ORG, 8, 10, None),
    ]
    for event in samples:
        matched = rules.event_type_of(event) is not None
        if matched:
            assert rules.may_match(event.type, event.payload())
        elif isinstance(event, events.JobStatusChanged | events.WorkflowStatusChanged):
            assert not rules.may_match(event.type, event.payload())
