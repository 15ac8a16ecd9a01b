// How a job's status looks in the graph: the tone (its colour, shared with the status
// badges), a symbol and a word, so that the status never rests on colour alone.
import { statusLabel, statusTone, type Tone } from "../components/StatusBadge";
import type { JobStatus } from "../gql/graphql";

export interface Appearance {
  tone: Tone;
  /** A glyph drawn before the word: tells the states apart without colour. */
  symbol: string;
  label: string;
  /** Class names of a node in this status (styles.css: .dag-node.tone-*). */
  className: string;
}

const SYMBOLS: Record<JobStatus, string> = {
  PENDING: "○",
  SCHEDULED: "◷",
  PROCESSING: "▶",
  SUCCEEDED: "✓",
  FAILED: "✕",
  CANCELLED: "⊘",
  SKIPPED: "↷",
};

/** Statuses in the order summaries list them: what needs attention first. */
export const STATUS_ORDER: readonly JobStatus[] = [
  "FAILED",
  "PROCESSING",
  "SUCCEEDED",
  "PENDING",
  "SCHEDULED",
  "CANCELLED",
  "SKIPPED",
];

export function appearance(status: JobStatus | string | null | undefined): Appearance {
  if (!status) return { tone: "muted", symbol: "?", label: "Unknown", className: "tone-muted" };
  const tone = statusTone(status);
  return {
    tone,
    symbol: SYMBOLS[status as JobStatus] ?? "•",
    label: statusLabel(status),
    className: `tone-${tone}`,
  };
}

export type Counts = Readonly<Partial<Record<JobStatus, number>>>;

// one formatter for every figure: Number.toLocaleString builds a new one on each call,
// which showed in the profile of a page taking 100 events a second
const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** "2,000". */
export function formatInt(n: number): string {
  return integer.format(n);
}

export function countOf(counts: Counts): number {
  let total = 0;
  for (const status of STATUS_ORDER) total += counts[status] ?? 0;
  return total;
}

/** "1,200 succeeded, 800 pending" (statuses with none left out; "none" when empty). */
export function summarize(counts: Counts, limit = STATUS_ORDER.length): string {
  const parts: string[] = [];
  for (const status of STATUS_ORDER) {
    const n = counts[status] ?? 0;
    if (n > 0) parts.push(`${formatInt(n)} ${statusLabel(status).toLowerCase()}`);
  }
  if (parts.length === 0) return "none";
  return parts.length > limit ? `${parts.slice(0, limit).join(", ")}, …` : parts.join(", ");
}

/** "2,000 jobs" / "1 job". */
export function jobsText(n: number): string {
  return `${formatInt(n)} ${n === 1 ? "job" : "jobs"}`;
}

/** The tone a group of jobs shows: failed if any failed, running if any runs, done
 * when all ended well, waiting otherwise. */
export function groupTone(counts: Counts): Tone {
  if ((counts.FAILED ?? 0) > 0) return "danger";
  if ((counts.PROCESSING ?? 0) > 0) return "running";
  const total = countOf(counts);
  if (total > 0 && (counts.SUCCEEDED ?? 0) === total) return "success";
  if (total > 0 && (counts.SUCCEEDED ?? 0) + (counts.CANCELLED ?? 0) + (counts.SKIPPED ?? 0) === total) return "muted";
  return "waiting";
}
