"""Property test on the real services: a join with a random trigger rule after parents
with random outcomes, edge kinds and acknowledgement order, under a random failure
policy, ends as a plain reference of the README's table says, and agrees with it after
every step (early releases and early ends included).

The reference below is written from the README's "Trigger rules and failure policies"
section and imports nothing of the engine's rule code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taskforge.persistence.common import workflows as wf_repo
from taskforge.persistence.tables import Event
from taskforge.services import executions, jobs, workflow_reads, workflows
from taskforge.services.workflows import ResumeAction
from tests.helpers import stored_events
from tests.integration.workflow_driver import worker_for

WORKERS: dict = {}
RULES = [
    "ALL_SUCCESS",
    "ALL_DONE",
    "ALL_FAILED",
    "ONE_SUCCESS",
    "ONE_FAILED",
    "NONE_FAILED",
    "NONE_SKIPPED",
]
POLICIES = ["FAIL_FAST", "CONTINUE_ON_FAILURE", "MANUAL"]
OUTCOMES = ["SUCCEEDED", "FAILED", "CANCELLED", "SKIPPED"]

# edge kind -> how it is written in the definition
EDGES: dict[str, dict[str, str]] = {
    "PLAIN": {},
    "ON_FAILED": {"condition": "FAILED"},
    "ALWAYS": {"condition": "ALWAYS"},
    "PARALLEL": {"type": "PARALLEL"},
    "TAKEN": {"type": "CONDITIONAL", "expression": "output.ok == true"},
    "NOT_TAKEN": {"type": "CONDITIONAL", "expression": "output.ok == false"},
}


# -- the reference -------------------------------------------------------------------
# Edge states: R resolved (a success for the rule), F failed, X cancelled (a skip),
# P pending. A parent's outcome first becomes its edge's state:
def edge_state(kind: str, outcome: str) -> str:
    if kind == "PARALLEL":  # resolved when the parent starts; a skipped one never did
        return {"STARTED": "R", "SKIPPED": "X"}.get(outcome, "P")
    if outcome == "STARTED":
        return "P"
    if kind == "ALWAYS":
        return "R"
    if kind == "PLAIN":
        return {"SUCCEEDED": "R", "FAILED": "F", "CANCELLED": "F", "SKIPPED": "X"}[outcome]
    if kind == "ON_FAILED":
        return {"SUCCEEDED": "X", "FAILED": "R", "CANCELLED": "F", "SKIPPED": "X"}[outcome]
    if kind == "TAKEN":  # every parent that succeeds outputs {"ok": true}
        return "R" if outcome == "SUCCEEDED" else "X"
    return "X"  # NOT_TAKEN: a conditional edge never fails


# then the child's rule reads the set of its edges' states:
# "wait", "ready", or the status it ends with
def rule_says(rule: str, s: set[str]) -> str:
    if rule == "ALL_SUCCESS":
        if "F" in s:
            return "CANCELLED"
        if "X" in s:
            return "SKIPPED"
        return "wait" if "P" in s else "ready"
    if rule == "ALL_DONE":
        return "wait" if "P" in s else "ready"
    if rule == "ALL_FAILED":
        if "R" in s or "X" in s:
            return "SKIPPED"
        return "wait" if "P" in s else "ready"
    if rule == "ONE_SUCCESS":
        if "R" in s:
            return "ready"
        if "P" in s:
            return "wait"
        return "CANCELLED" if "F" in s else "SKIPPED"
    if rule == "ONE_FAILED":
        if "F" in s:
            return "ready"
        return "wait" if "P" in s else "SKIPPED"
    if rule == "NONE_FAILED":
        if "F" in s:
            return "CANCELLED"
        return "wait" if "P" in s else "ready"
    assert rule == "NONE_SKIPPED"
    if "X" in s:
        return "SKIPPED"
    return "wait" if "P" in s else "ready"


SPARED = {"ALL_DONE", "ONE_FAILED", "ALL_FAILED"}  # by FAIL_FAST: a failure may satisfy them


@dataclass
class Reference:
    policy: str
    rule: str
    kinds: list[str]
    edges: list[str] = field(default_factory=list)
    child: str = "wait"  # "wait", "ready" (not started), or the status it ended with
    ever_ready: bool = False
    held: set[int] = field(default_factory=set)  # MANUAL: failures waiting for the operator

    def __post_init__(self) -> None:
        self.edges = ["P"] * len(self.kinds)

    def decide(self) -> None:
        if self.child in ("wait", "ready"):  # a decision is final; ready stays ready
            says = rule_says(self.rule, set(self.edges))
            if says != "wait":
                self.child = says
            self.ever_ready |= self.child == "ready"

    def parent(self, i: int, outcome: str) -> None:
        if outcome == "FAILED" and self.policy == "MANUAL":
            self.held.add(i)  # its edges stay undecided until the operator answers
        elif self.edges[i] == "P":
            self.edges[i] = edge_state(self.kinds[i], outcome)
        self.decide()
        # FAIL_FAST: a failure cancels the child if not started, unless its rule is spared
        failing = outcome == "FAILED" and self.policy == "FAIL_FAST"
        if failing and self.child in ("wait", "ready") and self.rule not in SPARED:
            self.child = "CANCELLED"

    def operator(self, action: ResumeAction) -> None:
        if action is ResumeAction.ABORT:
            if self.child in ("wait", "ready"):
                self.child = "CANCELLED"
            return
        if action is ResumeAction.RETRY_FAILED:
            return  # the failed steps run again: their edges wait for the new outcomes
        for i in self.held:
            if self.edges[i] == "P":  # a skipped step's edges resolve, whatever their kind
                self.edges[i] = "R"
        self.decide()

    def retried(self) -> None:
        """The steps run again after RETRY_FAILED succeeded (what the test's worker does)."""
        for i in self.held:
            if self.edges[i] == "P":
                self.edges[i] = edge_state(self.kinds[i], "SUCCEEDED")
        self.decide()

    def final(self, outcomes: list[str], action: ResumeAction | None) -> tuple[str, str]:
        """(the child's status, the workflow's): ready runs and succeeds; a run fails
        when a job failed or was cancelled other than by the user, or was aborted."""
        assert self.child != "wait", "every edge is decided: the child is too"
        child = "SUCCEEDED" if self.child == "ready" else self.child
        failed = "FAILED" in outcomes and action is None
        bad = failed or child == "CANCELLED" or action is ResumeAction.ABORT
        return child, "FAILED" if bad else "SUCCEEDED"


# -- the engine ----------------------------------------------------------------------


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 4))
    outcomes = draw(st.lists(st.sampled_from(OUTCOMES), min_size=n, max_size=n))
    kinds = draw(st.lists(st.sampled_from(list(EDGES)), min_size=n, max_size=n))
    started = [i for i in range(n) if outcomes[i] != "SKIPPED"]
    return {
        "policy": draw(st.sampled_from(POLICIES)),
        "rule": draw(st.sampled_from(RULES)),
        "outcomes": outcomes,
        "kinds": kinds,
        "order": draw(st.permutations(started)),
        "action": draw(st.sampled_from(list(ResumeAction))),
    }


