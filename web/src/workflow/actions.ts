// What an operator may do to a workflow in each status (the server's transitions,
// taskforge/domain/transitions.py WORKFLOWS), and which actions ask first.
import type { ResumeAction, WorkflowStatus } from "../gql/graphql";

export type WorkflowAction = "start" | "cancel" | "retry" | "delete" | `resume:${ResumeAction}`;

export interface ActionSpec {
  action: WorkflowAction;
  label: string;
  /** The question asked before a destructive action (null: none). */
  confirm: string | null;
  danger: boolean;
}

const SPECS: Record<WorkflowAction, Omit<ActionSpec, "action">> = {
  start: { label: "Start", confirm: null, danger: false },
  "resume:RETRY_FAILED": { label: "Retry failed jobs", confirm: null, danger: false },
  "resume:SKIP_FAILED": { label: "Skip failed jobs", confirm: "Skip the failed jobs and let the workflow go on?", danger: false },
  "resume:ABORT": { label: "Abort", confirm: "Abort this workflow? It ends FAILED.", danger: true },
  retry: { label: "Retry", confirm: null, danger: false },
  cancel: { label: "Cancel", confirm: "Cancel this workflow? Jobs not started are cancelled.", danger: true },
  delete: { label: "Delete", confirm: "Delete this workflow and all its jobs? This cannot be undone.", danger: true },
};

const BY_STATUS: Record<WorkflowStatus, WorkflowAction[]> = {
  PENDING: ["start", "cancel", "delete"],
  RUNNING: ["cancel"],
  PAUSED: ["resume:RETRY_FAILED", "resume:SKIP_FAILED", "resume:ABORT", "cancel"],
  FAILED: ["retry", "delete"],
  CANCELLED: ["retry", "delete"],
  SUCCEEDED: ["delete"],
};

export function actionsFor(status: WorkflowStatus): ActionSpec[] {
  return (BY_STATUS[status] ?? []).map((action) => ({ action, ...SPECS[action] }));
}
