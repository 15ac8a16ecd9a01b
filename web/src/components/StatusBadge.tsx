// A status as a coloured label: the colour says the kind of state (done well, failed,
// running, waiting, inert), the text always says the state itself.

export type Tone = "success" | "danger" | "running" | "waiting" | "muted" | "warning";

const TONES: Record<string, Tone> = {
  // jobs
  PENDING: "waiting",
  SCHEDULED: "waiting",
  PROCESSING: "running",
  SUCCEEDED: "success",
  FAILED: "danger",
  CANCELLED: "muted",
  SKIPPED: "muted",
  // executions
  STARTED: "running",
  RETRYING: "waiting",
  // workflows
  RUNNING: "running",
  PAUSED: "warning",
  // schedules
  ACTIVE: "success",
  COMPLETED: "muted",
  // workers
  ONLINE: "success",
  OFFLINE: "muted",
  DRAINING: "warning",
  // dependencies
  WAITING: "waiting",
  SATISFIED: "success",
  NONE: "muted",
};

export function statusTone(status: string): Tone {
  return TONES[status] ?? "muted";
}

export function statusLabel(status: string): string {
  return status.charAt(0) + status.slice(1).toLowerCase().replace(/_/g, " ");
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge badge-${statusTone(status)}`} data-status={status}>
      {statusLabel(status)}
    </span>
  );
}
