import json
from collections import Counter

import pytest

from taskforge.domain.enums import (
    DependencyCondition,
    DependencyType,
    FailurePolicy,
    JobStatus,
    WorkflowStatus,
)
from taskforge.domain.errors import InvalidInput
from taskforge.domain.workflows import (
    RULES,
    TERMINAL_WORKFLOW,
    EdgeDef,
    JobDef,
    derive_status,
    facts,
    parse_definition,
    stats,
)

LIMITS = {"max_jobs": 100, "max_depth": 20, "payload_bytes": 1_000}
SEQ, OK = DependencyType.SEQUENTIAL, DependencyCondition.SUCCEEDED


def parse(source):
    return parse_definition(source, **LIMITS)


def pairs(definition):
    return [(e.parent, e.child) for e in definition.edges]


def job(name, **extra):
    return {"name": name, "job_type": "work", **extra}


def wf(*jobs, **top):
    return {"name": "w", **top, "jobs": list(jobs)}


def bad(source, field, message, limits=LIMITS):
    with pytest.raises(InvalidInput) as info:
        parse_definition(source, **limits)
    assert info.value.code == "BAD_USER_INPUT"
    assert info.value.details.get("field") == field
    assert message in info.value.message
    return info.value


# --- seed 002 patterns ---------------------------------------------------------------

CHAIN_JSON = json.dumps(
    {
        "name": "data_pipeline",
        "description": "Daily data processing pipeline",
        "failure_policy": "continue_on_failure",
        "jobs": [
            {
                "name": "extract",
                "job_type": "etl.extract",
                "queue": "etl_queue",
                "payload": {"source": "production_db"},
                "depends_on": [],
            },
            {
                "name": "transform",
                "job_type": "etl.transform",
                "queue": "etl_queue",
                "payload": {"rules": "business_logic.json"},
                "depends_on": ["extract"],
            },
            {
                "name": "load",
                "job_type": "etl.load",
                "queue": "etl_queue",
                "payload": {"destination": "data_warehouse"},
                "depends_on": ["transform"],
            },
        ],
    }
)


def test_sequential_chain_from_json() -> None:
    d = parse(CHAIN_JSON)
    assert d.name == "data_pipeline"
    assert d.description == "Daily data processing pipeline"
    assert d.failure_policy is FailurePolicy.CONTINUE_ON_FAILURE
    assert d.priority == 5 and d.timeout_seconds is None
    assert d.jobs[0] == JobDef(
        "extract", "etl.extract", "etl_queue", {"source": "production_db"}, 5, None
    )
    assert d.edges == (
        EdgeDef("extract", "transform", SEQ, OK, None),
        EdgeDef("transform", "load", SEQ, OK, None),
    )


def test_parallel_then_barrier_from_yaml() -> None:
    d = parse(
        """
name: parallel_processing
failure_policy: CONTINUE-ON-FAILURE
priority: 7
timeout: 2h
jobs:
  - {name: us-east, job_type: process_region, payload: {region: us-east}}
  - {name: us-west, job_type: process_region, payload: {region: us-west}}
  - {name: eu-west, job_type: process_region, payload: {region: eu-west}, priority: 2}
  - name: summary
    job_type: create_summary
    depends_on: [us-east, us-west, eu-west]
"""
    )
    assert d.failure_policy is FailurePolicy.CONTINUE_ON_FAILURE
    assert d.timeout_seconds == 7200
    assert [j.priority for j in d.jobs] == [7, 7, 2, 7]
    assert pairs(d) == [("us-east", "summary"), ("us-west", "summary"), ("eu-west", "summary")]


def test_fan_out_fan_in() -> None:
    chunks = [job(f"chunk-{i}", depends_on=["split"], payload={"chunk_id": i}) for i in range(10)]
    fan_in = [{"job": f"chunk-{i}", "type": "fan_in"} for i in range(10)]
    d = parse(
        {"name": "fan", "jobs": [job("split"), *chunks, job("aggregate", dependencies=fan_in)]}
    )
    assert len(d.jobs) == 12
    assert len(d.edges) == 20
    assert {e.type for e in d.edges if e.child == "aggregate"} == {DependencyType.FAN_IN}


def test_multiple_dependencies_mix_both_forms() -> None:
    d = parse(
        {
            "name": "multi",
            "jobs": [
                job("fetch_data"),
                job("load_config"),
                job("authenticate"),
                job(
                    "process",
                    depends_on=["fetch_data", "load_config"],
                    dependencies=[
                        {"job": "authenticate", "type": "parallel", "condition": "always"}
                    ],
                ),
            ],
        }
    )
    assert d.edges[-1] == EdgeDef(
        "authenticate", "process", DependencyType.PARALLEL, DependencyCondition.ALWAYS, None
    )
    assert len(d.edges) == 3


