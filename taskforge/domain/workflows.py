"""Workflows (seeds 000, 002): parsing a JSON/YAML definition, deriving the status, stats.

A definition is validated as a whole before anything is stored: every job, every
dependency name, then the graph (cycles, size, depth). Errors carry the path of the
offending value, e.g. ``jobs[3].depends_on``, so a client can point at it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, TypeVar

import orjson
import yaml

from taskforge.domain import dag, references, run_input, validation
from taskforge.domain.enums import (
    DependencyCondition,
    DependencyType,
    FailurePolicy,
    JobStatus,
    TriggerRule,
    WorkflowStatus,
)
from taskforge.domain.errors import InvalidInput
from taskforge.domain.inputs import MAX_JSON_DEPTH, check_json, check_text
from taskforge.domain.jobs import TERMINAL
from taskforge.domain.templates import WORKFLOW_JOB_TYPE, TemplateRef
from taskforge.domain.templates import version as template_version

E = TypeVar("E", bound=StrEnum)
W, J = WorkflowStatus, JobStatus

TERMINAL_WORKFLOW: frozenset[WorkflowStatus] = frozenset({W.SUCCEEDED, W.FAILED, W.CANCELLED})


@dataclass(frozen=True)
class JobDef:
    name: str
    job_type: str
    queue: str | None
    payload: dict[str, Any]
    priority: int
    max_attempts: int | None
    # when it may run, read from its incoming edges (ignored by a job without any)
    trigger_rule: TriggerRule = TriggerRule.ALL_SUCCESS
    # a workflow job: the template it starts as a child run (its payload says so too)
    workflow: TemplateRef | None = None
    # its payload has references ({{ input.x }}, {{ parents.NAME.output.x }}): it is
    # kept as the job's template and resolved when the job becomes ready
    has_references: bool = False
    # the list it maps over (``parents.NAME.output.PATH`` or ``input.PATH``, braces
    # stripped): the job is a template whose children, one per item, run instead of it
    map_over: str | None = None


@dataclass(frozen=True)
class EdgeDef:
    parent: str
    child: str
    type: DependencyType
    condition: DependencyCondition
    expression: str | None


@dataclass(frozen=True)
class WorkflowDefinition:
    name: str
    description: str | None
    failure_policy: FailurePolicy
    timeout_seconds: int | None
    priority: int
    jobs: tuple[JobDef, ...]
    edges: tuple[EdgeDef, ...]
    # JSON Schema (draft 2020-12) of the run's input; None: any object
    input_schema: dict[str, Any] | None = None

    @property
    def has_references(self) -> bool:
        return any(job.has_references for job in self.jobs)

    @property
    def map_templates(self) -> int:
        return sum(1 for job in self.jobs if job.map_over is not None)


# --- parsing -------------------------------------------------------------------------

_WORKFLOW_KEYS = frozenset(
    {"name", "description", "failure_policy", "timeout", "priority", "jobs", "input_schema"}
)
_JOB_KEYS = frozenset(
    {"name", "job_type", "queue", "payload", "priority", "max_attempts"}
    | {"depends_on", "dependencies", "trigger_rule"}  # the job's incoming edges, their rule
    | {"workflow", "input"}  # a workflow job: the template it starts, the child run's input
    | {"map_over"}  # a job made once per item of a list
)
_WORKFLOW_REF_KEYS = frozenset({"template", "version"})
# what a workflow job cannot have: it runs no handler, its payload is what it starts
_NOT_WITH_WORKFLOW = ("job_type", "payload", "max_attempts")
_DEPENDENCY_KEYS = frozenset({"job", "type", "condition", "expression"})
_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_UNITS = (86400, 3600, 60, 1)


def _snake(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()


def _fields(raw: Any, allowed: frozenset[str], where: str) -> dict[str, Any]:
    """The object's keys in snake_case; unknown keys are rejected so typos surface."""
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"{where} must be an object", field=where)
    out: dict[str, Any] = {}
    for key, value in raw.items():
        field = f"{where}.{key}" if where != "definition" else str(key)
        name = _snake(key) if isinstance(key, str) else key
        if name not in allowed:
            hint = difflib.get_close_matches(str(name), sorted(allowed), n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
            raise InvalidInput(f"unknown key '{key}' in {where}{suggestion}", field=field)
        if name in out:
            raise InvalidInput(f"{where} gives '{name}' twice", field=field)
        out[name] = value
    return out


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field} must be a non-empty string", field=field)
    return value.strip()


