// The workers: status, health, last heartbeat, the queues each serves (with weight,
// and whether the assignment is active) and the job types it handles; filtered by
// status (in the URL), paged by cursor. Live: refetched every few seconds, since a
// heartbeat announces itself through no event.
import { Link, useSearchParams } from "react-router-dom";
import { useQuery } from "urql";
import { DataTable } from "../components/DataTable";
import { ErrorBanner } from "../components/ErrorBanner";
import { PageHeader } from "../components/PageHeader";
import { Pager } from "../components/Pager";
import { StatusBadge, statusLabel } from "../components/StatusBadge";
import { Time } from "../components/Time";
import { graphql } from "../gql";
import type { WorkersPageQuery, WorkerStatus } from "../gql/graphql";
import { useNow, usePolling } from "../lib/live";

const PAGE = 50;
const POLL_MS = 5_000;
const STATUSES: WorkerStatus[] = ["ONLINE", "DRAINING", "OFFLINE"];

const WorkersPageDocument = graphql(`
  query WorkersPage($first: Int!, $after: String, $status: [WorkerStatus!]) {
    workers(first: $first, after: $after, status: $status) {
      totalCount
      edges {
        node {
          id
          name
          type
          status
          isHealthy
          lastHeartbeat
          createdAt
          jobTypes
          queues { queueId weight isActive queue { id name isPaused } }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

type WorkerRow = WorkersPageQuery["workers"]["edges"][number]["node"];

export default function WorkersPage() {
  const [search, setSearch] = useSearchParams();
  const rawStatus = search.get("status")?.toUpperCase() ?? "";
  const status = (STATUSES as string[]).includes(rawStatus) ? (rawStatus as WorkerStatus) : null;
  const after = search.get("after") || null;
  const [{ data, error, fetching }, refetch] = useQuery({
    query: WorkersPageDocument,
    variables: { first: PAGE, after, status: status ? [status] : null },
  });
  usePolling(() => refetch({ requestPolicy: "network-only" }), POLL_MS);
  useNow(POLL_MS); // "5 s ago" moves on between answers

  const go = (next: { status?: WorkerStatus | null; after?: string | null }) => {
    const params = new URLSearchParams();
    const s = next.status === undefined ? status : next.status;
    if (s) params.set("status", s);
    if (next.after) params.set("after", next.after);
    setSearch(params);
  };
  const rows = data?.workers.edges.map((e) => e.node) ?? [];

  return (
    <>
      <PageHeader title="Workers" />
      <form className="filters card" aria-label="Filter workers" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select value={status ?? ""} onChange={(e) => go({ status: (e.target.value || null) as WorkerStatus | null })}>
            <option value="">All statuses</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
        </label>
      </form>
      <ErrorBanner error={error} />
      {!data && fetching && <p className="muted">Loading…</p>}
      {data && (
        <>
          <DataTable<WorkerRow>
            caption="Workers"
            rows={rows}
            rowKey={(w) => w.id}
            empty={
              status ? (
                `No ${statusLabel(status).toLowerCase()} worker.`
              ) : (
                <>
                  No worker has registered yet: start one with <code>taskforge worker</code> or the Python SDK.
                </>
              )
            }
            columns={[
              {
                key: "name",
                header: "Worker",
                render: (w) => (
                  <>
                    <span className="worker-name">{w.name}</span>
                    <div className="muted">{statusLabel(w.type)}</div>
                  </>
                ),
              },
              { key: "status", header: "Status", render: (w) => <StatusBadge status={w.status} /> },
              {
                key: "health",
                header: "Heartbeat",
                render: (w) => (
                  <>
                    <Time value={w.lastHeartbeat} relative />
                    {w.status !== "OFFLINE" && !w.isHealthy && <div className="error-text">heartbeat overdue</div>}
                  </>
                ),
              },
              {
                key: "queues",
                header: "Queues",
                render: (w) =>
                  w.queues.length === 0 ? (
                    <span className="muted">none</span>
                  ) : (
                    <ul className="plain-list">
                      {w.queues.map((a) => (
                        <li key={a.queueId}>
                          <Link to={`/jobs?queue=${encodeURIComponent(a.queueId)}`}>{a.queue.name}</Link>
                          <span className="muted">
                            {" "}
                            weight {a.weight}
                            {a.isActive ? "" : " · inactive"}
                            {a.queue.isPaused ? " · queue paused" : ""}
                          </span>
                        </li>
                      ))}
                    </ul>
                  ),
              },
              {
                key: "types",
                header: "Job types",
                render: (w) =>
                  w.jobTypes == null ? <span className="muted">any</span> : w.jobTypes.length ? w.jobTypes.join(", ") : "none",
              },
              { key: "since", header: "Registered", render: (w) => <Time value={w.createdAt} /> },
            ]}
          />
          <Pager
            pageInfo={data.workers.pageInfo}
            after={after}
            onPage={(cursor) => go({ after: cursor })}
            total={data.workers.totalCount}
            shown={rows.length}
          />
        </>
      )}
    </>
  );
}
