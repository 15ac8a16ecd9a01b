// The workflows, newest first, filtered by status (in the URL) and paged by cursor, each
// with its progress. Live: a job change in a workflow reloads the page's rows (at most
// every 2 s); a slow poll catches the workflows' own changes.
import { useCallback, useMemo } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { useQuery } from "urql";
import { DataTable } from "../components/DataTable";
import { ErrorBanner } from "../components/ErrorBanner";
import { PageHeader } from "../components/PageHeader";
import { Pager } from "../components/Pager";
import { StatusBadge, statusLabel } from "../components/StatusBadge";
import { Duration, Time } from "../components/Time";
import type { WorkflowSummaryFragment } from "../gql/graphql";
import { shortId } from "../lib/format";
import { useNow, usePolling, useResumableSubscription, useThrottled } from "../lib/live";
import { WorkflowsCountDocument, WorkflowsDocument, WorkflowsLiveDocument } from "../workflow/documents";
import { filtersFromSearch, filtersToSearch, toggleStatus, WORKFLOW_STATUSES, type WorkflowFilters } from "../workflow/listFilters";
import { ProgressBar } from "../workflow/ProgressBar";

const PAGE = 25;

export default function WorkflowsPage() {
  const [search, setSearch] = useSearchParams();
  const filters = useMemo(() => filtersFromSearch(search), [search]);
  const status = filters.statuses.length ? filters.statuses : null;
  const [{ data, error, fetching }, refetch] = useQuery({
    query: WorkflowsDocument,
    variables: { first: PAGE, after: filters.after, status },
  });
  const [{ data: count }, refetchCount] = useQuery({ query: WorkflowsCountDocument, variables: { status } });
  useNow(5_000); // re-render: relative times and running durations move on

  const reload = useCallback(() => {
    refetch({ requestPolicy: "network-only" });
    refetchCount({ requestPolicy: "network-only" });
  }, [refetch, refetchCount]);
  const reloadSoon = useThrottled(reload, 2_000);
  usePolling(reloadSoon, 15_000);

  useResumableSubscription({
    query: WorkflowsLiveDocument,
    variables: {},
    cursorOf: (event) => event.jobStatusChanged.eventId,
    onEvent: ({ jobStatusChanged: event }) => {
      if (event.workflowId) reloadSoon();
    },
    onResync: reload,
  });

  const apply = (next: WorkflowFilters) => setSearch(filtersToSearch(next));
  const rows = data?.workflows.edges.map((e) => e.node) ?? [];

  return (
    <>
      <PageHeader title="Workflows" />
      <fieldset className="filters">
        <legend className="visually-hidden">Filter by status</legend>
        <div className="checks" role="group" aria-label="Status">
          {WORKFLOW_STATUSES.map((s) => (
            <label key={s}>
              <input type="checkbox" checked={filters.statuses.includes(s)} onChange={() => apply(toggleStatus(filters, s))} />
              {statusLabel(s)}
            </label>
          ))}
        </div>
        {filters.statuses.length > 0 && (
          <button type="button" className="link-button" onClick={() => apply({ statuses: [], after: null })}>
            Show all
          </button>
        )}
      </fieldset>
      <ErrorBanner error={error} />
      {!data && fetching ? (
        <p className="muted">Loading…</p>
      ) : (
        <DataTable<WorkflowSummaryFragment>
          caption="Workflows, newest first"
          rows={rows}
          rowKey={(w) => w.id}
          empty={filters.statuses.length ? "No workflow in these statuses." : "No workflow yet."}
          columns={[
            {
              key: "name",
              header: "Workflow",
              render: (w) => (
                <>
                  <Link to={`/workflows/${w.id}`}>{w.name}</Link> <span className="muted mono">{shortId(w.id)}</span>
                </>
              ),
            },
            { key: "status", header: "Status", render: (w) => <StatusBadge status={w.status} /> },
            { key: "progress", header: "Progress", render: (w) => <ProgressBar stats={w.stats} compact /> },
            { key: "created", header: "Created", render: (w) => <Time value={w.createdAt} relative /> },
            { key: "started", header: "Started", render: (w) => <Time value={w.startedAt} relative /> },
            {
              key: "took",
              header: "Run time",
              render: (w) => (w.startedAt ? <Duration start={w.startedAt} end={w.finishedAt} /> : <span className="muted">—</span>),
            },
          ]}
        />
      )}
      <Pager
        pageInfo={data?.workflows.pageInfo}
        after={filters.after}
        onPage={(after) => apply({ ...filters, after })}
        total={count?.workflows.totalCount}
        shown={rows.length}
      />
    </>
  );
}
