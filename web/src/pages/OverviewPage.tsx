// The overview: the queues' live figures (waiting, running, scheduled, finished in the
// last hour, the oldest wait, the last 15 minutes' throughput), the running jobs and the
// workers online. The first QUEUES queues only: with more, the page says its totals are
// theirs and leads to the Queues page, which pages through all. Live: a throttled refetch on job status events, and a slow poll for
// the figures no event announces (time passing, workers' heartbeats).
import { Link } from "react-router-dom";
import { useQuery } from "urql";
import { DataTable } from "../components/DataTable";
import { ErrorBanner } from "../components/ErrorBanner";
import { PageHeader } from "../components/PageHeader";
import { Sparkline, sumThroughput } from "../components/Sparkline";
import { StatusBadge } from "../components/StatusBadge";
import { Duration } from "../components/Time";
import { graphql } from "../gql";
import type { OverviewQuery } from "../gql/graphql";
import { formatCount, formatDuration } from "../lib/format";
import { useNow, usePolling, useResumableSubscription, useThrottled } from "../lib/live";

const MINUTES = 15;
/** The queues read (the page size limit): beyond them, the figures say they are partial. */
export const QUEUES = 100;

const OverviewDocument = graphql(`
  query Overview($minutes: Int!, $queues: Int!) {
    queues(first: $queues) {
      totalCount
      edges {
        node {
          id
          name
          priority
          isPaused
          stats { ...QueueFigures }
        }
      }
    }
    running: jobs(first: 10, status: [PROCESSING]) {
      edges {
        node { id jobType startedAt progress progressMessage queue { id name } }
      }
    }
    online: workers(status: [ONLINE], first: 1) { totalCount }
    draining: workers(status: [DRAINING], first: 1) { totalCount }
  }
`);

const OverviewEventsDocument = graphql(`
  subscription OverviewEvents($after: ID) {
    jobStatusChanged(after: $after) { eventId jobId status }
  }
`);

type QueueRow = OverviewQuery["queues"]["edges"][number]["node"];
type RunningRow = OverviewQuery["running"]["edges"][number]["node"];