def _optional_text(value: Any, field: str) -> str | None:
    return None if value is None else _text(value, field)


def _optional_name(value: Any, field: str) -> str | None:
    return None if value is None else validation.name(_text(value, field), field)


def _integer(value: Any, field: str) -> int:
    # bool is an int subclass; ``priority: true`` is a mistake, not 1
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be an integer", field=field)
    return value


def _enum(cls: type[E], value: Any, field: str) -> E:
    # accept any case and '-' for '_': "continue-on-failure" is CONTINUE_ON_FAILURE
    normal = value.strip().upper().replace("-", "_") if isinstance(value, str) else ""
    try:
        return cls(normal)
    except ValueError:
        allowed = ", ".join(member.value for member in cls)
        raise InvalidInput(
            f"{field} must be one of {allowed}, got {value!r}", field=field
        ) from None


def _timeout(value: Any) -> int | None:
    if value is None:
        return None
    seconds = None
    if isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        match = _DURATION.fullmatch(text) if text else None
        if text.isdigit():
            seconds = int(text)
        elif match and any(match.groups()):
            seconds = sum(
                int(g or 0) * unit for g, unit in zip(match.groups(), _UNITS, strict=True)
            )
    elif not isinstance(value, bool) and isinstance(value, int):
        seconds = value
    if seconds is None or seconds <= 0:
        raise InvalidInput(
            f"timeout must be a positive number of seconds or a duration like '1h30m', "
            f"got {value!r}",
            field="timeout",
        )
    return seconds


def _load(source: str | Mapping[str, Any], max_bytes: int) -> Any:
    """The definition as data, checked as one JSON value (``inputs.check_json``): its
    payloads are stored as they are, and as a whole it is stored when given as data."""
    if not isinstance(source, str):
        return check_json(source, "definition", max_bytes)
    check_text(source, "definition")
    if len(source.encode()) > max_bytes:
        raise InvalidInput(f"definition is over {max_bytes} bytes", field="definition")
    try:  # orjson: stops at a fixed depth instead of recursing without bound
        loaded = orjson.loads(source)
    except orjson.JSONDecodeError as exc:
        if exc.msg.startswith("depth limit"):  # JSON, and far too deep: no YAML parse
            raise _too_deep() from None
        try:
            loaded = yaml.safe_load(source)
        except yaml.YAMLError as exc:
            raise InvalidInput(
                f"definition is neither JSON nor YAML: {exc}", field="definition"
            ) from None
        except RecursionError:  # PyYAML composes nested collections recursively
            raise _too_deep() from None
    # YAML aliases may share one node many times: the budget counts every visit
    return check_json(loaded, "definition", max_bytes)


def load_definition(source: str | Mapping[str, Any], max_bytes: int) -> Any:
    """The definition as data (JSON or YAML text parsed), checked as one JSON value:
    what a template stores."""
    return _load(source, max_bytes)


def _too_deep() -> InvalidInput:
    return InvalidInput(
        f"definition is nested deeper than {MAX_JSON_DEPTH} levels",
        field="definition",
        rule="depth",
    )


def _job(f: Mapping[str, Any], where: str, default_priority: int, payload_bytes: int) -> JobDef:
    if f.get("workflow") is not None:
        if f.get("map_over") is not None:
            raise InvalidInput(
                f"{where}.map_over: a workflow job cannot map over a list; map a job that"
                " runs a handler",
                field=f"{where}.map_over",
            )
        return _workflow_job(f, where, default_priority, payload_bytes)
    if "input" in f:
        raise InvalidInput(
            f"{where}.input is the input of a workflow job's child run; give 'workflow' too",
            field=f"{where}.input",
        )
    name = validation.name(_text(f.get("name"), f"{where}.name"), f"{where}.name")
    job_type = _text(f.get("job_type"), f"{where}.job_type")
    try:
        validation.job_type(job_type)
    except InvalidInput as exc:  # the shared rule names the API field; point at ours
        raise InvalidInput(f"{where}.job_type: {exc.message}", field=f"{where}.job_type") from None
    payload = f.get("payload")
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise InvalidInput(f"{where}.payload must be an object", field=f"{where}.payload")
    validation.json_payload(payload, payload_bytes, field=f"{where}.payload")
    max_attempts = f.get("max_attempts")
    if max_attempts is not None:
        field = f"{where}.max_attempts"
        if not 1 <= _integer(max_attempts, field) <= 100:
            raise InvalidInput(
                f"{field} must be between 1 and 100, got {max_attempts}", field=field
            )
    priority = _integer(f.get("priority", default_priority), f"{where}.priority")
    return JobDef(
        name=name,
        job_type=job_type,
        queue=_optional_name(f.get("queue"), f"{where}.queue"),
        payload=payload,
        priority=validation.priority(priority, f"{where}.priority"),
        max_attempts=max_attempts,
        trigger_rule=_trigger_rule(f, where),
        map_over=_map_over(f, where),
    )


