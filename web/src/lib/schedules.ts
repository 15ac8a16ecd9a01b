// Schedules on the dashboard: the list's filters in the URL, which actions a status
// allows, and the create/edit form's values turned into the `ScheduleInput` of
// createSchedule / updateSchedule (on an edit, only what changed: a new type,
// expression or timezone re-anchors the timetable on the server, so it is sent only
// when it did change).
import type {
  MisfirePolicy,
  OverlapPolicy,
  ScheduleInput,
  ScheduleStatus,
  ScheduleType,
} from "../gql/graphql";
import type { GraphQLErrorLike } from "./errors";

export const SCHEDULE_STATUSES: ScheduleStatus[] = ["ACTIVE", "PAUSED", "COMPLETED", "FAILED"];
export const SCHEDULE_TYPES: ScheduleType[] = ["CRON", "RECURRING", "ONCE"];
export const MISFIRE_POLICIES: MisfirePolicy[] = ["FIRE_ONCE", "SKIP", "FIRE_ALL"];
export const OVERLAP_POLICIES: OverlapPolicy[] = ["ALLOW_ALL", "SKIP", "BUFFER_ONE", "CANCEL_PREVIOUS"];

// ---- the list's filters ---------------------------------------------------------

export interface ScheduleFilters {
  status: ScheduleStatus | null;
  type: ScheduleType | null;
  /** The page: the cursor the listing starts after (null: the first page). */
  after: string | null;
}

function oneOf<T extends string>(values: readonly T[], raw: string | null): T | null {
  const value = raw?.trim().toUpperCase();
  return value && (values as readonly string[]).includes(value) ? (value as T) : null;
}

export function scheduleFiltersFromSearch(search: URLSearchParams): ScheduleFilters {
  return {
    status: oneOf(SCHEDULE_STATUSES, search.get("status")),
    type: oneOf(SCHEDULE_TYPES, search.get("type")),
    after: search.get("after") || null,
  };
}

export function scheduleFiltersToSearch(filters: ScheduleFilters): URLSearchParams {
  const search = new URLSearchParams();
  if (filters.status) search.set("status", filters.status);
  if (filters.type) search.set("type", filters.type);
  if (filters.after) search.set("after", filters.after);
  return search;
}

// ---- actions ------------------------------------------------------------------------

export const canPause = (status: ScheduleStatus): boolean => status === "ACTIVE";
export const canResume = (status: ScheduleStatus): boolean => status === "PAUSED";

// ---- the expression field -----------------------------------------------------------

export const EXPRESSION_HELP: Record<ScheduleType, { placeholder: string; help: string }> = {
  CRON: {
    placeholder: "*/15 9-17 * * MON-FRI",
    help: "5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or @hourly, @daily, @weekly, @monthly, @yearly.",
  },
  RECURRING: { placeholder: "15m", help: "An interval: 30s, 15m, 2h, 1d or 1h30m." },
  ONCE: { placeholder: "2027-01-01T09:00:00Z", help: "One time, in RFC 3339 (with its offset, or Z for UTC)." },
};

/** Where a refused preview's message belongs: under the expression or the timezone. */
export interface PreviewProblem {
  field: "expression" | "timezone";
  message: string;
}

export function previewProblem(errors: readonly GraphQLErrorLike[] | null | undefined): PreviewProblem | null {
  const error = errors?.[0];
  if (!error) return null;
  const field = error.extensions?.field === "timezone" ? "timezone" : "expression";
  return { field, message: error.message };
}

/** IANA names the browser knows, for the timezone field's suggestions. */
export function timezoneChoices(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  try {
    const zones = intl.supportedValuesOf?.("timeZone") ?? [];
    return zones.includes("UTC") ? zones : ["UTC", ...zones];
  } catch {
    return ["UTC"];
  }
}

// ---- the form ------------------------------------------------------------------------

export type TargetKind = "job" | "workflow" | "template";

/** What the form holds: text as typed (numbers too, "" meaning none). */
export interface ScheduleFormValues {
  name: string;
  type: ScheduleType;
  expression: string;
  timezone: string;
  target: TargetKind;
  queueId: string;
  jobType: string;
  payload: string;
  priority: string;
  maxAttempts: string;
  projectId: string;
  workflowDefinition: string;
  input: string;
  templateName: string;
  templateVersion: string;
  misfirePolicy: MisfirePolicy;
  /** "" on a new schedule: the server's default for its target. */
  overlapPolicy: OverlapPolicy | "";
  jitter: string;
  maxRuns: string;
  pauseAfterFailures: string;
}

