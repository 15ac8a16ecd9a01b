"""The fuzz stage: schemathesis generates GraphQL queries and mutations for every
operation of the live schema and sends them, with a valid admin key, to a real
`taskforge serve` on each backend (embedded SQLite + in-process broker; PostgreSQL +
Redis) holding a deployment of real objects. Any HTTP 5xx, a body that is not a
GraphQL response, an error coded INTERNAL or carrying no code, or a null in a
non-null field fails the stage, with each offending request and the server's log
lines for it.

Bounded: ``TASKFORGE_FUZZ_SECONDS`` (default 70) per backend, shared evenly by the
operations, and at most ``TASKFORGE_FUZZ_EXAMPLES`` (default 60) cases per operation.
Repeatable: the seed is fixed (``TASKFORGE_FUZZ_SEED``, default 0), so each run draws
the same cases in the same order, as many as the time allows, and CI does not flake
on a new draw; ``TASKFORGE_FUZZ_SEED=random`` (or another number) explores further
locally, and a failure prints the seed that replays it. It cannot pass vacuously: it
checks the number of cases sent, per operation too, and how many were answered.

Subscriptions are not fuzzed here: schemathesis generates queries and mutations over
HTTP only, and subscriptions are served over WebSocket.
"""

from __future__ import annotations

import os
import random
import re
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis.generation.case import Case

from tests.fuzz.deployment import LiveServer, build, live_server
from tests.fuzz.strategies import config, register
from tests.fuzz.verdicts import problem

BUDGET = float(os.environ.get("TASKFORGE_FUZZ_SECONDS", "70"))
_SEED = os.environ.get("TASKFORGE_FUZZ_SEED", "0")
SEED = random.randrange(2**32) if _SEED == "random" else int(_SEED)
MAX_EXAMPLES = int(os.environ.get("TASKFORGE_FUZZ_EXAMPLES", "60"))
# the stage must not pass by sending nothing: these hold on a run well under budget
MIN_CASES = 500
MIN_PER_OPERATION = 5
MIN_ANSWERED = 100  # cases with data and no error, of queries and of mutations each
EXCEPTION = re.compile(r"^(?:[\w.]+\.)?\w*(?:Error|Exception|Exit)\b.*$", re.M)
# last, in this order: they remove the objects the other operations are given ids of
DESTRUCTIVE = [
    "Mutation.deleteDependency",
    "Mutation.deleteJob",
    "Mutation.deleteSchedule",
    "Mutation.deleteWorkflow",
    "Mutation.deleteQueue",
    "Mutation.revokeApiKey",
]

pytestmark = [pytest.mark.e2e, pytest.mark.fuzz, pytest.mark.timeout(BUDGET + 180)]


@dataclass
class Finding:
    operation: str
    reason: str
    query: str
    status: int
    body: str
    log: str

    def __str__(self) -> str:
        return (
            f"--- {self.operation}: {self.reason}\nrequest: {self.query}\n"
            f"HTTP {self.status}: {self.body[:1500]}\nserver log:\n{self.log[-3000:]}"
        )


@dataclass
class Tally:
    sent: Counter[str] = field(default_factory=Counter)
    answered: Counter[str] = field(default_factory=Counter)  # data, no errors
    codes: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)