# a template waits for its children by its rule, its own parents' edges included: these
# rules would be met by those edges again at once (ONE_SUCCESS: the parent that released
# it), so the children could not decide it
_NOT_FOR_MAP = (TriggerRule.ONE_SUCCESS, TriggerRule.ONE_FAILED)


def _map_over(f: Mapping[str, Any], where: str) -> str | None:
    """The list a job maps over, its syntax checked (its parent is checked with the
    edges); None for a job that does not map."""
    value = f.get("map_over")
    if value is None:
        return None
    field = f"{where}.map_over"
    try:
        source = references.map_source(_text(value, field)).source
    except ValueError as exc:
        raise InvalidInput(f"{field}: {exc}", field=field) from None
    rule = _trigger_rule(f, where)
    if rule in _NOT_FOR_MAP:
        allowed = ", ".join(r.value for r in TriggerRule if r not in _NOT_FOR_MAP)
        raise InvalidInput(
            f"{where}.trigger_rule: a job with map_over waits for its children by"
            f" {allowed}, not {rule.value}",
            field=f"{where}.trigger_rule",
        )
    return source


def _trigger_rule(f: Mapping[str, Any], where: str) -> TriggerRule:
    return _enum(TriggerRule, f.get("trigger_rule", "ALL_SUCCESS"), f"{where}.trigger_rule")


def _workflow_job(
    f: Mapping[str, Any], where: str, default_priority: int, payload_bytes: int
) -> JobDef:
    """A job of kind ``workflow``: ``workflow: {template, version?}`` and ``input``."""
    name = validation.name(_text(f.get("name"), f"{where}.name"), f"{where}.name")
    for key in _NOT_WITH_WORKFLOW:
        if key in f:
            raise InvalidInput(
                f"{where}.{key}: a workflow job runs a template, not a handler; "
                f"remove '{key}' or 'workflow'",
                field=f"{where}.{key}",
            )
    at = f"{where}.workflow"
    r = _fields(f["workflow"], _WORKFLOW_REF_KEYS, at)
    template = validation.name(_text(r.get("template"), f"{at}.template"), f"{at}.template")
    pinned = r.get("version")
    ref = TemplateRef(
        template, None if pinned is None else template_version(pinned, f"{at}.version")
    )
    given = f.get("input")
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise InvalidInput(f"{where}.input must be an object", field=f"{where}.input")
    validation.json_payload(given, payload_bytes, field=f"{where}.input")
    priority = _integer(f.get("priority", default_priority), f"{where}.priority")
    return JobDef(
        name=name,
        job_type=WORKFLOW_JOB_TYPE,
        queue=_optional_name(f.get("queue"), f"{where}.queue"),
        payload=ref.payload(given),
        priority=validation.priority(priority, f"{where}.priority"),
        max_attempts=None,
        trigger_rule=_trigger_rule(f, where),
        workflow=ref,
    )


def _edges(f: Mapping[str, Any], child: str, where: str) -> list[tuple[EdgeDef, str]]:
    """The job's incoming edges, each with the field it came from."""
    out: list[tuple[EdgeDef, str]] = []
    depends_on = f.get("depends_on") or []
    if isinstance(depends_on, str):  # a lone name is a one-element list
        depends_on = [depends_on]
    field = f"{where}.depends_on"
    if not isinstance(depends_on, list):
        raise InvalidInput(f"{field} must be a list of job names", field=field)
    for parent in depends_on:
        edge = EdgeDef(
            _text(parent, field),
            child,
            DependencyType.SEQUENTIAL,
            DependencyCondition.SUCCEEDED,
            None,
        )
        out.append((edge, field))
    dependencies = f.get("dependencies") or []
    if not isinstance(dependencies, list):
        raise InvalidInput(f"{where}.dependencies must be a list", field=f"{where}.dependencies")
    for j, item in enumerate(dependencies):
        at = f"{where}.dependencies[{j}]"
        d = _fields(item, _DEPENDENCY_KEYS, at)
        kind = _enum(DependencyType, d.get("type", "SEQUENTIAL"), f"{at}.type")
        expression = _optional_text(d.get("expression"), f"{at}.expression")
        if expression is not None and kind is not DependencyType.CONDITIONAL:
            raise InvalidInput(
                f"{at}.expression is only allowed on a CONDITIONAL dependency, not {kind.value}",
                field=f"{at}.expression",
            )
        condition = d.get("condition", "SUCCEEDED")
        edge = EdgeDef(
            parent=_text(d.get("job"), f"{at}.job"),
            child=child,
            type=kind,
            condition=_enum(DependencyCondition, condition, f"{at}.condition"),
            expression=expression,
        )
        out.append((edge, f"{at}.job"))
    return out