def test_conditional_branches_keep_expressions() -> None:
    d = parse(
        """
name: validation
failure_policy: manual
jobs:
  - name: validate_input
    job_type: validate
  - name: process_valid_data
    job_type: process
    dependencies:
      - job: validate_input
        type: conditional
        expression: "output.validation_status == 'valid'"
  - name: handle_invalid_data
    job_type: quarantine
    dependencies:
      - {job: validate_input, type: CONDITIONAL, condition: failed}
"""
    )
    assert d.failure_policy is FailurePolicy.MANUAL
    valid, invalid = d.edges
    assert valid.type is DependencyType.CONDITIONAL
    assert valid.expression == "output.validation_status == 'valid'"
    assert invalid.condition is DependencyCondition.FAILED and invalid.expression is None


def test_camel_case_keys() -> None:
    d = parse(
        {
            "name": "camel",
            "failurePolicy": "FAIL_FAST",
            "jobs": [
                {"name": "a", "jobType": "t", "maxAttempts": 3},
                {"name": "b", "jobType": "t", "dependsOn": "a"},
            ],
        }
    )
    assert d.jobs[0].max_attempts == 3
    assert pairs(d) == [("a", "b")]


def test_jobs_may_depend_on_later_jobs() -> None:
    d = parse(wf(job("b", depends_on=["a"]), job("a")))
    assert pairs(d) == [("a", "b")]


@pytest.mark.parametrize(
    ("timeout", "seconds"),
    [(90, 90), ("90", 90), ("30s", 30), ("15m", 900), ("2h", 7200), ("1d", 86400),
     ("1h30m", 5400), ("1H 30M", 5400), ("1d2h3m4s", 93784)],
)  # fmt: skip
def test_durations(timeout, seconds) -> None:
    assert parse(wf(job("a"), timeout=timeout)).timeout_seconds == seconds


@pytest.mark.parametrize("timeout", ["", "soon", "1x", "30m1h", 0, -5, True, "0s", 1.5])
def test_bad_durations(timeout) -> None:
    bad(wf(job("a"), timeout=timeout), "timeout", "timeout must be")


# --- validation errors ---------------------------------------------------------------


def test_not_json_or_yaml() -> None:
    bad("{name: [unclosed", "definition", "neither JSON nor YAML")


@pytest.mark.parametrize("source", ["[1, 2]", "just text", "42", []])
def test_not_an_object(source) -> None:
    bad(source, "definition", "definition must be an object")


@pytest.mark.parametrize("name", [None, "", "   ", 7])
def test_missing_or_empty_name(name) -> None:
    source = {"jobs": [job("a")]} if name is None else {"name": name, "jobs": [job("a")]}
    bad(source, "name", "name must be a non-empty string")


def test_name_too_long() -> None:
    bad({"name": "x" * 201, "jobs": [job("a")]}, "name", "longer than 200")


@pytest.mark.parametrize("jobs", [None, [], {"a": 1}])
def test_no_jobs(jobs) -> None:
    source = {"name": "w"} if jobs is None else {"name": "w", "jobs": jobs}
    bad(source, "jobs", "jobs must be a non-empty list")


def test_job_not_an_object() -> None:
    bad(wf(job("a"), "b"), "jobs[1]", "jobs[1] must be an object")


def test_job_missing_name_and_type() -> None:
    bad(wf({"job_type": "t"}), "jobs[0].name", "non-empty string")
    bad(wf({"name": "a"}), "jobs[0].job_type", "non-empty string")
    bad(wf(job("a", job_type="has space")), "jobs[0].job_type", "1-200")


def test_duplicate_job_names() -> None:
    bad(wf(job("a"), job("b"), job("a")), "jobs[2].name", "'a' is used twice")


def test_unknown_dependency_name() -> None:
    source = wf(job("a"), job("b"), job("c"), job("d", depends_on=["a", "x"]))
    bad(source, "jobs[3].depends_on", "job 'd' depends on unknown job 'x'")
    deps = [{"job": "nope"}]
    bad(wf(job("a", dependencies=deps)), "jobs[0].dependencies[0].job", "unknown job 'nope'")


def test_self_dependency() -> None:
    bad(wf(job("a", depends_on=["a"])), "jobs[0].depends_on", "job 'a' depends on itself")


def test_duplicate_edges() -> None:
    source = wf(job("a"), job("b", depends_on=["a"], dependencies=[{"job": "a"}]))
    bad(source, "jobs[1].dependencies[0].job", "depends on 'a' more than once")
    bad(wf(job("a"), job("b", depends_on=["a", "a"])), "jobs[1].depends_on", "more than once")