def definition(s: dict[str, Any]) -> dict[str, Any]:
    parents: list[dict[str, Any]] = []
    if "SKIPPED" in s["outcomes"]:  # a gate whose branch to those parents is not taken
        parents.append({"name": "gate", "job_type": "t"})
    for i, outcome in enumerate(s["outcomes"]):
        edge = {"job": "gate", "type": "CONDITIONAL", "expression": "output.go == true"}
        parents.append(
            {
                "name": f"p{i}",
                "job_type": "t",
                "dependencies": [edge] if outcome == "SKIPPED" else [],
            }
        )
    into = [{"job": f"p{i}", **EDGES[kind]} for i, kind in enumerate(s["kinds"])]
    child = {"name": "join", "job_type": "t", "dependencies": into, "trigger_rule": s["rule"]}
    return {"name": "rules", "failure_policy": s["policy"], "jobs": [*parents, child]}


async def child_now(svc: Any, wf_id: Any) -> tuple[str, dict[str, Any]]:
    """The child as the reference states it, and every job by name."""
    async with svc.read() as session:
        found = {j.name: j for j in await wf_repo.jobs(session, wf_id)}
    join = found["join"]
    if join.status.value != "PENDING":
        return join.status.value, found
    return {"WAITING": "wait", "SATISFIED": "ready"}[join.dependency_status.value], found


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(s=scenarios())
async def test_the_engine_follows_the_reference_table(svc, org, admin, s) -> None:
    ref = Reference(s["policy"], s["rule"], s["kinds"])
    wf = await workflows.create(svc, admin, org.project.id, definition(s), start=True)
    worker = WORKERS.get(org.queue.id) or await worker_for(svc, admin, org.queue.id)
    WORKERS[org.queue.id] = worker

    async def agree(when: str) -> dict[str, Any]:
        child, found = await child_now(svc, wf.id)
        assert child == ref.child, (when, s)
        return found

    # every parent that is not to be skipped starts (with the gate): PARALLEL edges resolve
    running = {c.job.name: c for c in await executions.claim(svc, admin, worker, None, 100)}
    started = {f"p{i}" for i in s["order"]}
    assert set(running) - {"gate"} == started, s
    for i in s["order"]:
        ref.parent(i, "STARTED")
    await agree("started")
    if "gate" in running:
        await executions.complete(svc, admin, [(running.pop("gate").execution_id, {"go": False})])
        for i, outcome in enumerate(s["outcomes"]):
            if outcome == "SKIPPED":
                ref.parent(i, "SKIPPED")
        await agree("skipped")
    for i in s["order"]:
        claim, outcome = running.pop(f"p{i}"), s["outcomes"][i]
        if outcome == "SUCCEEDED":
            await executions.complete(svc, admin, [(claim.execution_id, {"ok": True})])
        elif outcome == "FAILED":
            await executions.fail(svc, admin, [(claim.execution_id, ("no", False))])
        else:
            await jobs.cancel(svc, admin, claim.job.id)
        ref.parent(i, outcome)
        found = await agree(f"p{i} {outcome}")
        if ref.child == "ready" and running:  # released early: the others still run
            assert {found[name].status.value for name in running} == {"PROCESSING"}
    action = None
    if (await workflow_reads.get(svc, admin, wf.id)).status.value == "PAUSED":
        assert ref.held, s
        action = s["action"]
        await workflows.resume(svc, admin, wf.id, action)
        ref.operator(action)
        await agree(f"operator {action}")
    else:
        assert not ref.held, s
    # what is claimable now runs and succeeds (the child, retried parents)
    while claimed := await executions.claim(svc, admin, worker, None, 100):
        await executions.complete(svc, admin, [(c.execution_id, {"ok": True}) for c in claimed])
    if action is ResumeAction.RETRY_FAILED:
        ref.retried()
    child, status = ref.final(s["outcomes"], action)
    _, found = await child_now(svc, wf.id)
    assert found["join"].status.value == child, s
    assert (await workflow_reads.get(svc, admin, wf.id)).status.value == status, s
    # released at most once, and exactly when the reference ever made it ready
    async with svc.read() as session:
        events = await stored_events(session, Event.type == "jobs.released")
    releases = sum(e["payload"]["jobIds"].count(str(found["join"].id)) for e in events)
    assert releases == int(ref.ever_ready), s
