// A workflow's progress: one bar split by status (succeeded, failed, running, ended
// otherwise; the rest waits) and the figures in words beside it. Drawn in SVG with
// attributes only (the page's CSP allows no inline style).
import type { JobStatus } from "../gql/graphql";
import { formatInt, summarize, type Counts } from "./appearance";

export interface StatsLike {
  total: number;
  completed: number;
  completionPercentage: number;
  counts: readonly { status: JobStatus; count: number }[];
}

export function countsOf(stats: Pick<StatsLike, "counts">): Counts {
  const counts: Partial<Record<JobStatus, number>> = {};
  for (const { status, count } of stats.counts) counts[status] = count;
  return counts;
}

const SEGMENTS: readonly { statuses: readonly JobStatus[]; className: string }[] = [
  { statuses: ["SUCCEEDED"], className: "seg-success" },
  { statuses: ["FAILED"], className: "seg-danger" },
  { statuses: ["CANCELLED", "SKIPPED"], className: "seg-muted" },
  { statuses: ["PROCESSING"], className: "seg-running" },
];

/** The bar's segments: [className, start %, width %], empty ones left out. */
export function segments(counts: Counts, total: number): [string, number, number][] {
  if (total <= 0) return [];
  const out: [string, number, number][] = [];
  let at = 0;
  for (const { statuses, className } of SEGMENTS) {
    const n = statuses.reduce((sum, s) => sum + (counts[s] ?? 0), 0);
    if (n <= 0) continue;
    const width = (n / total) * 100;
    out.push([className, at, width]);
    at += width;
  }
  return out;
}

export function ProgressBar({ stats, compact = false }: { stats: StatsLike; compact?: boolean }) {
  const counts = countsOf(stats);
  const percent = Math.round(stats.completionPercentage);
  const words = `${formatInt(stats.completed)} of ${formatInt(stats.total)} jobs ended (${percent}%)`;
  const detail = summarize(counts);
  return (
    <div className={compact ? "wf-progress compact" : "wf-progress"}>
      <svg
        className="wf-progress-bar"
        viewBox="0 0 100 10"
        preserveAspectRatio="none"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${words}: ${detail}`}
        aria-label="Progress"
      >
        <rect className="seg-track" x={0} y={0} width={100} height={10} />
        {segments(counts, stats.total).map(([className, x, width]) => (
          <rect key={className} className={className} x={x} y={0} width={width} height={10} />
        ))}
      </svg>
      <span className="wf-progress-text">
        {compact ? `${percent}% · ${formatInt(stats.completed)}/${formatInt(stats.total)}` : words}
      </span>
      {!compact && <span className="muted wf-progress-detail">{detail}</span>}
    </div>
  );
}