def fuzz_operation(
    server: LiveServer,
    http: requests.Session,
    operation: Any,
    examples: int,
    deadline: float,
    tally: Tally,
) -> None:
    label = operation.label
    url = f"{server.base_url}/graphql"
    headers = {"Authorization": f"Bearer {server.api_key}"}

    @seed(zlib.crc32(f"{SEED}:{label}".encode()))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: Case) -> None:
        if time.monotonic() > deadline and tally.sent[label] >= MIN_PER_OPERATION:
            return
        offset = server.log.stat().st_size
        tally.sent[label] += 1
        try:
            resp = case.call(base_url=url, session=http, headers=headers, timeout=30)
        except requests.RequestException as exc:  # no answer at all: hung or died
            resp, reason = None, f"no answer: {exc!r}"
        else:
            reason = problem(resp)
        if reason is not None:
            with server.log.open(errors="replace") as log:
                log.seek(offset)
                lines = log.read()
            # the exception the server logged names the defect better than the masked answer
            raised = EXCEPTION.findall(lines)
            if raised:
                reason = f"{reason} ({raised[-1][:160]})"
            status, text = (resp.status_code, resp.text) if resp is not None else (0, "")
            tally.findings.append(Finding(label, reason, str(case.body), status, text, lines))
            return
        assert resp is not None
        body = resp.json()
        for error in body.get("errors") or []:
            tally.codes[error["extensions"]["code"]] += 1
        if not body.get("errors") and body.get("data") is not None:
            tally.answered[label] += 1

    run()


def test_no_generated_request_crashes_the_server(server_env, tmp_path) -> None:
    started = time.monotonic()
    with live_server(server_env, tmp_path) as server:
        deployment = build(server)
        register(deployment)
        introspected = schemathesis.graphql.from_url(
            f"{server.base_url}/graphql",
            headers={"Authorization": f"Bearer {server.api_key}"},
        )
        schema = schemathesis.graphql.from_dict(
            introspected.raw_schema, config=config(deployment, introspected.client_schema)
        )
        operations = [result.ok() for result in schema.get_all_operations()]
        roots = {op.label.split(".")[0] for op in operations}
        # subscriptions run over WebSocket: not fuzzed here, and never silently so
        assert roots == {"Query", "Mutation"}, roots
        assert schema.client_schema.subscription_type is not None
        # mutations first, so queries also meet what they made; then the destructive ones
        operations.sort(
            key=lambda op: (
                DESTRUCTIVE.index(op.label) if op.label in DESTRUCTIVE else -1,
                op.label.startswith("Query."),
            )
        )
        assert set(DESTRUCTIVE) <= {op.label for op in operations}

        tally = Tally()
        begin = time.monotonic()
        end = begin + BUDGET
        with requests.Session() as http:
            for i, operation in enumerate(operations):
                now = time.monotonic()
                share = (end - now) / (len(operations) - i)
                # a case costs its generation and its request: as many as fit the share
                cost = (now - begin) / max(1, sum(tally.sent.values())) if i else 0.05
                examples = max(MIN_PER_OPERATION, min(MAX_EXAMPLES, int(share / cost)))
                fuzz_operation(server, http, operation, examples, now + share, tally)
            # alive, and still answering the key the cases were sent with
            viewer = http.post(
                f"{server.base_url}/graphql",
                json={"query": "{ viewer { organization { id } } }"},
                headers={"Authorization": f"Bearer {server.api_key}"},
                timeout=30,
            )
            assert viewer.json().get("data"), viewer.text

    seconds = time.monotonic() - started
    total = sum(tally.sent.values())
    print(
        f"\nfuzz seed {SEED}: {total} cases on {len(operations)} operations in {seconds:.0f} s; "
        f"answered {sum(tally.answered.values())}; error codes {dict(tally.codes)}"
    )
    never = [op.label for op in operations if tally.answered[op.label] == 0]
    print(f"operations never answered without error: {never}")
    # one example of each kind of defect, with how often it was seen
    kinds: dict[tuple[str, str], list[Finding]] = {}
    for finding in tally.findings:
        kinds.setdefault((finding.operation, finding.reason), []).append(finding)
    assert not kinds, f"{len(tally.findings)} defective answers (seed {SEED}):\n" + "\n".join(
        f"[{len(found)}x] {found[0]}" for found in kinds.values()
    )
    assert total >= MIN_CASES, tally.sent
    thin = {
        op.label: tally.sent[op.label]
        for op in operations
        if tally.sent[op.label] < MIN_PER_OPERATION
    }
    assert not thin, thin
    for root in ("Query.", "Mutation."):
        answered = sum(n for label, n in tally.answered.items() if label.startswith(root))
        assert answered >= MIN_ANSWERED, (root, tally.answered)
