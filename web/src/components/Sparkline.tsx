// Jobs finished per minute as stacked bars (succeeded below, failed above), drawn in
// inline SVG. The figures are also given as text for screen readers.

export interface ThroughputPointLike {
  minute: string;
  succeeded: number;
  failed: number;
}

/** Points of several series added up minute by minute (same minutes, same order). */
export function sumThroughput(series: readonly (readonly ThroughputPointLike[])[]): ThroughputPointLike[] {
  const byMinute = new Map<string, ThroughputPointLike>();
  for (const points of series) {
    for (const p of points) {
      const sum = byMinute.get(p.minute) ?? { minute: p.minute, succeeded: 0, failed: 0 };
      sum.succeeded += p.succeeded;
      sum.failed += p.failed;
      byMinute.set(p.minute, sum);
    }
  }
  return [...byMinute.values()].sort((a, b) => (a.minute < b.minute ? -1 : a.minute > b.minute ? 1 : 0));
}

export function Sparkline({
  points,
  width = 160,
  height = 32,
  label,
}: {
  points: readonly ThroughputPointLike[];
  width?: number;
  height?: number;
  label: string;
}) {
  const max = Math.max(1, ...points.map((p) => p.succeeded + p.failed));
  const slot = points.length ? width / points.length : width;
  const bar = Math.max(1, slot - 1);
  const succeeded = points.reduce((n, p) => n + p.succeeded, 0);
  const failed = points.reduce((n, p) => n + p.failed, 0);
  const summary = `${label}: ${succeeded} succeeded, ${failed} failed in the last ${points.length} minutes`;
  return (
    <svg className="sparkline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label={summary}>
      <title>{summary}</title>
      <line className="baseline" x1={0} x2={width} y1={height - 0.5} y2={height - 0.5} />
      {points.map((p, i) => {
        const ok = (p.succeeded / max) * height;
        const bad = (p.failed / max) * height;
        const x = i * slot;
        return (
          <g key={p.minute}>
            {ok > 0 && <rect className="bar-succeeded" x={x} y={height - ok} width={bar} height={ok} />}
            {bad > 0 && <rect className="bar-failed" x={x} y={height - ok - bad} width={bar} height={bad} />}
          </g>
        );
      })}
    </svg>
  );
}
