// The queues: each with its live figures (Queue.stats, counted up to countLimit), its
// limits, the online workers serving it (counted among the first WORKERS online: with
// more, the figures say "at least"), and pause / resume. A queue's name leads to
// its jobs. Paged by cursor (the page in the URL), PAGE at a time. Live: the shown page
// refetched every few seconds (the figures move with time as well as with events), and
// at once after a pause or resume.
import { Link, useSearchParams } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { DataTable } from "../components/DataTable";
import { ErrorBanner } from "../components/ErrorBanner";
import { PageHeader } from "../components/PageHeader";
import { Pager } from "../components/Pager";
import { Sparkline } from "../components/Sparkline";
import { StatusBadge } from "../components/StatusBadge";
import { Time } from "../components/Time";
import { graphql } from "../gql";
import type { QueuesPageQuery } from "../gql/graphql";
import { formatCount } from "../lib/format";
import { useNow, usePolling } from "../lib/live";
import { describeConcurrency, describeRateLimit, queueFigures, workersPerQueue } from "../lib/queueStats";

const MINUTES = 15;
const POLL_MS = 5_000;
/** Queues a page (each one's figures cost the server a few counts). */
export const PAGE = 50;
/** Online workers read to count each queue's (no count per queue on the server). */
export const WORKERS = 100;

const QueuesPageDocument = graphql(`
  query QueuesPage($minutes: Int!, $first: Int!, $after: String, $workers: Int!) {
    queues(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          name
          priority
          isPaused
          pausedAt
          project { id name }
          settings { maxAttempts timeoutSeconds }
          concurrency { key max strategy }
          rateLimit { key limit period }
          stats { ...QueueFigures }
        }
      }
    }
    workers(status: [ONLINE], first: $workers) {
      totalCount
      pageInfo { hasNextPage }
      edges { node { id status queues { queueId isActive } } }
    }
  }
`);

const PauseQueueDocument = graphql(`
  mutation PauseQueue($id: ID!) { pauseQueue(id: $id) { id isPaused pausedAt } }
`);

const ResumeQueueDocument = graphql(`
  mutation ResumeQueue($id: ID!) { resumeQueue(id: $id) { id isPaused pausedAt } }
`);

type QueueRow = QueuesPageQuery["queues"]["edges"][number]["node"];

export default function QueuesPage() {
  const [search, setSearch] = useSearchParams();
  const after = search.get("after") || null;
  const [{ data, error, fetching }, refetch] = useQuery({
    query: QueuesPageDocument,
    variables: { minutes: MINUTES, first: PAGE, after, workers: WORKERS },
  });
  const [pauseState, pause] = useMutation(PauseQueueDocument);
  const [resumeState, resume] = useMutation(ResumeQueueDocument);
  usePolling(() => refetch({ requestPolicy: "network-only" }), POLL_MS);
  useNow(POLL_MS); // "5 s ago" moves on between answers

  const queues = data?.queues.edges.map((e) => e.node) ?? [];
  const serving = workersPerQueue(data?.workers.edges.map((e) => e.node) ?? []);
  // more online than read: a queue's figure is those of the read ones serving it
  const workersPartial = data?.workers.pageInfo.hasNextPage ?? false;
  const busy = pauseState.fetching || resumeState.fetching;
  const capped = queues.some((q) => queueFigures(q.stats).capped);
  const limit = queues[0]?.stats.countLimit;

  async function toggle(queue: QueueRow) {
    const result = queue.isPaused ? await resume({ id: queue.id }) : await pause({ id: queue.id });
    if (!result.error) refetch({ requestPolicy: "network-only" });
  }

  return (
    <>
      <PageHeader title="Queues" />
      <ErrorBanner error={error ?? pauseState.error ?? resumeState.error} />
      {!data && fetching && <p className="muted">Loading…</p>}
      {data && (
        <>
          <DataTable<QueueRow>
            caption="Queues with their live figures, limits and workers"
            rows={queues}
            rowKey={(q) => q.id}
            rowClassName={(q) => (q.isPaused ? "paused" : undefined)}
            empty="No queues yet: create one with the createQueue mutation."
            columns={[
              {
                key: "name",
                header: "Queue",
                render: (q) => (
                  <>
                    <Link to={`/jobs?queue=${encodeURIComponent(q.id)}`}>{q.name}</Link>
                    <div className="muted">
                      {q.project.name} · priority {q.priority}
                    </div>
                  </>
                ),
              },
              {
                key: "state",
                header: "State",
                render: (q) =>
                  q.isPaused ? (
                    <>
                      <StatusBadge status="PAUSED" />
                      <div className="muted">
                        since <Time value={q.pausedAt} relative />
                      </div>
                    </>
                  ) : (
                    <StatusBadge status="ACTIVE" />
                  ),
              },
              ...figureColumns(),
              {
                key: "throughput",
                header: `Last ${MINUTES} min`,
                render: (q) => <Sparkline points={q.stats.throughput} label={q.name} width={120} height={24} />,
              },
              {
                key: "limits",
                header: "Limits",
                render: (q) => (
                  <dl className="limits">
                    <dt>Concurrency</dt>
                    <dd>{describeConcurrency(q.concurrency)}</dd>
                    <dt>Rate</dt>
                    <dd>{describeRateLimit(q.rateLimit)}</dd>
                  </dl>
                ),
              },
              {
                key: "workers",
                header: "Workers online",
                className: "num",
                render: (q) => (
                  <Link to="/workers">
                    {formatCount(serving.get(q.id) ?? 0)}
                    {workersPartial ? "+" : ""}
                  </Link>
                ),
              },
              {
                key: "actions",
                header: "Actions",
                render: (q) => (
                  <button type="button" onClick={() => toggle(q)} disabled={busy} aria-label={`${q.isPaused ? "Resume" : "Pause"} queue ${q.name}`}>
                    {q.isPaused ? "Resume" : "Pause"}
                  </button>
                ),
              },
            ]}
          />
          <Pager
            pageInfo={data.queues.pageInfo}
            after={after}
            onPage={(next) => setSearch(next ? { after: next } : {})}
            total={data.queues.totalCount}
            shown={queues.length}
          />
          <p className="muted">
            A paused queue takes new jobs and starts none until it is resumed.
            {capped && limit != null && ` Counts stop at ${formatCount(limit)}: “${formatCount(limit, limit)}” means at least that many.`}
            {workersPartial &&
              ` Workers online: ${formatCount(data.workers.totalCount)}, of which the first ${WORKERS} are counted per queue (“3+” means at least 3).`}
          </p>
        </>
      )}
    </>
  );
}

function figureColumns() {
  const cell = (pick: (f: ReturnType<typeof queueFigures>) => string) => (q: QueueRow) => pick(queueFigures(q.stats));
  return [
    { key: "waiting", header: "Waiting", className: "num", render: cell((f) => f.waiting) },
    { key: "running", header: "Running", className: "num", render: cell((f) => f.running) },
    { key: "scheduled", header: "Scheduled", className: "num", render: cell((f) => f.scheduled) },
    { key: "ok", header: "Succeeded (1 h)", className: "num", render: cell((f) => f.succeededLastHour) },
    {
      key: "failed",
      header: "Failed (1 h)",
      className: "num",
      render: (q: QueueRow) =>
        q.stats.failedLastHour > 0 ? (
          <Link to={`/jobs?queue=${encodeURIComponent(q.id)}&status=FAILED`}>{queueFigures(q.stats).failedLastHour}</Link>
        ) : (
          "0"
        ),
    },
    { key: "oldest", header: "Oldest wait", className: "num", render: cell((f) => f.oldestWait) },
  ];
}
