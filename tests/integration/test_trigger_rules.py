"""Trigger rules on both backends, through the real claim and acknowledgement services:
every rule, its early decisions (a child released or ended while other parents still
run), failure policies meeting rules, checkDependencies, GraphQL, bad input and tenants."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from taskforge.domain.errors import InvalidInput
from taskforge.persistence.common import workflows as wf_repo
from taskforge.persistence.tables import Event, Workflow
from taskforge.services import dependencies, executions, jobs, workflows
from taskforge.services.workflows import ResumeAction
from tests.conftest import admin_of
from tests.helpers import asgi_client, stored_events
from tests.integration.workflow_driver import run, worker_for, workflow_status

GATE = {"name": "gate", "job_type": "t", "priority": 9}


def skipped(name: str) -> dict[str, Any]:
    """A job skipped (branch not taken) when the gate ends with ``{"go": false}``."""
    edge = {"job": "gate", "type": "CONDITIONAL", "expression": "output.go == true"}
    return {"name": name, "job_type": "t", "dependencies": [edge]}


def join(
    rule: str, parents: list[dict[str, Any]] | None = None, policy: str = "CONTINUE_ON_FAILURE"
) -> dict[str, Any]:
    """Parents (default ``a`` and ``b``, roots) and ``join`` after all of them."""
    parents = parents or [{"name": "a", "job_type": "t"}, {"name": "b", "job_type": "t"}]
    child = {
        "name": "join",
        "job_type": "t",
        "depends_on": [p["name"] for p in parents if p["name"] != "gate"],
        "trigger_rule": rule,
    }
    return {"name": f"join-{rule}", "failure_policy": policy, "jobs": [*parents, child]}


class Flow:
    """A started workflow, its worker and its running claims by job name."""

    def __init__(self, svc: Any, admin: Any, wf: Any, worker: uuid.UUID) -> None:
        self.svc, self.admin, self.wf, self.worker = svc, admin, wf, worker
        self.running: dict[str, Any] = {}

    @classmethod
    async def start(cls, svc: Any, org: Any, admin: Any, definition: dict[str, Any]) -> Flow:
        wf = await workflows.create(svc, admin, org.project.id, definition, start=True)
        return cls(svc, admin, wf, await worker_for(svc, admin, org.queue.id))

    async def claim(self, limit: int = 100) -> list[str]:
        claimed = await executions.claim(self.svc, self.admin, self.worker, None, limit)
        for c in claimed:
            self.running[c.job.name] = c
        return sorted(c.job.name for c in claimed)

    async def ok(self, name: str, output: dict[str, Any] | None = None) -> None:
        claim = self.running.pop(name)
        [ack] = await executions.complete(self.svc, self.admin, [(claim.execution_id, output)])
        assert ack.error is None

    async def fail(self, name: str) -> None:
        claim = self.running.pop(name)
        await executions.fail(self.svc, self.admin, [(claim.execution_id, ("no", False))])

    async def cancel(self, name: str) -> None:
        claim = self.running.pop(name)
        await jobs.cancel(self.svc, self.admin, claim.job.id)

    async def jobs(self) -> dict[str, Any]:
        async with self.svc.read() as session:
            return {j.name: j for j in await wf_repo.jobs(session, self.wf.id)}

    async def state(self, name: str) -> tuple[str, str, str | None]:
        job = (await self.jobs())[name]
        return job.status.value, job.dependency_status.value, job.status_reason

    async def status(self) -> str:
        return await workflow_status(self.svc, self.admin, self.wf.id)

    async def releases(self, name: str) -> int:
        """How many release events named the job."""
        job_id = str((await self.jobs())[name].id)
        async with self.svc.read() as session:
            events = await stored_events(session, Event.type == "jobs.released")
        return sum(e["payload"]["jobIds"].count(job_id) for e in events)


WAITING = ("PENDING", "WAITING", None)
RELEASED = ("PENDING", "SATISFIED", None)
UNMET = ("SKIPPED", "FAILED", "trigger_rule_not_met")
NOT_TAKEN = ("SKIPPED", "FAILED", "branch_not_taken")
DEPENDENCY_FAILED = ("CANCELLED", "FAILED", "dependency_failed")


# -- every rule, early decisions included ------------------------------------------


async def test_one_success_releases_on_the_first_success_while_the_others_run(
    svc, org, admin
) -> None:
    parents = [{"name": n, "job_type": "t"} for n in "abc"]
    flow = await Flow.start(svc, org, admin, join("ONE_SUCCESS", parents))
    assert await flow.claim() == ["a", "b", "c"]
    await flow.ok("a")
    assert await flow.state("join") == RELEASED
    assert (await flow.state("b"))[0] == (await flow.state("c"))[0] == "PROCESSING"
    assert await flow.claim() == ["join"]  # b and c still running
    await flow.ok("join")
    await flow.fail("b")  # later outcomes change nothing
    await flow.ok("c")
    assert (await flow.state("join"))[0] == "SUCCEEDED"
    assert await flow.releases("join") == 1
    assert await flow.status() == "FAILED"  # b failed (CONTINUE_ON_FAILURE)


async def test_one_success_without_a_success(svc, org, admin) -> None:
    flow = await Flow.start(svc, org, admin, join("ONE_SUCCESS"))
    await flow.claim()
    await flow.fail("a")
    assert await flow.state("join") == WAITING  # b may still succeed
    await flow.fail("b")
    assert await flow.state("join") == DEPENDENCY_FAILED
    # every parent skipped: the join is skipped with them
    definition = join("ONE_SUCCESS", [GATE, skipped("a"), skipped("b")])
    flow = await Flow.start(svc, org, admin, definition)
    assert await flow.claim() == ["gate"]
    await flow.ok("gate", {"go": False})
    assert await flow.state("join") == NOT_TAKEN
    assert await flow.status() == "SUCCEEDED"


async def test_one_failed_releases_on_the_first_failure(svc, org, admin) -> None:
    flow = await Flow.start(svc, org, admin, join("ONE_FAILED"))
    await flow.claim()
    await flow.fail("a")
    assert await flow.state("join") == RELEASED
    assert (await flow.state("b"))[0] == "PROCESSING"
    assert await flow.claim() == ["join"]
    await flow.ok("join")
    await flow.ok("b")
    assert (await flow.state("join"))[0] == "SUCCEEDED"
    assert await flow.releases("join") == 1
    # nothing failed: the notification is skipped, and the run is a success
    flow = await Flow.start(svc, org, admin, join("ONE_FAILED"))
    await flow.claim()
    await flow.ok("a")
    assert await flow.state("join") == WAITING
    await flow.ok("b")
    assert await flow.state("join") == UNMET
    assert await flow.status() == "SUCCEEDED"


async def test_all_done_waits_for_every_parent_whatever_its_outcome(svc, org, admin) -> None:
    definition = join("ALL_DONE", [GATE, {"name": "a", "job_type": "t"}, skipped("s")])
    definition["jobs"][-1]["depends_on"] += ["b"]
    definition["jobs"].insert(2, {"name": "b", "job_type": "t"})
    flow = await Flow.start(svc, org, admin, definition)
    assert await flow.claim() == ["a", "b", "gate"]
    await flow.fail("a")
    await flow.ok("gate", {"go": False})  # s skipped
    assert await flow.state("join") == WAITING
    await flow.cancel("b")
    assert await flow.state("join") == RELEASED
    assert await run(svc, admin, flow.worker) == [["join"]]
    assert (await flow.state("join"))[0] == "SUCCEEDED"
    assert await flow.status() == "FAILED"


async def test_all_failed_runs_when_every_parent_failed(svc, org, admin) -> None:
    flow = await Flow.start(svc, org, admin, join("ALL_FAILED"))
    await flow.claim()
    await flow.fail("a")
    assert await flow.state("join") == WAITING
    await flow.cancel("b")  # a cancelled parent fails a plain edge too
    assert await flow.state("join") == RELEASED
    # one success ends it at once, the other parent still running
    flow = await Flow.start(svc, org, admin, join("ALL_FAILED"))
    await flow.claim()
    await flow.ok("a")
    assert await flow.state("join") == UNMET
    assert (await flow.state("b"))[0] == "PROCESSING"
    await flow.fail("b")
    assert await flow.state("join") == UNMET
    assert await flow.status() == "FAILED"


async def test_none_failed(svc, org, admin) -> None:
    definition = join("NONE_FAILED", [GATE, {"name": "a", "job_type": "t"}, skipped("s")])
    flow = await Flow.start(svc, org, admin, definition)
    await flow.claim()
    await flow.ok("gate", {"go": False})
    assert await flow.state("join") == WAITING  # a skipped parent is no failure
    await flow.ok("a")
    assert await flow.state("join") == RELEASED
    # a failure cancels it at once, the other parent still running
    flow = await Flow.start(svc, org, admin, join("NONE_FAILED"))
    await flow.claim()
    await flow.fail("a")
    assert await flow.state("join") == DEPENDENCY_FAILED
    assert (await flow.state("b"))[0] == "PROCESSING"


async def test_none_skipped(svc, org, admin) -> None:
    flow = await Flow.start(svc, org, admin, join("NONE_SKIPPED"))
    await flow.claim()
    await flow.fail("a")
    assert await flow.state("join") == WAITING  # a failure is no skip
    await flow.ok("b")
    assert await flow.state("join") == RELEASED
    # a skipped parent skips it at once, the other parent still running
    definition = join("NONE_SKIPPED", [GATE, {"name": "a", "job_type": "t"}, skipped("s")])
    flow = await Flow.start(svc, org, admin, definition)
    await flow.claim()
    await flow.ok("gate", {"go": False})
    assert await flow.state("join") == NOT_TAKEN
    assert (await flow.state("a"))[0] == "PROCESSING"


async def test_edge_conditions_come_first(svc, org, admin) -> None:
    """A rule reads edge states: an on-failure edge whose parent failed is RESOLVED (a
    success for the rule), and an ALWAYS edge resolves whatever the parent did."""
    definition = join("ALL_FAILED")
    definition["jobs"][-1]["depends_on"] = []
    definition["jobs"][-1]["dependencies"] = [
        {"job": "a", "condition": "FAILED"},
        {"job": "b", "condition": "ALWAYS"},
    ]
    flow = await Flow.start(svc, org, admin, definition)
    await flow.claim()
    await flow.fail("a")
    assert await flow.state("join") == UNMET
    definition["jobs"][-1]["trigger_rule"] = "ONE_SUCCESS"
    flow = await Flow.start(svc, org, admin, definition)
    await flow.claim()
    await flow.fail("a")
    assert await flow.state("join") == RELEASED


async def test_a_root_ignores_its_rule(svc, org, admin) -> None:
    definition = {
        "name": "root",
        "jobs": [{"name": "r", "job_type": "t", "trigger_rule": "ALL_FAILED"}],
    }
    flow = await Flow.start(svc, org, admin, definition)
    assert await flow.claim() == ["r"]
    await flow.ok("r")
    assert await flow.status() == "SUCCEEDED"


# -- failure policies ----------------------------------------------------------------


def step(name: str, after: list[str], rule: str = "ALL_SUCCESS", **extra: Any) -> dict:
    return {"name": name, "job_type": "t", "depends_on": after, "trigger_rule": rule, **extra}


def pipeline() -> dict[str, Any]:
    """extract fails; slow runs on; the ALL_SUCCESS-like steps are cancelled, the
    clean-up, alert and audit steps are spared; late is a root not started yet."""
    return {
        "name": "fail-fast",
        "failure_policy": "FAIL_FAST",
        "jobs": [
            step("extract", [], priority=9),
            step("slow", [], priority=9),
            step("late", [], "ALL_DONE", priority=0),
            step("load", ["extract"]),
            step("publish", ["load"], "ONE_SUCCESS"),
            step("cleanup", ["load", "slow"], "ALL_DONE"),
            step("alert", ["extract", "slow"], "ONE_FAILED"),
            step("audit", ["extract"], "ALL_FAILED"),
            step("after", ["cleanup"]),
            step("sane", ["slow"], "NONE_FAILED"),
        ],
    }


async def test_fail_fast_cancels_what_can_no_longer_run_and_spares_clean_up_steps(
    svc, org, admin
) -> None:
    flow = await Flow.start(svc, org, admin, pipeline())
    assert await flow.claim(2) == ["extract", "slow"]
    await flow.fail("extract")
    states = {name: (j.status.value, j.status_reason) for name, j in (await flow.jobs()).items()}
    assert states == {
        "extract": ("FAILED", "failed"),
        "slow": ("PROCESSING", None),
        "late": ("CANCELLED", "workflow_failed"),  # a root: its rule does not apply
        "load": ("CANCELLED", "dependency_failed"),
        "publish": ("CANCELLED", "dependency_failed"),
        "cleanup": ("PENDING", None),  # waits for slow
        "alert": ("PENDING", None),  # released
        "audit": ("PENDING", None),  # released
        "after": ("CANCELLED", "workflow_failed"),
        "sane": ("CANCELLED", "workflow_failed"),
    }
    assert await flow.claim() == ["alert", "audit"]
    await flow.ok("alert")
    await flow.ok("audit")
    assert await flow.status() == "RUNNING"  # slow and cleanup still to come
    await flow.ok("slow")
    assert await flow.state("cleanup") == RELEASED
    assert await run(svc, admin, flow.worker) == [["cleanup"]]
    assert await flow.status() == "FAILED"


async def test_fail_fast_decides_the_edges_of_the_jobs_it_cancels(svc, org, admin) -> None:
    """The spared job's only parent is cancelled by the policy, not by an edge: its edge
    is decided then, or the job would wait, and the workflow run, for ever."""
    definition = {
        "name": "spared",
        "failure_policy": "FAIL_FAST",
        "jobs": [
            step("bad", [], priority=9),
            step("other", [], priority=0),
            step("cleanup", ["other"], "ALL_DONE"),
            step("never", ["other"], "ALL_FAILED"),
        ],
    }
    flow = await Flow.start(svc, org, admin, definition)
    assert await flow.claim(1) == ["bad"]
    await flow.fail("bad")
    assert (await flow.state("other"))[::2] == ("CANCELLED", "workflow_failed")
    assert await flow.state("cleanup") == RELEASED
    # a cancelled parent fails its plain edge: all failed, so ALL_FAILED runs too
    assert await flow.state("never") == RELEASED
    assert await run(svc, admin, flow.worker) == [["cleanup", "never"]]
    assert await flow.status() == "FAILED"


async def test_fail_fast_ends_when_a_spared_step_is_skipped_by_its_rule(svc, org, admin) -> None:
    definition = join("ALL_FAILED", policy="FAIL_FAST")
    flow = await Flow.start(svc, org, admin, definition)
    await flow.claim()
    await flow.fail("a")
    assert await flow.state("join") == WAITING
    assert await flow.status() == "RUNNING"
    await flow.ok("b")
    assert await flow.state("join") == UNMET
    assert await flow.status() == "FAILED"


@pytest.mark.parametrize(
    ("action", "join_state", "final"),
    [
        (ResumeAction.RETRY_FAILED, "SKIPPED", "SUCCEEDED"),  # a succeeds on its retry
        (ResumeAction.SKIP_FAILED, "SKIPPED", "SUCCEEDED"),  # a's edges resolve: no failure
        (ResumeAction.ABORT, "CANCELLED", "FAILED"),
    ],
)
async def test_manual_holds_the_failure_until_the_operator_answers(
    svc, org, admin, action, join_state, final
) -> None:
    definition = join("ONE_FAILED", policy="MANUAL")
    flow = await Flow.start(svc, org, admin, definition)
    await flow.claim()
    await flow.fail("a")
    await flow.ok("b")
    # the failure is held: a's edge is not decided, so ONE_FAILED cannot see it yet
    assert await flow.state("join") == WAITING
    assert await flow.status() == "PAUSED"
    await workflows.resume(svc, admin, flow.wf.id, action)
    if action is ResumeAction.RETRY_FAILED:
        assert await run(svc, admin, flow.worker) == [["a"]]  # then a's edge: RESOLVED
    assert (await flow.state("join"))[0] == join_state
    assert await flow.status() == final


# -- reads, GraphQL, bad input, tenants -----------------------------------------------


async def test_check_dependencies_follows_the_rule(svc, org, admin) -> None:
    flow = await Flow.start(svc, org, admin, join("ONE_SUCCESS"))
    job_id = (await flow.jobs())["join"].id
    await flow.claim()
    before = await dependencies.check(svc, admin, job_id)
    assert (before.can_execute, before.pending, before.trigger_rule.value) == (
        False,
        2,
        "ONE_SUCCESS",
    )
    await flow.ok("a")
    after = await dependencies.check(svc, admin, job_id)
    assert (after.can_execute, after.resolved, after.pending) == (True, 1, 1)


CREATE = """mutation($p: ID!, $d: JSON!) {
  createWorkflow(input: {projectId: $p, definition: $d, start: true}) {
    id jobs { id name triggerRule } } }"""
CHECK = """query($id: ID!) { job(id: $id) { triggerRule }
  checkDependencies(jobId: $id) { canExecute triggerRule pending } }"""


async def test_over_graphql(runtime, org, other_org, svc, admin) -> None:
    definition = {
        "name": "camel",
        "jobs": [
            {"name": "a", "jobType": "t"},
            {"name": "b", "jobType": "t"},
            {"name": "join", "jobType": "t", "dependsOn": ["a", "b"], "triggerRule": "ONE_SUCCESS"},
        ],
    }
    async with asgi_client(runtime, org.api_key.secret) as gql:
        made = (await gql.ok(CREATE, {"p": str(org.project.id), "d": definition}))["createWorkflow"]
        rules = {j["name"]: j["triggerRule"] for j in made["jobs"]}
        assert rules == {"a": "ALL_SUCCESS", "b": "ALL_SUCCESS", "join": "ONE_SUCCESS"}
        join_id = next(j["id"] for j in made["jobs"] if j["name"] == "join")
        worker = await worker_for(svc, admin, org.queue.id)
        claimed = await executions.claim(svc, admin, worker, None, 2)
        await executions.complete(svc, admin, [(claimed[0].execution_id, None)])
        assert await gql.ok(CHECK, {"id": join_id}) == {
            "job": {"triggerRule": "ONE_SUCCESS"},
            "checkDependencies": {"canExecute": True, "triggerRule": "ONE_SUCCESS", "pending": 1},
        }
        definition["jobs"][2]["triggerRule"] = "MOST_SUCCESS"
        body = await gql.raw(CREATE, {"p": str(org.project.id), "d": definition})
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["field"] == "jobs[2].trigger_rule"
        assert "must be one of ALL_SUCCESS, ALL_DONE" in error["message"]
    # another organization sees neither the job nor its rule
    async with asgi_client(runtime, other_org.api_key.secret) as theirs:
        body = await theirs.raw(CHECK, {"id": join_id})
        assert {e["extensions"]["code"] for e in body["errors"]} == {"NOT_FOUND"}


async def test_a_bad_rule_creates_nothing(svc, org, admin) -> None:
    with pytest.raises(InvalidInput) as info:
        await workflows.create(svc, admin, org.project.id, join("SOMETIMES"))
    assert info.value.details["field"] == "jobs[2].trigger_rule"
    async with svc.read() as session:
        assert await session.scalar(select(func.count()).select_from(Workflow)) == 0


async def test_a_failure_in_one_tenant_spares_and_cancels_nothing_in_another(
    svc, org, other_org, admin
) -> None:
    mine = await Flow.start(svc, org, admin, join("ALL_DONE", policy="FAIL_FAST"))
    theirs = await Flow.start(svc, other_org, admin_of(other_org), pipeline())
    await theirs.claim(2)
    await theirs.fail("extract")
    assert await mine.state("join") == WAITING
    assert {j.status.value for j in (await mine.jobs()).values()} == {"PENDING"}


def readme_example() -> str:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("### Trigger rules and failure policies", 1)[1]
    return section.split("```yaml\n", 1)[1].split("```", 1)[0]


async def test_the_readme_example(svc, org, admin) -> None:
    """FAIL_FAST: extract fails while mirror runs; load (ONE_SUCCESS) can no longer be
    met by the policy's measure and is cancelled; cleanup and page_oncall run."""
    flow = await Flow.start(svc, org, admin, readme_example())
    assert await flow.claim() == ["extract", "mirror"]
    await flow.fail("extract")
    assert (await flow.state("load"))[::2] == ("CANCELLED", "workflow_failed")
    assert await flow.claim() == ["cleanup", "page_oncall"]
    await flow.ok("cleanup")
    await flow.ok("page_oncall")
    assert await flow.status() == "RUNNING"  # mirror still runs
    await flow.ok("mirror")
    assert await flow.status() == "FAILED"