def _check_edges(edges: list[tuple[EdgeDef, str]], names: set[str]) -> None:
    seen: set[tuple[str, str]] = set()
    for edge, field in edges:
        if edge.parent not in names:
            raise InvalidInput(
                f"job '{edge.child}' depends on unknown job '{edge.parent}'", field=field
            )
        if edge.parent == edge.child:
            raise InvalidInput(f"job '{edge.child}' depends on itself", field=field)
        if (edge.parent, edge.child) in seen:
            raise InvalidInput(
                f"job '{edge.child}' depends on '{edge.parent}' more than once", field=field
            )
        seen.add((edge.parent, edge.child))


def parse_definition(
    source: str | Mapping[str, Any],
    *,
    max_jobs: int,
    max_depth: int,
    payload_bytes: int,
    max_bytes: int = 4 * 1024 * 1024,
) -> WorkflowDefinition:
    """The definition (data, or JSON or YAML text of at most ``max_bytes``), validated."""
    f = _fields(_load(source, max_bytes), _WORKFLOW_KEYS, "definition")
    name = validation.name(_text(f.get("name"), "name"))
    description = validation.description(_optional_text(f.get("description"), "description"))
    policy = _enum(FailurePolicy, f.get("failure_policy", "FAIL_FAST"), "failure_policy")
    timeout = _timeout(f.get("timeout"))
    priority = validation.priority(_integer(f.get("priority", 5), "priority"))
    raw_jobs = f.get("jobs")
    if not isinstance(raw_jobs, list) or not raw_jobs:
        raise InvalidInput("jobs must be a non-empty list", field="jobs")
    jobs: list[JobDef] = []
    edges: list[tuple[EdgeDef, str]] = []
    names: set[str] = set()
    for i, raw in enumerate(raw_jobs):
        where = f"jobs[{i}]"
        fields = _fields(raw, _JOB_KEYS, where)
        job = _job(fields, where, priority, payload_bytes)
        if job.name in names:
            raise InvalidInput(f"job name '{job.name}' is used twice", field=f"{where}.name")
        names.add(job.name)
        jobs.append(job)
        edges.extend(_edges(fields, job.name, where))
    # names first, so a cycle or depth error never mentions a job that does not exist
    _check_edges(edges, names)
    jobs = _with_references(jobs, [edge for edge, _ in edges])
    order = [job.name for job in jobs]
    pairs = [(edge.parent, edge.child) for edge, _ in edges]
    if (cycle := dag.find_cycle(order, pairs)) is not None:
        raise dag.cycle_error(cycle)
    dag.check_limits(order, pairs, max_jobs, max_depth)
    schema = f.get("input_schema")
    return WorkflowDefinition(
        name=name,
        description=description,
        failure_policy=policy,
        timeout_seconds=timeout,
        priority=priority,
        jobs=tuple(jobs),
        edges=tuple(edge for edge, _ in edges),
        input_schema=None if schema is None else run_input.check_schema(schema),
    )


