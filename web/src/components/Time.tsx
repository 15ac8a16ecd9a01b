// Times and durations: the readable form on screen, the exact one in a tooltip.
import { formatDateTime, formatDuration, formatRelative, secondsBetween } from "../lib/format";

export function Time({ value, relative = false }: { value: string | null | undefined; relative?: boolean }) {
  if (!value) return <span className="muted">—</span>;
  return (
    <time dateTime={value} title={value}>
      {relative ? formatRelative(value) : formatDateTime(value)}
    </time>
  );
}

/** Seconds given, or between `start` and `end` (now while `end` is null). */
export function Duration({
  seconds,
  start,
  end,
}: {
  seconds?: number | null;
  start?: string | null;
  end?: string | null;
}) {
  const value = seconds ?? secondsBetween(start, end);
  return <span className="duration">{formatDuration(value)}</span>;
}