@pytest.mark.parametrize(
    ("source", "field"),
    [
        (wf(job("a"), failure_policy="sometimes"), "failure_policy"),
        (wf(job("a"), failure_policy=3), "failure_policy"),
        (wf(job("a"), job("b", dependencies=[{"job": "a", "type": "x"}])),
         "jobs[1].dependencies[0].type"),
        (wf(job("a"), job("b", dependencies=[{"job": "a", "condition": "maybe"}])),
         "jobs[1].dependencies[0].condition"),
    ],
)  # fmt: skip
def test_bad_enum_values(source, field) -> None:
    bad(source, field, "must be one of")


def test_enum_error_lists_the_choices() -> None:
    exc = bad(wf(job("a"), failure_policy="x"), "failure_policy", "")
    assert "FAIL_FAST, CONTINUE_ON_FAILURE, MANUAL" in exc.message


@pytest.mark.parametrize(
    ("source", "field", "message"),
    [
        (wf(job("a"), priority=10), "priority", "between 0 and 9, got 10"),
        (wf(job("a"), priority="high"), "priority", "must be an integer"),
        (wf(job("a", priority=-1)), "jobs[0].priority", "between 0 and 9"),
        (wf(job("a", priority=True)), "jobs[0].priority", "integer"),
        (wf(job("a", max_attempts=0)), "jobs[0].max_attempts", "1 and 100"),
        (wf(job("a", max_attempts=101)), "jobs[0].max_attempts", "1 and 100"),
        (wf(job("a", queue="")), "jobs[0].queue", "non-empty string"),
        (wf(job("a", depends_on=5)), "jobs[0].depends_on", "list of job names"),
        (wf(job("a", dependencies="b")), "jobs[0].dependencies", "a list"),
        (wf(job("a", dependencies=["b"])), "jobs[0].dependencies[0]", "an object"),
    ],
)  # fmt: skip
def test_bad_numbers_and_shapes(source, field, message) -> None:
    bad(source, field, message)


def test_payload_must_be_a_small_object() -> None:
    bad(wf(job("a", payload=[1])), "jobs[0].payload", "must be an object")
    big = {"blob": "x" * 2_000}
    exc = bad(wf(job("a", payload=big)), "jobs[0].payload", "over the limit of 1000")
    assert exc.details["limit"] == 1_000
    assert parse(wf(job("a", payload=None))).jobs[0].payload == {}


def test_unknown_keys_are_named() -> None:
    bad(
        wf(job("a"), retries=3),
        "retries",
        "unknown key 'retries' in definition",
    )
    exc = bad(
        wf(job("a"), job("b", dependson=["a"])),
        "jobs[1].dependson",
        "unknown key 'dependson'",
    )
    assert "did you mean 'depends_on'?" in exc.message
    deps = [{"job": "a", "when": "x"}]
    bad(
        wf(job("a"), job("b", dependencies=deps)),
        "jobs[1].dependencies[0].when",
        "'when'",
    )


def test_same_key_in_both_spellings() -> None:
    source = wf({"name": "a", "job_type": "t", "jobType": "u"})
    bad(source, "jobs[0].jobType", "gives 'job_type' twice")


def test_expression_only_on_conditional_edges() -> None:
    deps = [{"job": "a", "type": "sequential", "expression": "output.ok == true"}]
    field = "jobs[1].dependencies[0].expression"
    message = "only allowed on a CONDITIONAL dependency, not SEQUENTIAL"
    bad(wf(job("a"), job("b", dependencies=deps)), field, message)


def test_cycles_are_named() -> None:
    source = wf(job("a", depends_on=["c"]), job("b", depends_on=["a"]), job("c", depends_on=["b"]))
    exc = bad(source, "jobs", "dependency cycle: a -> b -> c -> a")
    assert exc.details["cycle"] == ["a", "b", "c", "a"]


def test_limits() -> None:
    chain = [job("j0")] + [job(f"j{i}", depends_on=[f"j{i - 1}"]) for i in range(1, 5)]
    assert len(parse(wf(*chain)).jobs) == 5
    bad(wf(*chain), "jobs", "at most 4 jobs", {**LIMITS, "max_jobs": 4})
    bad(wf(*chain), "jobs", "5 levels deep", {**LIMITS, "max_depth": 4})


# --- status ---------------------------------------------------------------------------

W, J, P = WorkflowStatus, JobStatus, FailurePolicy
USER = "cancelled_by_user"