def _with_references(jobs: list[JobDef], edges: list[EdgeDef]) -> list[JobDef]:
    """The jobs, each marked if its payload (a workflow job's: its ``input``, there) has
    references, each checked: it names the run's input or one of the job's direct
    parents, not across a PARALLEL edge. A job that maps over a list is never marked:
    its children's payloads are resolved from its own, item by item, when they are made
    (services/mapping), and its own is never resolved."""
    parents: dict[str, set[str]] = {}
    parallel: dict[str, set[str]] = {}
    for edge in edges:
        parents.setdefault(edge.child, set()).add(edge.parent)
        if edge.type is DependencyType.PARALLEL:
            parallel.setdefault(edge.child, set()).add(edge.parent)
    templates = {job.name for job in jobs if job.map_over is not None}
    out: list[JobDef] = []
    for i, job in enumerate(jobs):
        mine = parents.get(job.name, set())
        if job.map_over is not None:
            source = references.map_source(job.map_over)
            references.check_parent(job.name, source, mine, f"jobs[{i}].map_over")
            if source.parent in parallel.get(job.name, set()):
                raise InvalidInput(
                    f"job '{job.name}' maps over parents.{source.parent}, but its dependency"
                    f" on '{source.parent}' is PARALLEL: it has no output yet",
                    field=f"jobs[{i}].map_over",
                )
        if (bracket := _MAPPED_NAME.fullmatch(job.name)) and bracket.group(1) in templates:
            raise InvalidInput(
                f"job name '{job.name}' is kept for a child of '{bracket.group(1)}', which"
                " maps over a list",
                field=f"jobs[{i}].name",
            )
        marked = references.check(
            job.name,
            job.payload,
            mine,
            f"jobs[{i}].{'payload' if job.workflow is None else 'input'}",
            parallel=parallel.get(job.name, set()),
            mapped=job.map_over is not None,
        )
        out.append(replace(job, has_references=True) if marked and not job.map_over else job)
    return out


# a mapped child's name: its template's and its index, ``rows[3]``
_MAPPED_NAME = re.compile(r"(.*)\[(\d+)\]", re.S)


def mapped_name(template: str, index: int) -> str:
    return f"{template}[{index}]"


# --- status --------------------------------------------------------------------------

CANCELLED_BY_USER = "cancelled_by_user"


@dataclass(frozen=True)
class Facts:
    """What the rules look at, computed once from the jobs."""

    current: WorkflowStatus
    policy: FailurePolicy
    any_failed: bool  # some job is FAILED
    all_ended: bool  # every job is terminal (true when there are none)
    any_bad: bool  # FAILED, or CANCELLED for a reason other than the user asking


# (why, when, status): the first row whose condition holds decides
RULES: tuple[tuple[str, Callable[[Facts], bool], WorkflowStatus], ...] = (
    ("cancelled stays cancelled", lambda f: f.current is W.CANCELLED, W.CANCELLED),
    ("not started yet", lambda f: f.current is W.PENDING, W.PENDING),
    (
        "manual policy: a failed job waits for the operator to retry, skip or abort",
        lambda f: (
            f.policy is FailurePolicy.MANUAL and f.current not in TERMINAL_WORKFLOW and f.any_failed
        ),
        W.PAUSED,
    ),
    ("everything ended, something failed", lambda f: f.all_ended and f.any_bad, W.FAILED),
    ("everything ended well", lambda f: f.all_ended, W.SUCCEEDED),
    ("still going", lambda f: True, W.RUNNING),
)


def facts(
    current: WorkflowStatus, policy: FailurePolicy, jobs: Iterable[tuple[JobStatus, str | None]]
) -> Facts:
    states = list(jobs)
    return Facts(
        current=current,
        policy=policy,
        any_failed=any(status is J.FAILED for status, _ in states),
        all_ended=all(status in TERMINAL for status, _ in states),
        # a job the user cancelled on purpose is no failure; one cancelled because
        # a dependency failed (or for any other reason) is
        any_bad=any(
            status is J.FAILED or (status is J.CANCELLED and reason != CANCELLED_BY_USER)
            for status, reason in states
        ),
    )


def derive_status(
    current: WorkflowStatus, policy: FailurePolicy, jobs: Iterable[tuple[JobStatus, str | None]]
) -> WorkflowStatus:
    known = facts(current, policy, jobs)
    return next(status for _, when, status in RULES if when(known))


def stats(per_status: Mapping[JobStatus, int]) -> dict[str, Any]:
    """Counts per status (every status listed), total, completed and percentage."""
    counts = dict.fromkeys((s.value for s in JobStatus), 0)
    for status, n in per_status.items():
        counts[status.value] += n
    total = sum(counts.values())
    completed = sum(counts[s.value] for s in TERMINAL)
    percentage = round(100 * completed / total, 1) if total else 100.0
    return {
        "total": total,
        "counts": counts,
        "completed": completed,
        "completionPercentage": percentage,
    }