export const NEW_SCHEDULE: ScheduleFormValues = {
  name: "",
  type: "CRON",
  expression: "",
  timezone: "UTC",
  target: "job",
  queueId: "",
  jobType: "",
  payload: "{}",
  priority: "5",
  maxAttempts: "",
  projectId: "",
  workflowDefinition: "",
  input: "",
  templateName: "",
  templateVersion: "",
  misfirePolicy: "FIRE_ONCE",
  overlapPolicy: "",
  jitter: "0",
  maxRuns: "",
  pauseAfterFailures: "",
};

/** The fields of a Schedule the form edits. */
export interface EditableSchedule {
  name: string;
  type: ScheduleType;
  expression: string;
  timezone: string;
  queueId?: string | null;
  jobType?: string | null;
  payload: unknown;
  priority: number;
  maxAttempts?: number | null;
  projectId: string;
  workflowDefinition?: unknown;
  workflowTemplate?: { name: string; version?: number | null } | null;
  input?: unknown;
  misfirePolicy: MisfirePolicy;
  overlapPolicy: OverlapPolicy;
  jitter: number;
  maxRuns?: number | null;
  pauseAfterFailures?: number | null;
}

const text = (value: number | null | undefined): string => (value == null ? "" : String(value));
const json = (value: unknown): string => (value == null ? "" : JSON.stringify(value, null, 2));

/** A workflow definition as stored: an object, or {source: "<YAML text>"}. */
function definitionText(value: unknown): string {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const source = (value as Record<string, unknown>).source;
    if (typeof source === "string" && Object.keys(value).length === 1) return source;
  }
  return json(value);
}

export function formFromSchedule(s: EditableSchedule): ScheduleFormValues {
  const target: TargetKind = s.workflowTemplate ? "template" : s.workflowDefinition != null ? "workflow" : "job";
  return {
    name: s.name,
    type: s.type,
    expression: s.expression,
    timezone: s.timezone,
    target,
    queueId: s.queueId ?? "",
    jobType: s.jobType ?? "",
    payload: json(s.payload ?? {}),
    priority: String(s.priority),
    maxAttempts: text(s.maxAttempts),
    projectId: s.projectId,
    workflowDefinition: target === "workflow" ? definitionText(s.workflowDefinition) : "",
    input: json(s.input),
    templateName: s.workflowTemplate?.name ?? "",
    templateVersion: text(s.workflowTemplate?.version),
    misfirePolicy: s.misfirePolicy,
    overlapPolicy: s.overlapPolicy,
    jitter: String(s.jitter),
    maxRuns: text(s.maxRuns),
    pauseAfterFailures: text(s.pauseAfterFailures),
  };
}

export class FormProblem extends Error {
  constructor(
    readonly field: keyof ScheduleFormValues,
    message: string,
  ) {
    super(message);
  }
}

function integer(values: ScheduleFormValues, field: keyof ScheduleFormValues, label: string): number | null {
  const raw = String(values[field]).trim();
  if (!raw) return null;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new FormProblem(field, `${label} must be a whole number.`);
  return value;
}