@pytest.mark.parametrize(
    ("current", "policy", "jobs", "expected"),
    [
        # cancelled stays cancelled, whatever the jobs say
        (W.CANCELLED, P.FAIL_FAST, [(J.SUCCEEDED, None)], W.CANCELLED),
        (W.CANCELLED, P.MANUAL, [(J.FAILED, None)], W.CANCELLED),
        # not started yet
        (W.PENDING, P.FAIL_FAST, [(J.SUCCEEDED, None)], W.PENDING),
        (W.PENDING, P.MANUAL, [(J.FAILED, None)], W.PENDING),
        # manual: a failed job pauses while the workflow is not terminal
        (W.RUNNING, P.MANUAL, [(J.FAILED, None), (J.PROCESSING, None)], W.PAUSED),
        (W.RUNNING, P.MANUAL, [(J.FAILED, None), (J.SUCCEEDED, None)], W.PAUSED),
        (W.PAUSED, P.MANUAL, [(J.FAILED, None)], W.PAUSED),
        (W.FAILED, P.MANUAL, [(J.FAILED, None)], W.FAILED),
        (W.PAUSED, P.MANUAL, [(J.PENDING, None), (J.SUCCEEDED, None)], W.RUNNING),  # retried
        (W.PAUSED, P.MANUAL, [(J.SKIPPED, None), (J.SUCCEEDED, None)], W.SUCCEEDED),  # skipped
        # everything ended, something failed
        (W.RUNNING, P.FAIL_FAST, [(J.FAILED, None), (J.CANCELLED, "dependency_failed")], W.FAILED),
        (W.RUNNING, P.CONTINUE_ON_FAILURE, [(J.SUCCEEDED, None), (J.FAILED, None)], W.FAILED),
        (W.RUNNING, P.FAIL_FAST, [(J.SUCCEEDED, None), (J.CANCELLED, "timeout")], W.FAILED),
        (W.RUNNING, P.FAIL_FAST, [(J.CANCELLED, None)], W.FAILED),
        # everything ended well
        (W.RUNNING, P.FAIL_FAST, [(J.SUCCEEDED, None), (J.SKIPPED, None)], W.SUCCEEDED),
        (W.RUNNING, P.CONTINUE_ON_FAILURE, [(J.SUCCEEDED, None), (J.CANCELLED, USER)], W.SUCCEEDED),
        (W.RUNNING, P.FAIL_FAST, [], W.SUCCEEDED),
        (W.FAILED, P.FAIL_FAST, [(J.SUCCEEDED, None)], W.SUCCEEDED),  # after a retry
        # still going
        (W.RUNNING, P.FAIL_FAST, [(J.FAILED, None), (J.PROCESSING, None)], W.RUNNING),
        (W.RUNNING, P.CONTINUE_ON_FAILURE, [(J.FAILED, None), (J.SCHEDULED, None)], W.RUNNING),
        (W.PAUSED, P.FAIL_FAST, [(J.FAILED, None), (J.PENDING, None)], W.RUNNING),
        (W.FAILED, P.FAIL_FAST, [(J.PENDING, None)], W.RUNNING),  # failed jobs retried
        (W.SUCCEEDED, P.FAIL_FAST, [(J.PENDING, None)], W.RUNNING),
    ],
)  # fmt: skip
def test_derive_status(current, policy, jobs, expected) -> None:
    assert derive_status(current, policy, iter(jobs)) is expected


def test_rules_are_ordered_and_each_fires_alone() -> None:
    assert [status for _, _, status in RULES] == [
        W.CANCELLED, W.PENDING, W.PAUSED, W.FAILED, W.SUCCEEDED, W.RUNNING,
    ]  # fmt: skip
    manual = facts(W.RUNNING, P.MANUAL, [(J.FAILED, None), (J.PROCESSING, None)])
    assert [why for why, when, _ in RULES if when(manual)] == [
        "manual policy: a failed job waits for the operator to retry, skip or abort",
        "still going",
    ]
    clean = facts(W.RUNNING, P.FAIL_FAST, [(J.SUCCEEDED, None), (J.CANCELLED, USER)])
    assert clean.all_ended and not clean.any_bad and not clean.any_failed


def test_terminal_workflow_statuses() -> None:
    assert frozenset({W.SUCCEEDED, W.FAILED, W.CANCELLED}) == TERMINAL_WORKFLOW


# --- stats ----------------------------------------------------------------------------


def test_stats_count_every_status() -> None:
    out = stats(Counter([J.SUCCEEDED, J.SUCCEEDED, J.FAILED, J.PROCESSING, J.PENDING, J.SKIPPED]))
    assert out["total"] == 6
    assert out["counts"] == {
        "PENDING": 1, "SCHEDULED": 0, "PROCESSING": 1, "SUCCEEDED": 2,
        "FAILED": 1, "CANCELLED": 0, "SKIPPED": 1,
    }  # fmt: skip
    assert out["completed"] == 4
    assert out["completionPercentage"] == 66.7


def test_stats_of_an_empty_workflow() -> None:
    out = stats(Counter([]))
    assert out == {
        "total": 0,
        "counts": dict.fromkeys((s.value for s in JobStatus), 0),
        "completed": 0,
        "completionPercentage": 100.0,
    }
    assert stats(Counter([J.CANCELLED, J.PENDING, J.PENDING]))["completionPercentage"] == 33.3
