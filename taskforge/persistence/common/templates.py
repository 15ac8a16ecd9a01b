"""Workflow templates: versions by name, listings, the lock that orders saves, and the
reads sub-workflows need (workflow jobs among released jobs, child runs of jobs).
Portable statements; every read of templates is scoped to the organization and project.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from taskforge.domain.enums import JobStatus
from taskforge.domain.templates import WORKFLOW_JOB_TYPE, Node
from taskforge.domain.workflows import TERMINAL_WORKFLOW
from taskforge.persistence.store import store_of
from taskforge.persistence.tables import Job, JobDependency, Workflow, WorkflowTemplate

T = WorkflowTemplate


def _of(org_id: uuid.UUID, project_id: uuid.UUID) -> Select[WorkflowTemplate]:
    return select(T).where(T.organization_id == org_id, T.project_id == project_id)


async def lock_saves(session: AsyncSession, project_id: uuid.UUID) -> None:
    """Serialize template saves of a project (an advisory lock of its own space): each
    save then numbers its version and checks for cycles against what the previous one
    committed. Nothing else waits on it."""
    digest = hashlib.blake2b(project_id.bytes, digest_size=8, person=b"tf.templates").digest()
    await store_of(session).xact_lock(session, int.from_bytes(digest, "big", signed=True))


async def latest_versions(
    session: AsyncSession, org_id: uuid.UUID, project_id: uuid.UUID, names: Iterable[str]
) -> dict[str, int]:
    """The latest version of each of these names that has one."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    stmt = (
        select(T.name, func.max(T.version))
        .where(T.organization_id == org_id, T.project_id == project_id, T.name.in_(wanted))
        .group_by(T.name)
    )
    return {name: int(v) for name, v in await session.execute(stmt)}


async def versions(
    session: AsyncSession, org_id: uuid.UUID, project_id: uuid.UUID, nodes: Sequence[Node]
) -> list[WorkflowTemplate]:
    """The templates of these (name, version) pairs that exist."""
    if not nodes:
        return []
    pairs = [and_(T.name == name, T.version == v) for name, v in nodes]
    return list(await session.scalars(_of(org_id, project_id).where(or_(*pairs))))


async def get(
    session: AsyncSession,
    org_id: uuid.UUID,
    project_id: uuid.UUID,
    name: str,
    version: int | None,
) -> WorkflowTemplate | None:
    """One version of a template; ``version`` None: its latest."""
    stmt = _of(org_id, project_id).where(T.name == name)
    if version is not None:
        stmt = stmt.where(T.version == version)
    row: WorkflowTemplate | None = await session.scalar(stmt.order_by(T.version.desc()).limit(1))
    return row


def listing(
    org_id: uuid.UUID,
    project_id: uuid.UUID | None = None,
    name: str | None = None,
    latest_only: bool = True,
) -> Select[WorkflowTemplate]:
    """The organization's templates (of a project, of a name); ``latest_only``: the
    latest version of each name alone."""
    stmt = select(T).where(T.organization_id == org_id)
    if project_id is not None:
        stmt = stmt.where(T.project_id == project_id)
    if name is not None:
        stmt = stmt.where(T.name == name)
    if latest_only:
        newer = aliased(WorkflowTemplate)
        stmt = stmt.where(
            ~select(newer.id)
            .where(
                newer.organization_id == T.organization_id,
                newer.project_id == T.project_id,
                newer.name == T.name,
                newer.version > T.version,
            )
            .exists()
        )
    return stmt


# -- sub-workflows ---------------------------------------------------------------------


async def workflow_jobs(session: AsyncSession, job_ids: Sequence[uuid.UUID]) -> list[Job]:
    """The workflow jobs among these jobs (by primary key: no scan), oldest first."""
    if not job_ids:
        return []
    stmt = (
        select(Job)
        .where(Job.id.in_(list(job_ids)), Job.job_type == WORKFLOW_JOB_TYPE)
        .order_by(Job.created_at, Job.id)
        # the engine changed them with plain UPDATEs: this session's copies are stale
        .execution_options(populate_existing=True)
    )
    return list(await session.scalars(stmt))


async def running_workflow_jobs(session: AsyncSession, workflow_id: uuid.UUID) -> list[Job]:
    """The running workflow jobs of a run, locked and read afresh (its index on
    (workflow_id, status))."""
    stmt = (
        select(Job)
        .where(
            Job.workflow_id == workflow_id,
            Job.status == JobStatus.PROCESSING,
            Job.job_type == WORKFLOW_JOB_TYPE,
        )
        .order_by(Job.id)
        .execution_options(populate_existing=True)
    )
    return list(await session.scalars(store_of(session).lock_row(stmt)))


async def lock_job(
    session: AsyncSession, org_id: uuid.UUID, job_id: uuid.UUID | None
) -> Job | None:
    """A child run's workflow job, locked and read afresh (None: it was deleted)."""
    if job_id is None:
        return None
    stmt = (
        select(Job)
        .where(Job.id == job_id, Job.organization_id == org_id)
        .execution_options(populate_existing=True)
    )
    return await session.scalar(store_of(session).lock_row(stmt))


async def subworkflow_counts(
    session: AsyncSession, workflow_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """How many workflow jobs each of these workflows has (by primary key)."""
    stmt = select(Workflow.id, Workflow.subworkflow_jobs).where(Workflow.id.in_(workflow_ids))
    return {wid: n for wid, n in await session.execute(stmt)}


async def nesting_of(
    session: AsyncSession, workflow_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """How deep each of these runs nests (0: a top-level run)."""
    ids = list(workflow_ids)
    if not ids:
        return {}
    stmt = select(Workflow.id, Workflow.nesting).where(Workflow.id.in_(ids))
    return {wid: n for wid, n in await session.execute(stmt)}


async def leaf_outputs(session: AsyncSession, workflow_id: uuid.UUID) -> dict[str, Any]:
    """The outputs of a run's succeeded jobs that no job depends on, by job name (a
    mapped child's template depends on it: its edge is implied, no row)."""
    edge = select(JobDependency.id).where(JobDependency.parent_job_id == Job.id).exists()
    stmt = select(Job.name, Job.output).where(
        Job.workflow_id == workflow_id,
        Job.status == JobStatus.SUCCEEDED,
        Job.map_parent_id.is_(None),
        ~edge,
    )
    return {name: output for name, output in await session.execute(stmt) if name is not None}


async def live_children(session: AsyncSession, job_ids: Sequence[uuid.UUID]) -> list[Workflow]:
    """The child runs of these jobs that have not ended, locked in id order."""
    if not job_ids:
        return []
    stmt = (
        select(Workflow)
        .where(
            Workflow.parent_job_id.in_(list(job_ids)),
            Workflow.status.not_in(list(TERMINAL_WORKFLOW)),
        )
        .order_by(Workflow.id)
    )
    return list(await session.scalars(store_of(session).lock_row(stmt)))


async def latest_children(
    session: AsyncSession, org_id: uuid.UUID, job_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """Each of these jobs' latest child run (a retried workflow job starts a new one)."""
    if not job_ids:
        return {}
    stmt = (
        select(Workflow.parent_job_id, Workflow.id)
        .where(Workflow.organization_id == org_id, Workflow.parent_job_id.in_(list(job_ids)))
        .order_by(Workflow.created_at, Workflow.id)
    )
    return {job: child for job, child in await session.execute(stmt) if job is not None}
