// Usage against the subscription's limits, as the Admin page shows it: a share of the
// limit (null when the tier sets none), a level for its colour, and the words.

export type UsageLevel = "ok" | "high" | "full";

/** Used as a percentage of the limit, rounded down (so 99.6% is not shown as full);
 * null when there is no limit. A limit of 0 counts anything as full. */
export function usagePercent(used: number, limit: number | null | undefined): number | null {
  if (limit == null) return null;
  if (limit <= 0) return used > 0 ? 100 : 0;
  return Math.floor((used / limit) * 100);
}

/** full at or over the limit, high from 80%. */
export function usageLevel(used: number, limit: number | null | undefined): UsageLevel {
  if (limit == null) return "ok";
  if (used >= limit) return "full";
  const percent = usagePercent(used, limit) ?? 0;
  return percent >= 80 ? "high" : "ok";
}

/** "1,234 of 10,000 (12%)", or "1,234 (no limit)". */
export function describeUsage(used: number, limit: number | null | undefined): string {
  const percent = usagePercent(used, limit);
  if (percent === null) return `${used.toLocaleString()} (no limit)`;
  return `${used.toLocaleString()} of ${limit!.toLocaleString()} (${percent}%)`;
}
