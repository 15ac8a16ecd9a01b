// The jobs list's filters: read from and written to the URL's query string (so a view
// can be bookmarked and shared), turned into the `jobs` query's and the
// `jobStatusChanged` subscription's variables, and applied to live events.
import type { JobStatus } from "../gql/graphql";

export const JOB_STATUSES: JobStatus[] = [
  "PENDING",
  "SCHEDULED",
  "PROCESSING",
  "SUCCEEDED",
  "FAILED",
  "CANCELLED",
  "SKIPPED",
];

export interface JobFilters {
  queueId: string | null;
  statuses: JobStatus[];
  jobType: string | null;
  workflowId: string | null;
  /** Inclusive lower bound of createdAt (an ISO instant). */
  createdAfter: string | null;
  /** Exclusive upper bound of createdAt (an ISO instant). */
  createdBefore: string | null;
  /** The page: the cursor the listing starts after (null: the first page). */
  after: string | null;
}

export const NO_FILTERS: JobFilters = {
  queueId: null,
  statuses: [],
  jobType: null,
  workflowId: null,
  createdAfter: null,
  createdBefore: null,
  after: null,
};

const PARAMS = {
  queueId: "queue",
  jobType: "type",
  workflowId: "workflow",
  createdAfter: "from",
  createdBefore: "to",
  after: "after",
} as const;

function instant(value: string | null): string | null {
  if (!value) return null;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? null : time.toISOString();
}

export function filtersFromSearch(search: URLSearchParams): JobFilters {
  const text = (name: string) => search.get(name)?.trim() || null;
  const statuses = (search.get("status") ?? "")
    .split(",")
    .map((s) => s.trim().toUpperCase())
    .filter((s): s is JobStatus => (JOB_STATUSES as string[]).includes(s));
  return {
    queueId: text(PARAMS.queueId),
    statuses: JOB_STATUSES.filter((s) => statuses.includes(s)), // one order, no repeats
    jobType: text(PARAMS.jobType),
    workflowId: text(PARAMS.workflowId),
    createdAfter: instant(text(PARAMS.createdAfter)),
    createdBefore: instant(text(PARAMS.createdBefore)),
    after: text(PARAMS.after),
  };
}

export function filtersToSearch(filters: JobFilters): URLSearchParams {
  const search = new URLSearchParams();
  if (filters.queueId) search.set(PARAMS.queueId, filters.queueId);
  if (filters.statuses.length) search.set("status", filters.statuses.join(","));
  if (filters.jobType) search.set(PARAMS.jobType, filters.jobType);
  if (filters.workflowId) search.set(PARAMS.workflowId, filters.workflowId);
  if (filters.createdAfter) search.set(PARAMS.createdAfter, filters.createdAfter);
  if (filters.createdBefore) search.set(PARAMS.createdBefore, filters.createdBefore);
  if (filters.after) search.set(PARAMS.after, filters.after);
  return search;
}

/** The `jobs` query's variables (the filters and the page). */
export function jobsVariables(filters: JobFilters, first: number) {
  return {
    first,
    after: filters.after,
    queueId: filters.queueId,
    status: filters.statuses.length ? filters.statuses : null,
    jobType: filters.jobType,
    workflowId: filters.workflowId,
    createdAfter: filters.createdAfter,
    createdBefore: filters.createdBefore,
  };
}

/** What the subscription can filter on the server (the rest is checked here): not the
 * statuses, so that a listed job that moves out of them is still updated. */
export function subscriptionVariables(filters: JobFilters) {
  return { queueId: filters.queueId, workflowId: filters.workflowId };
}

export interface JobLike {
  id: string;
  status: JobStatus;
  jobType: string;
  queueId: string;
  workflowId?: string | null;
  createdAt: string;
  progress?: number | null;
}

export function matchesFilters(job: JobLike, filters: JobFilters): boolean {
  if (filters.queueId && job.queueId !== filters.queueId) return false;
  if (filters.workflowId && job.workflowId !== filters.workflowId) return false;
  if (filters.jobType && job.jobType !== filters.jobType) return false;
  if (filters.statuses.length && !filters.statuses.includes(job.status)) return false;
  const created = new Date(job.createdAt).getTime();
  if (filters.createdAfter && created < new Date(filters.createdAfter).getTime()) return false;
  if (filters.createdBefore && created >= new Date(filters.createdBefore).getTime()) return false;
  return true;
}

export interface JobEventLike<Row extends JobLike> {
  jobId: string;
  status: JobStatus;
  previousStatus?: JobStatus | null;
  progress?: number | null;
  job?: Row | null;
}

/**
 * The listed rows after a jobStatusChanged event: a listed job is updated in place (or
 * dropped once deleted or no longer matching the filters); a job just created that matches the filters is put on top of
 * the first page (the list is newest first), which keeps at most `limit` rows.
 */
export function applyJobEvent<Row extends JobLike>(
  rows: readonly Row[],
  event: JobEventLike<Row>,
  filters: JobFilters,
  limit: number,
): readonly Row[] {
  const index = rows.findIndex((row) => row.id === event.jobId);
  if (index >= 0) {
    const current = rows[index];
    const next =
      event.job === null
        ? null // deleted since
        : (event.job ?? {
            ...current,
            status: event.status,
            progress: event.progress ?? current.progress,
          });
    const copy = rows.slice();
    // deleted, or no longer what the filters ask for (e.g. a status filter it left)
    if (next === null || !matchesFilters(next, filters)) copy.splice(index, 1);
    else copy[index] = next;
    return copy;
  }
  const created = event.previousStatus == null;
  if (!created || filters.after !== null || !event.job || !matchesFilters(event.job, filters)) {
    return rows;
  }
  return [event.job, ...rows].slice(0, limit);
}

/**
 * How a jobStatusChanged event moves the number of jobs matching the filters (every
 * page's, not just the listed rows): +1, -1 or 0; null when the event cannot tell (a job
 * deleted, or deleted since, that is not listed: its fields are not known here). The
 * event's own statuses are compared, not the job's current one, so that the changes of
 * a job add up even when its events arrive after it moved on.
 */
export function totalChange<Row extends JobLike>(
  listed: Row | undefined,
  event: JobEventLike<Row>,
  filters: JobFilters,
): number | null {
  const job = event.job ?? listed;
  if (!job) return null;
  const counted = (status: JobStatus | null | undefined) => status != null && matchesFilters({ ...job, status }, filters);
  if (event.job === null) return counted(event.status) ? -1 : 0; // gone: counted under its last status
  return Number(counted(event.status)) - Number(counted(event.previousStatus));
}

/** The ids of `ids` still listed in `rows` (the same set if all are): the highlight of
 * new rows stays as small as the page. */
export function keepListed(ids: ReadonlySet<string>, rows: readonly { id: string }[]): ReadonlySet<string> {
  const listed = new Set(rows.filter((row) => ids.has(row.id)).map((row) => row.id));
  return listed.size === ids.size ? ids : listed;
}

/** An ISO instant as a datetime-local input's value (local time, minutes). */
export function toLocalInput(value: string | null): string {
  if (!value) return "";
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) return "";
  const local = new Date(time.getTime() - time.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

/** A datetime-local input's value (local time) as an ISO instant. */
export function fromLocalInput(value: string): string | null {
  return value ? instant(value) : null;
}
