"""Root Query, Mutation and Subscription types and the schema object."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import strawberry
from graphql import ASTValidationRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as aliases_validator
from strawberry.extensions.query_depth_limiter import IgnoreContext
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator
from strawberry.schema.config import StrawberryConfig

from taskforge.config import Limits
from taskforge.resolvers import audit as audit_r
from taskforge.resolvers import fleet as fleet_r
from taskforge.resolvers import job_admin as job_admin_r
from taskforge.resolvers import jobs as job_r
from taskforge.resolvers import organizations as org_r
from taskforge.resolvers import queues as queue_r
from taskforge.resolvers import schedules as schedule_r
from taskforge.resolvers import subscriptions as sub_r
from taskforge.resolvers import templates as template_r
from taskforge.resolvers import tenancy as tenancy_r
from taskforge.resolvers import users as users_r
from taskforge.resolvers import webhooks as webhook_r
from taskforge.resolvers import workers as worker_r
from taskforge.resolvers import workflows as wf_r
from taskforge.schema import audit_types as audit_t
from taskforge.schema import execution_types as x
from taskforge.schema import schedule_types as sch
from taskforge.schema import template_types as tt
from taskforge.schema import types as t
from taskforge.schema import user_types as u
from taskforge.schema import webhook_types as wh
from taskforge.schema import workflow_types as w
from taskforge.schema.boundary import guard
from taskforge.schema.caching import DocumentCache
from taskforge.schema.errors import OperationScope, TaskForgeSchema
from taskforge.schema.introspection import IntrospectionDisabled, quiet_executor, quiet_validation
from taskforge.schema.shared_events import SharedEventExecutor
from taskforge.schema.tracing import extensions as tracing_extensions


@strawberry.type
class Query:
    viewer: t.Viewer = strawberry.field(resolver=tenancy_r.viewer)
    projects: t.Connection[t.Project] = strawberry.field(resolver=tenancy_r.projects)
    project: t.Project = strawberry.field(resolver=tenancy_r.project)
    queues: t.Connection[t.Queue] = strawberry.field(resolver=queue_r.queues_)
    queue: t.Queue = strawberry.field(resolver=queue_r.queue)
    jobs: t.Connection[t.Job] = strawberry.field(resolver=job_r.jobs_)
    job: t.Job = strawberry.field(resolver=job_r.job)
    workers: t.Connection[x.Worker] = strawberry.field(resolver=worker_r.workers_)
    worker: x.Worker = strawberry.field(resolver=worker_r.worker)
    check_dependencies: w.DependencyCheck = strawberry.field(resolver=wf_r.check_dependencies)
    dependency_graph: w.Graph = strawberry.field(resolver=wf_r.dependency_graph)
    workflows: t.Connection[w.Workflow] = strawberry.field(resolver=wf_r.workflows_)
    workflow: w.Workflow = strawberry.field(resolver=wf_r.workflow)
    workflow_templates: t.Connection[tt.WorkflowTemplate] = strawberry.field(
        resolver=template_r.workflow_templates
    )
    workflow_template: tt.WorkflowTemplate = strawberry.field(resolver=template_r.workflow_template)
    schedules: t.Connection[sch.Schedule] = strawberry.field(resolver=schedule_r.schedules_)
    schedule: sch.Schedule = strawberry.field(resolver=schedule_r.schedule)
    schedule_summary: sch.ScheduleSummary = strawberry.field(resolver=schedule_r.schedule_summary)
    preview_schedule: list[datetime] = strawberry.field(resolver=schedule_r.preview_schedule)
    users: t.Connection[t.User] = strawberry.field(resolver=users_r.users_)
    invitations: t.Connection[u.Invitation] = strawberry.field(resolver=users_r.invitations)
    api_keys: t.Connection[t.ApiKey] = strawberry.field(resolver=users_r.api_keys)
    audit_log: t.Connection[audit_t.AuditEntry] = strawberry.field(resolver=audit_r.audit_log)
    execution: x.Execution = strawberry.field(resolver=job_admin_r.execution)
    webhooks: t.Connection[wh.Webhook] = strawberry.field(resolver=webhook_r.webhooks_)
    webhook_deliveries: t.Connection[wh.WebhookDelivery] = strawberry.field(
        resolver=webhook_r.webhook_deliveries
    )


@strawberry.type
class Mutation:
    login: t.LoginPayload = strawberry.mutation(resolver=tenancy_r.login)
    create_api_key: t.CreateApiKeyPayload = strawberry.mutation(resolver=tenancy_r.create_api_key)
    revoke_api_key: t.ApiKey = strawberry.mutation(resolver=tenancy_r.revoke_api_key)
    create_project: t.Project = strawberry.mutation(resolver=tenancy_r.create_project)
    create_queue: t.Queue = strawberry.mutation(resolver=queue_r.create_queue)
    update_queue: t.Queue = strawberry.mutation(resolver=queue_r.update_queue)
    delete_queue: strawberry.ID = strawberry.mutation(resolver=queue_r.delete_queue)
    enqueue_job: t.Job = strawberry.mutation(resolver=job_r.enqueue_job)
    enqueue_jobs: list[t.Job] = strawberry.mutation(
        resolver=job_r.enqueue_jobs, graphql_type=list[t.Job]
    )
    enqueue_job_batch: t.JobBatch = strawberry.mutation(
        resolver=job_r.enqueue_job_batch,
        description="Enqueue many jobs of one queue and job type, one payload each, by the "
        "rules of enqueueJobs (one transaction, the same limits and quota): the fast path "
        "for large batches.",
    )
    cancel_job: t.Job = strawberry.mutation(resolver=job_r.cancel_job)
    delete_job: strawberry.ID = strawberry.mutation(resolver=job_r.delete_job)
    register_worker: x.Worker = strawberry.mutation(resolver=worker_r.register_worker)
    worker_heartbeat: x.HeartbeatPayload = strawberry.mutation(resolver=worker_r.worker_heartbeat)
    drain_worker: x.Worker = strawberry.mutation(resolver=worker_r.drain_worker)
    claim_jobs: list[x.ClaimedJob] = strawberry.mutation(resolver=worker_r.claim_jobs)
    complete_job: t.Job = strawberry.mutation(resolver=worker_r.complete_job)
    fail_job: t.Job = strawberry.mutation(resolver=worker_r.fail_job)
    complete_jobs: list[x.AckResult] = strawberry.mutation(resolver=worker_r.complete_jobs)
    fail_jobs: list[x.AckResult] = strawberry.mutation(resolver=worker_r.fail_jobs)
    acknowledge_jobs: x.AcknowledgeJobsPayload = strawberry.mutation(
        resolver=worker_r.acknowledge_jobs
    )
    append_logs: int = strawberry.mutation(resolver=worker_r.append_logs)
    report_progress: x.Execution = strawberry.mutation(
        resolver=worker_r.report_progress,
        description="A running attempt's progress, by executionId or jobId (workers"
        " permission; the SDK sends ctx.progress itself). jobStatusChanged carries it.",
    )
    spawn_jobs: list[t.Job] = strawberry.mutation(
        resolver=worker_r.spawn_jobs,
        description="Add jobs to the workflow of a running job (workers permission; the"
        " SDK's ctx.spawn): each waits for nothing, and what waits for the spawner waits"
        " for them too. At most 1000 a call, within TASKFORGE_LIMIT_WORKFLOW_JOBS.",
    )
    sync_job_status: x.SyncJobStatusPayload = strawberry.mutation(resolver=worker_r.sync_job_status)
    cleanup_orphans: x.CleanupOrphansPayload = strawberry.mutation(
        resolver=worker_r.cleanup_orphans
    )
    create_dependency: w.Dependency = strawberry.mutation(resolver=wf_r.create_dependency)
    delete_dependency: strawberry.ID = strawberry.mutation(resolver=wf_r.delete_dependency)
    create_workflow: w.Workflow = strawberry.mutation(resolver=wf_r.create_workflow)
    start_workflow: w.Workflow = strawberry.mutation(resolver=wf_r.start_workflow)
    cancel_workflow: w.Workflow = strawberry.mutation(resolver=wf_r.cancel_workflow)
    retry_workflow: w.Workflow = strawberry.mutation(resolver=wf_r.retry_workflow)
    resume_workflow: w.Workflow = strawberry.mutation(resolver=wf_r.resume_workflow)
    delete_workflow: strawberry.ID = strawberry.mutation(resolver=wf_r.delete_workflow)
    create_workflow_template: tt.WorkflowTemplate = strawberry.mutation(
        resolver=template_r.create_workflow_template,
        description="Save a definition as the next version of the template its name names.",
    )
    create_schedule: sch.Schedule = strawberry.mutation(resolver=schedule_r.create_schedule)
    update_schedule: sch.Schedule = strawberry.mutation(resolver=schedule_r.update_schedule)
    pause_schedule: sch.Schedule = strawberry.mutation(resolver=schedule_r.pause_schedule)
    resume_schedule: sch.Schedule = strawberry.mutation(resolver=schedule_r.resume_schedule)
    trigger_schedule: sch.Schedule = strawberry.mutation(resolver=schedule_r.trigger_schedule)
    backfill_schedule: sch.BackfillResult = strawberry.mutation(
        resolver=schedule_r.backfill_schedule,
        description="Fire each past occurrence of [from, to] that has not fired, once (a "
        "repeat creates nothing new), at most 1000 a call; their runs start at the "
        "backfill rate. The overlap policy does not apply to them.",
    )
    delete_schedule: strawberry.ID = strawberry.mutation(resolver=schedule_r.delete_schedule)
    # administration: projects, queues, workers and assignments
    update_project: t.Project = strawberry.mutation(resolver=fleet_r.update_project)
    delete_project: strawberry.ID = strawberry.mutation(resolver=fleet_r.delete_project)
    pause_queue: t.Queue = strawberry.mutation(resolver=fleet_r.pause_queue)
    resume_queue: t.Queue = strawberry.mutation(resolver=fleet_r.resume_queue)
    delete_worker: strawberry.ID = strawberry.mutation(resolver=fleet_r.delete_worker)
    assign_queue: x.Worker = strawberry.mutation(resolver=fleet_r.assign_queue)
    unassign_queue: x.Worker = strawberry.mutation(resolver=fleet_r.unassign_queue)
    update_assignment: x.Worker = strawberry.mutation(resolver=fleet_r.update_assignment)
    invite_user: u.InviteUserPayload = strawberry.mutation(resolver=users_r.invite_user)
    revoke_invitation: u.Invitation = strawberry.mutation(resolver=users_r.revoke_invitation)
    accept_invitation: t.LoginPayload = strawberry.mutation(resolver=users_r.accept_invitation)
    update_user_role: t.User = strawberry.mutation(resolver=users_r.update_user_role)
    deactivate_user: t.User = strawberry.mutation(resolver=users_r.deactivate_user)
    change_password: t.LoginPayload = strawberry.mutation(resolver=users_r.change_password)
    sign_up: t.LoginPayload = strawberry.mutation(
        resolver=org_r.sign_up,
        description="Create an organization with its first admin, logged in "
        "(TASKFORGE_SIGNUP=open; else FORBIDDEN).",
    )
    update_organization: t.Organization = strawberry.mutation(
        resolver=org_r.update_organization,
        description="Rename the caller's organization or change its billing email (admins).",
    )
    retry_job: t.Job = strawberry.mutation(resolver=job_admin_r.retry_job)
    update_job: t.Job = strawberry.mutation(resolver=job_admin_r.update_job)
    cancel_jobs: int = strawberry.mutation(
        resolver=job_admin_r.cancel_jobs, description="Jobs cancelled (in batches)."
    )
    retry_jobs: int = strawberry.mutation(
        resolver=job_admin_r.retry_jobs, description="Jobs reopened (in batches)."
    )
    # webhooks (admins)
    create_webhook: wh.CreateWebhookPayload = strawberry.mutation(resolver=webhook_r.create_webhook)
    update_webhook: wh.Webhook = strawberry.mutation(resolver=webhook_r.update_webhook)
    delete_webhook: strawberry.ID = strawberry.mutation(resolver=webhook_r.delete_webhook)
    redeliver_webhook_delivery: wh.WebhookDelivery = strawberry.mutation(
        resolver=webhook_r.redeliver_webhook_delivery,
        description="Send a delivery's body again, as a new delivery after those made so far.",
    )


@strawberry.type
class Subscription:
    job_status_changed = strawberry.subscription(resolver=sub_r.job_status_changed)
    workflow_progress = strawberry.subscription(resolver=sub_r.workflow_progress)
    scheduler_ticks = strawberry.subscription(resolver=sub_r.scheduler_ticks)
    jobs_available = strawberry.subscription(resolver=sub_r.jobs_available)
    execution_logs = strawberry.subscription(
        resolver=sub_r.execution_logs,
        description="An execution's log entries: the stored ones after `after` (without"
        " it, from the first), then each as the worker sends it (jobs:read).",
    )


guard(Query, Mutation, Subscription)


def _introspection(ctx: IgnoreContext) -> bool:
    return ctx.field_name.startswith("__")


def build_schema(
    limits: Limits, introspection: bool = True, extra: Sequence[type[SchemaExtension]] = ()
) -> strawberry.Schema:
    """The schema; with ``introspection`` off it refuses ``__schema``/``__type`` and
    its errors suggest no names (see ``schema/introspection.py``)."""
    # Rules are built once: ValidationCache keys on them, so per-request rule classes
    # (what QueryDepthLimiter and MaxAliasesLimiter create) would never hit the cache.
    rules: list[type[ASTValidationRule]] = [
        depth_validator(limits.query_depth, _introspection),
        aliases_validator(limits.query_aliases),
    ]
    if not introspection:
        rules.append(IntrospectionDisabled)
    documents = DocumentCache(256)
    return TaskForgeSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(auto_camel_case=True),
        execution_context_class=(
            SharedEventExecutor if introspection else quiet_executor(SharedEventExecutor)
        ),
        extensions=[
            OperationScope,
            lambda: AddValidationRules(rules),
            lambda: MaxTokensLimiter(max_token_count=limits.query_tokens),
            documents.extension(),
            (lambda: ValidationCache(maxsize=256)) if introspection else quiet_validation(256),
            *extra,  # the app's (metrics)
            *tracing_extensions(),
        ],
    )
