// How a queue's live figures and limits read on the Queues page. Every count of
// Queue.stats stops at countLimit (the server never counts past it), so a figure at the
// limit reads "10,000+"; the oldest wait and the limits get words.
import { formatCount, formatDuration } from "./format";

export interface QueueStatsLike {
  waiting: number;
  running: number;
  scheduled: number;
  succeededLastHour: number;
  failedLastHour: number;
  oldestWaitingAge?: number | null;
  countLimit: number;
}

export interface QueueFigures {
  waiting: string;
  running: string;
  scheduled: string;
  succeededLastHour: string;
  failedLastHour: string;
  oldestWait: string;
  /** Whether a count reached the limit (so the figures are lower bounds). */
  capped: boolean;
}

export function queueFigures(stats: QueueStatsLike): QueueFigures {
  const limit = stats.countLimit;
  const counts = [stats.waiting, stats.running, stats.scheduled, stats.succeededLastHour, stats.failedLastHour];
  return {
    waiting: formatCount(stats.waiting, limit),
    running: formatCount(stats.running, limit),
    scheduled: formatCount(stats.scheduled, limit),
    succeededLastHour: formatCount(stats.succeededLastHour, limit),
    failedLastHour: formatCount(stats.failedLastHour, limit),
    oldestWait: stats.oldestWaitingAge == null ? "—" : formatDuration(stats.oldestWaitingAge),
    capped: counts.some((n) => n >= limit),
  };
}

/** 45 -> "45 s", 60 -> "minute", 3600 -> "hour", 7200 -> "2 h". */
export function formatPeriod(seconds: number): string {
  const units: [number, string, string][] = [
    [86_400, "day", "d"],
    [3_600, "hour", "h"],
    [60, "minute", "min"],
  ];
  for (const [size, name, short] of units) {
    if (seconds % size === 0) return seconds === size ? name : `${seconds / size} ${short}`;
  }
  return `${seconds} s`;
}

const STRATEGIES: Record<string, string> = {
  QUEUE: "others wait",
  CANCEL_NEWEST: "newer ones are cancelled",
  CANCEL_IN_PROGRESS: "the oldest is replaced",
};

export function describeConcurrency(
  rule: { max: number; key?: string | null; strategy: string } | null | undefined,
): string {
  if (!rule) return "no limit";
  const per = rule.key ? ` for each ${rule.key}` : "";
  return `${rule.max.toLocaleString()} at a time${per} (${STRATEGIES[rule.strategy] ?? rule.strategy})`;
}

export function describeRateLimit(rule: { limit: number; period: number; key?: string | null } | null | undefined): string {
  if (!rule) return "no limit";
  const per = rule.key ? ` for each ${rule.key}` : "";
  return `${rule.limit.toLocaleString()} starts per ${formatPeriod(rule.period)}${per}`;
}

/** Online workers with an active assignment, per queue id. */
export function workersPerQueue(
  workers: readonly { status: string; queues: readonly { queueId: string; isActive: boolean }[] }[],
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const worker of workers) {
    if (worker.status !== "ONLINE") continue;
    for (const assignment of worker.queues) {
      if (assignment.isActive) counts.set(assignment.queueId, (counts.get(assignment.queueId) ?? 0) + 1);
    }
  }
  return counts;
}