export default function OverviewPage() {
  const [{ data, error, fetching }, refetch] = useQuery({
    query: OverviewDocument,
    variables: { minutes: MINUTES, queues: QUEUES },
  });
  const reload = useThrottled(() => refetch({ requestPolicy: "network-only" }), 2_000);
  useResumableSubscription({
    query: OverviewEventsDocument,
    variables: {},
    cursorOf: (event) => event.jobStatusChanged.eventId,
    onEvent: reload,
    onResync: reload,
  });
  usePolling(reload, 15_000);
  useNow(5_000); // re-render: relative times and running durations move on

  const queues = data?.queues.edges.map((e) => e.node) ?? [];
  const running = data?.running.edges.map((e) => e.node) ?? [];
  const limit = queues[0]?.stats.countLimit;
  const totalQueues = data?.queues.totalCount ?? 0;
  const partial = totalQueues > queues.length;
  const sum = (pick: (q: QueueRow) => number) => queues.reduce((n, q) => n + pick(q), 0);
  const throughput = sumThroughput(queues.map((q) => q.stats.throughput));

  return (
    <>
      <PageHeader title="Overview" />
      <ErrorBanner error={error} />
      {!data && fetching && <p className="muted">Loading…</p>}
      {data && (
        <>
          {partial && (
            <p className="muted" role="note">
              Figures of the first {queues.length.toLocaleString()} of {totalQueues.toLocaleString()} queues.{" "}
              <Link to="/queues">All queues</Link>
            </p>
          )}
          <section aria-labelledby="totals" className="cards">
            <h2 id="totals" className="visually-hidden">
              Totals
            </h2>
            <Stat label="Waiting" value={formatCount(sum((q) => q.stats.waiting))} />
            <Stat label="Running" value={formatCount(sum((q) => q.stats.running))} />
            <Stat label="Scheduled" value={formatCount(sum((q) => q.stats.scheduled))} />
            <Stat label="Succeeded in the last hour" value={formatCount(sum((q) => q.stats.succeededLastHour))} />
            <Stat label="Failed in the last hour" value={formatCount(sum((q) => q.stats.failedLastHour))} />
            <Stat
              label="Workers online"
              value={data.online.totalCount.toLocaleString()}
              note={data.draining.totalCount ? `${data.draining.totalCount} draining` : undefined}
              to="/workers"
            />
            <div className="card stat">
              <div className="label">Throughput, last {MINUTES} minutes</div>
              <Sparkline points={throughput} label="All queues" width={240} height={40} />
            </div>
          </section>

          <h2>Queues</h2>
          <DataTable<QueueRow>
            caption={partial ? `The first ${queues.length} of ${totalQueues} queues and their live figures` : "Queues and their live figures"}
            rows={queues}
            rowKey={(q) => q.id}
            empty="No queues yet: create one with the createQueue mutation."
            columns={[
              {
                key: "name",
                header: "Queue",
                render: (q) => (
                  <>
                    <Link to={`/jobs?queue=${encodeURIComponent(q.id)}`}>{q.name}</Link>
                    {q.isPaused && (
                      <>
                        {" "}
                        <StatusBadge status="PAUSED" />
                      </>
                    )}
                  </>
                ),
              },
              { key: "priority", header: "Priority", className: "num", render: (q) => q.priority },
              {
                key: "waiting",
                header: "Waiting",
                className: "num",
                render: (q) => (
                  <Link to={`/jobs?queue=${encodeURIComponent(q.id)}&status=PENDING`}>
                    {formatCount(q.stats.waiting, limit)}
                  </Link>
                ),
              },
              { key: "running", header: "Running", className: "num", render: (q) => formatCount(q.stats.running, limit) },
              { key: "scheduled", header: "Scheduled", className: "num", render: (q) => formatCount(q.stats.scheduled, limit) },
              {
                key: "ok",
                header: "Succeeded (1 h)",
                className: "num",
                render: (q) => formatCount(q.stats.succeededLastHour, limit),
              },
              {
                key: "failed",
                header: "Failed (1 h)",
                className: "num",
                render: (q) =>
                  q.stats.failedLastHour > 0 ? (
                    <Link to={`/jobs?queue=${encodeURIComponent(q.id)}&status=FAILED`}>
                      {formatCount(q.stats.failedLastHour, limit)}
                    </Link>
                  ) : (
                    "0"
                  ),
              },
              {
                key: "oldest",
                header: "Oldest wait",
                className: "num",
                render: (q) => formatDuration(q.stats.oldestWaitingAge),
              },
              {
                key: "throughput",
                header: `Last ${MINUTES} min`,
                render: (q) => <Sparkline points={q.stats.throughput} label={q.name} width={120} height={24} />,
              },
            ]}
          />

          <h2>Running jobs</h2>
          <DataTable<RunningRow>
            caption="Jobs running now (the ten newest)"
            rows={running}
            rowKey={(j) => j.id}
            empty="No job is running."
            columns={[
              { key: "type", header: "Type", render: (j) => <Link to={`/jobs/${j.id}`}>{j.jobType}</Link> },
              { key: "queue", header: "Queue", render: (j) => j.queue.name },
              { key: "for", header: "Running for", render: (j) => <Duration start={j.startedAt} /> },
              {
                key: "progress",
                header: "Progress",
                render: (j) =>
                  j.progress == null ? (
                    <span className="muted">—</span>
                  ) : (
                    <>
                      <progress className="progress" max={1} value={j.progress} aria-label={`Progress of ${j.jobType}`} />{" "}
                      {Math.round(j.progress * 100)}% {j.progressMessage ?? ""}
                    </>
                  ),
              },
            ]}
          />
          {running.length === 10 && (
            <p>
              <Link to="/jobs?status=PROCESSING">All running jobs</Link>
            </p>
          )}
        </>
      )}
    </>
  );
}

function Stat({ label, value, note, to }: { label: string; value: string; note?: string; to?: string }) {
  return (
    <div className="card stat">
      <div className="label">{label}</div>
      <div className="value">{to ? <Link to={to}>{value}</Link> : value}</div>
      {note && <div className="muted">{note}</div>}
    </div>
  );
}