function jsonObject(raw: string, field: keyof ScheduleFormValues, label: string): Record<string, unknown> | null {
  if (!raw.trim()) return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw new FormProblem(field, `${label} is not valid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new FormProblem(field, `${label} must be a JSON object.`);
  }
  return value as Record<string, unknown>;
}

/** JSON text as an object; anything else goes as text (the server reads YAML too). */
function definition(raw: string): Record<string, unknown> | string {
  try {
    const value: unknown = JSON.parse(raw);
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // not JSON: YAML, parsed by the server
  }
  return raw;
}

/** Every field the form can send, from its values (throws FormProblem on bad text). */
function fullInput(v: ScheduleFormValues): ScheduleInput {
  if (!v.name.trim()) throw new FormProblem("name", "A schedule needs a name.");
  if (!v.expression.trim()) throw new FormProblem("expression", "A schedule needs an expression.");
  const input: ScheduleInput = {
    name: v.name.trim(),
    type: v.type,
    expression: v.expression.trim(),
    timezone: v.timezone.trim() || "UTC",
    misfirePolicy: v.misfirePolicy,
    jitter: integer(v, "jitter", "Jitter") ?? 0,
    maxRuns: integer(v, "maxRuns", "Maximum runs"),
    pauseAfterFailures: integer(v, "pauseAfterFailures", "Pause after failures"),
  };
  if (v.overlapPolicy) input.overlapPolicy = v.overlapPolicy;
  if (v.target === "job") {
    if (!v.queueId) throw new FormProblem("queueId", "Choose the queue its jobs go to.");
    if (!v.jobType.trim()) throw new FormProblem("jobType", "A job schedule needs a job type.");
    input.queueId = v.queueId;
    input.jobType = v.jobType.trim();
    input.payload = jsonObject(v.payload, "payload", "The payload") ?? {};
    input.priority = integer(v, "priority", "Priority") ?? 5;
    input.maxAttempts = integer(v, "maxAttempts", "Maximum attempts");
  } else {
    if (!v.projectId) throw new FormProblem("projectId", "Choose the project its runs belong to.");
    input.projectId = v.projectId;
    input.input = jsonObject(v.input, "input", "The run input");
    if (v.target === "workflow") {
      if (!v.workflowDefinition.trim()) {
        throw new FormProblem("workflowDefinition", "Give the workflow definition (JSON or YAML).");
      }
      input.workflowDefinition = definition(v.workflowDefinition);
    } else {
      if (!v.templateName.trim()) throw new FormProblem("templateName", "Name the workflow template.");
      input.workflowTemplate = {
        name: v.templateName.trim(),
        version: integer(v, "templateVersion", "The template version"),
      };
    }
  }
  return input;
}

const KEYS_OF: Partial<Record<keyof ScheduleInput, (keyof ScheduleFormValues)[]>> = {
  name: ["name"],
  type: ["type"],
  expression: ["expression"],
  timezone: ["timezone"],
  misfirePolicy: ["misfirePolicy"],
  overlapPolicy: ["overlapPolicy"],
  jitter: ["jitter"],
  maxRuns: ["maxRuns"],
  pauseAfterFailures: ["pauseAfterFailures"],
  queueId: ["queueId"],
  jobType: ["jobType"],
  payload: ["payload"],
  priority: ["priority"],
  maxAttempts: ["maxAttempts"],
  projectId: ["projectId"],
  input: ["input"],
  workflowDefinition: ["workflowDefinition"],
  workflowTemplate: ["templateName", "templateVersion"],
};

/**
 * The ScheduleInput for createSchedule (no `original`) or updateSchedule (only the
 * fields whose text changed from `original`; JSON compared by value, so reformatting
 * a payload sends nothing).
 */
export function scheduleInput(values: ScheduleFormValues, original?: ScheduleFormValues): ScheduleInput {
  const full = fullInput(values);
  if (!original) return full;
  const before = (() => {
    try {
      return fullInput(original);
    } catch {
      return {} as ScheduleInput; // what was saved no longer reads: send everything
    }
  })();
  const changed: ScheduleInput = {};
  for (const key of Object.keys(full) as (keyof ScheduleInput)[]) {
    const fields = KEYS_OF[key] ?? [];
    const sameText = fields.length > 0 && fields.every((f) => values[f] === original[f]);
    if (sameText || JSON.stringify(full[key]) === JSON.stringify(before[key])) continue;
    (changed as Record<string, unknown>)[key] = full[key];
  }
  return changed;
}

/** What a schedule runs, in words. */
export function describeTarget(s: {
  jobType?: string | null;
  workflowDefinition?: unknown;
  workflowTemplate?: { name: string; version?: number | null } | null;
}): string {
  if (s.workflowTemplate) {
    const version = s.workflowTemplate.version == null ? "latest" : `v${s.workflowTemplate.version}`;
    return `workflow template ${s.workflowTemplate.name} (${version})`;
  }
  if (s.workflowDefinition != null) {
    const name = (s.workflowDefinition as { name?: unknown }).name;
    return typeof name === "string" ? `workflow ${name}` : "a workflow";
  }
  return s.jobType ? `job ${s.jobType}` : "—";
}

/** A time as the schedule's timezone reads it ("Tue, Dec 8, 02:00:00"; the year only
 * when it is not this one), or as the browser's zone does when it does not know that one. */
export function formatInZone(iso: string, timezone: string, now: Date = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const options: Intl.DateTimeFormatOptions = {
    weekday: "short",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  };
  if (date.getUTCFullYear() !== now.getUTCFullYear()) options.year = "numeric";
  try {
    return new Intl.DateTimeFormat(undefined, { ...options, timeZone: timezone || "UTC" }).format(date);
  } catch {
    return new Intl.DateTimeFormat(undefined, options).format(date);
  }
}
