// How figures and times read on every page.

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

export function formatDateTime(value: string | Date | null | undefined): string {
  if (!value) return "—";
  const date = typeof value === "string" ? new Date(value) : value;
  return Number.isNaN(date.getTime()) ? "—" : dateTime.format(date);
}

/** "1.2 s", "3 min 4 s", "2 h 5 min", "3 d 4 h"; "—" for nothing. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return "—";
  const s = Math.max(0, seconds);
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(s % 60)} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** Seconds between two times (the second defaults to now). */
export function secondsBetween(start: string | null | undefined, end?: string | null): number | null {
  if (!start) return null;
  const from = new Date(start).getTime();
  const to = end ? new Date(end).getTime() : Date.now();
  return Number.isNaN(from) || Number.isNaN(to) ? null : (to - from) / 1000;
}

/** "5 s ago", "3 min ago", or the date beyond a day. */
export function formatRelative(value: string | null | undefined, now: number = Date.now()): string {
  if (!value) return "—";
  const then = new Date(value).getTime();
  if (Number.isNaN(then)) return "—";
  const seconds = Math.round((now - then) / 1000);
  if (seconds < -5) return `in ${formatDuration(-seconds)}`;
  if (seconds < 5) return "just now";
  if (seconds < 86_400) return `${formatDuration(seconds)} ago`;
  return formatDateTime(value);
}

/** A count that stops at `limit` reads as "10,000+". */
export function formatCount(value: number, limit?: number | null): string {
  const text = value.toLocaleString();
  return limit != null && value >= limit ? `${text}+` : text;
}

export function formatJson(value: unknown): string {
  if (value === undefined) return "";
  return JSON.stringify(value, null, 2);
}

export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}
