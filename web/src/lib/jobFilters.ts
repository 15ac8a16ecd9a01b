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

/** A listed row: what the events keep up to date besides the status. */
export interface JobRowLike extends JobLike {
  attempts: number;
  startedAt?: string | null;
  finishedAt?: string | null;
  /** When the row as read last changed (the server's updated_at). */
  updatedAt?: string | null;
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

/** A jobStatusChanged event as the list reads it: its own fields, never the job. */
export interface JobEventLike {
  jobId: string;
  queueId: string;
  workflowId?: string | null;
  jobType: string;
  status: JobStatus;
  previousStatus?: JobStatus | null;
  progress?: number | null;
  occurredAt: string;
  /** The job's deletion (`status`: its status then). */
  deleted?: boolean | null;
}

const ENDED: readonly JobStatus[] = ["SUCCEEDED", "FAILED", "CANCELLED", "SKIPPED"];

/** A job just created: its event is the first (no previous status). */
export function isCreation(event: JobEventLike): boolean {
  return event.previousStatus == null && !event.deleted;
}

/** The job as its event tells it, when the list does not have it: `createdAt` is only
 * known for a creation (the event's time), else null. */
function eventJob(event: JobEventLike): Omit<JobLike, "createdAt"> & { createdAt: string | null } {
  return {
    id: event.jobId,
    status: event.status,
    jobType: event.jobType,
    queueId: event.queueId,
    workflowId: event.workflowId ?? null,
    createdAt: isCreation(event) ? event.occurredAt : null,
  };
}

function hasTimeFilter(filters: JobFilters): boolean {
  return filters.createdAfter !== null || filters.createdBefore !== null;
}

/**
 * The row after its event, from the event's fields alone (the server's own rules): a
 * claim (to PROCESSING) counts an attempt and starts the clock, an end stops it, a
 * reopened job (an ended one back to PENDING or SCHEDULED) has neither. Compared with
 * the row's status rather than the event's previous one, so that an event the row
 * already shows (a row read again after it) changes nothing twice.
 */
export function patchRow<Row extends JobRowLike>(row: Row, event: JobEventLike): Row {
  const next: Row = { ...row, status: event.status, progress: event.progress ?? row.progress };
  const was = row.status;
  if (event.status === "PROCESSING" && was !== "PROCESSING") {
    next.attempts = row.attempts + 1;
    next.startedAt = event.occurredAt;
    next.finishedAt = null;
    next.progress = null; // a new attempt's progress starts again
  } else if (ENDED.includes(event.status) && !ENDED.includes(was)) {
    next.finishedAt = event.occurredAt;
  } else if (!ENDED.includes(event.status) && event.status !== "PROCESSING" && ENDED.includes(was)) {
    next.startedAt = null;
    next.finishedAt = null;
  }
  return next;
}

/** Whether the event leaves a listed row with a figure it cannot tell: a reopened job
 * gets a new attempt budget (maxAttempts) the event does not carry. */
export function needsRead(row: JobLike, event: JobEventLike): boolean {
  return !event.deleted && ENDED.includes(row.status) && (event.status === "PENDING" || event.status === "SCHEDULED");
}

/**
 * The listed rows after a jobStatusChanged event, from its own fields: a listed job is
 * updated in place (patchRow), or dropped once deleted or no longer matching the
 * filters. A job not listed is left to `wantsNewRow` (its row is read, not made up).
 */
export function applyJobEvent<Row extends JobRowLike>(rows: readonly Row[], event: JobEventLike, filters: JobFilters): readonly Row[] {
  const index = rows.findIndex((row) => row.id === event.jobId);
  if (index < 0) return rows;
  const copy = rows.slice();
  const next = event.deleted ? null : patchRow(rows[index], event);
  // deleted, or no longer what the filters ask for (e.g. a status filter it left)
  if (next === null || !matchesFilters(next, filters)) copy.splice(index, 1);
  else copy[index] = next;
  return copy;
}

/**
 * Rows a read brought, with the events received while it was on its way played again
 * onto them (oldest first): what the read saw before them is brought up to date, and an
 * event the read already holds changes nothing (patchRow compares with the row's status).
 * An event no newer than the row as read (its last change, or its start or end, at the
 * event's time or after) is skipped: the read is past it, and playing it would count the
 * attempt it started again. An automatic retry keeps the attempt's start time, so a claim
 * replayed over a row read as SCHEDULED is told apart only by the row's updatedAt.
 */
export function replayEvents<Row extends JobRowLike>(
  rows: readonly Row[],
  events: readonly JobEventLike[],
  filters: JobFilters,
): readonly Row[] {
  let next = rows;
  for (const event of events) {
    const row = next.find((r) => r.id === event.jobId);
    if (row && readAfter(row, event)) continue;
    next = applyJobEvent(next, event, filters);
  }
  return next;
}

function readAfter(row: JobRowLike, event: JobEventLike): boolean {
  const at = new Date(event.occurredAt).getTime();
  if (row.updatedAt != null && new Date(row.updatedAt).getTime() >= at) return true;
  return [row.startedAt, row.finishedAt].some((time) => time != null && new Date(time).getTime() > at);
}

/** Whether the event announces a job the first page shown should now list on top: just
 * created and matching the filters (its creation time taken as the event's). */
export function wantsNewRow(rows: readonly JobLike[], event: JobEventLike, filters: JobFilters): boolean {
  if (filters.after !== null || !isCreation(event) || rows.some((row) => row.id === event.jobId)) return false;
  return matchesFilters({ ...eventJob(event), createdAt: event.occurredAt }, filters);
}

/** Newest first, as the jobs query lists them (createdAt, then id). */
function newerFirst(a: JobLike, b: JobLike): number {
  const by = new Date(b.createdAt).getTime() - new Date(a.createdAt).getTime();
  return by !== 0 ? by : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * The rows after a read of the shown page (`read`, the server's rows now): the rows
 * asked for (`wanted`: jobs announced new, rows that needed a read) are taken from it,
 * new ones in their place in the order, at most `limit` rows; every other row stays as
 * the events made it (an event that came during the read is not undone).
 */
export function mergeRead<Row extends JobLike>(
  rows: readonly Row[],
  read: readonly Row[],
  wanted: ReadonlySet<string>,
  limit: number,
): readonly Row[] {
  const taken = read.filter((row) => wanted.has(row.id));
  if (!taken.length) return rows;
  const byId = new Map(taken.map((row) => [row.id, row]));
  const kept = rows.map((row) => byId.get(row.id) ?? row);
  const listed = new Set(rows.map((row) => row.id));
  const added = taken.filter((row) => !listed.has(row.id));
  if (!added.length) return kept;
  return [...kept, ...added].sort(newerFirst).slice(0, limit);
}

/**
 * How a jobStatusChanged event moves the number of jobs matching the filters (every
 * page's, not just the listed rows): +1, -1 or 0; null when the event cannot tell (a job
 * not listed and not new under a creation time filter: its creation time is not in the
 * event). The event's own statuses are compared, not the job's current one, so that
 * the changes of a job add up even when its events arrive after it moved on.
 */
export function totalChange(listed: JobLike | undefined, event: JobEventLike, filters: JobFilters): number | null {
  const fromEvent = eventJob(event);
  const createdAt = listed?.createdAt ?? fromEvent.createdAt;
  if (createdAt === null) {
    if (hasTimeFilter(filters)) return null;
  }
  const job = { ...fromEvent, createdAt: createdAt ?? event.occurredAt };
  const counted = (status: JobStatus | null | undefined) => status != null && matchesFilters({ ...job, status }, filters);
  if (event.deleted) return counted(event.status) ? -1 : 0; // gone: counted under its last status
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
