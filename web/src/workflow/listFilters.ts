// The Workflows list's filters in the URL's query string: `status` (comma-separated
// workflow statuses) and `after` (the page's cursor).
import type { WorkflowStatus } from "../gql/graphql";

export const WORKFLOW_STATUSES: readonly WorkflowStatus[] = ["PENDING", "RUNNING", "PAUSED", "SUCCEEDED", "FAILED", "CANCELLED"];

export interface WorkflowFilters {
  statuses: WorkflowStatus[];
  after: string | null;
}

export function filtersFromSearch(search: URLSearchParams): WorkflowFilters {
  const statuses = (search.get("status") ?? "")
    .split(",")
    .map((s) => s.trim().toUpperCase())
    .filter((s): s is WorkflowStatus => (WORKFLOW_STATUSES as readonly string[]).includes(s));
  return { statuses: [...new Set(statuses)], after: search.get("after") || null };
}

export function filtersToSearch(filters: WorkflowFilters): URLSearchParams {
  const search = new URLSearchParams();
  if (filters.statuses.length) search.set("status", filters.statuses.join(","));
  if (filters.after) search.set("after", filters.after);
  return search;
}

/** A status box ticked or cleared: back to the first page. */
export function toggleStatus(filters: WorkflowFilters, status: WorkflowStatus): WorkflowFilters {
  const has = filters.statuses.includes(status);
  const statuses = has ? filters.statuses.filter((s) => s !== status) : [...filters.statuses, status];
  return { statuses: WORKFLOW_STATUSES.filter((s) => statuses.includes(s)), after: null };
}
