// Administration helpers: the permissions an API key may hold, an invitation's state and
// link, and where an audit entry's target lives on the dashboard.
import { ROOT } from "./root";

/** The server's permission names (taskforge.domain.tenancy.PERMISSIONS). */
export const API_KEY_PERMISSIONS: { name: string; help: string }[] = [
  { name: "jobs:read", help: "read jobs, queues, projects, logs" },
  { name: "jobs:write", help: "enqueue, cancel, retry jobs" },
  { name: "job_dependency:read", help: "read dependencies" },
  { name: "job_dependency:write", help: "add and remove dependencies" },
  { name: "scheduled_job:read", help: "read schedules" },
  { name: "scheduled_job:write", help: "create and change schedules" },
  { name: "workflows:read", help: "read workflows" },
  { name: "workflows:write", help: "create and run workflows" },
  { name: "workers", help: "run a worker (claim and report jobs), list workers" },
  { name: "admin", help: "everything, administration included" },
];

export type InvitationState = "ACCEPTED" | "REVOKED" | "EXPIRED" | "PENDING";

export function invitationState(
  invitation: { acceptedAt?: string | null; revokedAt?: string | null; expiresAt: string },
  now: number = Date.now(),
): InvitationState {
  if (invitation.acceptedAt) return "ACCEPTED";
  if (invitation.revokedAt) return "REVOKED";
  return new Date(invitation.expiresAt).getTime() <= now ? "EXPIRED" : "PENDING";
}

/** The address an invited person opens to join: the dashboard's invitation page (under
 * the path the server is mounted at), the token in the fragment, which the browser never
 * sends to the server, so that it stays out of access logs. */
export function invitationLink(token: string, origin: string = window.location.origin, root: string = ROOT): string {
  return `${origin}${root}/invitation#token=${encodeURIComponent(token)}`;
}

/** The token of an invitation link's fragment ("#token=..."), or null. */
export function invitationToken(hash: string): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, "")).get("token")?.trim();
  return token || null;
}

/** A datetime-local value (the browser's time) as an instant, or null. */
export function expiryInstant(local: string): string | null {
  if (!local) return null;
  const time = new Date(local);
  return Number.isNaN(time.getTime()) ? null : time.toISOString();
}

export type KeyState = "REVOKED" | "EXPIRED" | "ACTIVE";

export function apiKeyState(key: { revokedAt?: string | null; expiresAt?: string | null }, now: number = Date.now()): KeyState {
  if (key.revokedAt) return "REVOKED";
  if (key.expiresAt && new Date(key.expiresAt).getTime() <= now) return "EXPIRED";
  return "ACTIVE";
}

/** The dashboard page of an audit entry's target, when it has one. */
export function auditTargetPath(targetType: string, targetId: string | null | undefined): string | null {
  if (!targetId) return null;
  const id = encodeURIComponent(targetId);
  switch (targetType) {
    case "job":
      return `/jobs/${id}`;
    case "workflow":
      return `/workflows/${id}`;
    case "schedule":
      return `/schedules/${id}`;
    case "queue":
      return `/jobs?queue=${id}`;
    case "worker":
      return "/workers";
    default:
      return null;
  }
}

/** Actions the server records (the services' audit.record calls, and the operator's
 * on the organization), offered by the filter. */
export const AUDIT_ACTIONS = [
  "api_key.created",
  "api_key.revoked",
  "invitation.accepted",
  "invitation.revoked",
  "job.deleted",
  "jobs.cancelled",
  "jobs.retried",
  "organization.created",
  "organization.deleted",
  "organization.suspended",
  "organization.tier_changed",
  "organization.unsuspended",
  "organization.updated",
  "project.created",
  "project.deleted",
  "project.updated",
  "queue.created",
  "queue.deleted",
  "queue.paused",
  "queue.resumed",
  "queue.updated",
  "schedule.backfilled",
  "schedule.deleted",
  "user.deactivated",
  "user.invited",
  "user.password_changed",
  "user.password_reset",
  "user.role_changed",
  "webhook.created",
  "webhook.deleted",
  "webhook.redelivered",
  "webhook.updated",
  "worker.assigned",
  "worker.assignment_updated",
  "worker.deleted",
  "worker.unassigned",
  "workflow.deleted",
  "workflow_template.created",
];
