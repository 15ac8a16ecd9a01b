// The jobs list: filtered by what the URL's query string says, newest first, paged by
// cursor. Rows change status live (jobStatusChanged with the same queue and workflow;
// the rest of the filters are applied here) and a new job matching the filters appears
// on top of the first page. The total follows the same events (a change it cannot
// work out, such as an unlisted job deleted, counts again, throttled). A cursor that
// expired reloads the list.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { useQuery } from "urql";
import { DataTable } from "../components/DataTable";
import { EnqueueForm } from "../components/EnqueueForm";
import { ErrorBanner } from "../components/ErrorBanner";
import { JobFiltersForm } from "../components/JobFiltersForm";
import { PageHeader } from "../components/PageHeader";
import { Pager } from "../components/Pager";
import { StatusBadge } from "../components/StatusBadge";
import { Duration, Time } from "../components/Time";
import { graphql } from "../gql";
import type { JobRowFragment } from "../gql/graphql";
import {
  applyJobEvent,
  filtersFromSearch,
  filtersToSearch,
  jobsVariables,
  keepListed,
  subscriptionVariables,
  totalChange,
  type JobFilters,
} from "../lib/jobFilters";
import { useLiveTotal, useNow, useResumableSubscription, useThrottled } from "../lib/live";

const PAGE = 50;
/** At most one recount per this many ms, however many deletions stream in. */
const RECOUNT_MS = 2_000;

const JobsDocument = graphql(`
  query Jobs(
    $first: Int!
    $after: String
    $queueId: ID
    $status: [JobStatus!]
    $jobType: String
    $workflowId: ID
    $createdAfter: DateTime
    $createdBefore: DateTime
  ) {
    jobs(
      first: $first
      after: $after
      queueId: $queueId
      status: $status
      jobType: $jobType
      workflowId: $workflowId
      createdAfter: $createdAfter
      createdBefore: $createdBefore
    ) {
      edges { node { ...JobRow } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

// the count runs apart, so that the rows are painted without waiting for it
const JobsCountDocument = graphql(`
  query JobsCount(
    $queueId: ID
    $status: [JobStatus!]
    $jobType: String
    $workflowId: ID
    $createdAfter: DateTime
    $createdBefore: DateTime
  ) {
    jobs(
      first: 1
      queueId: $queueId
      status: $status
      jobType: $jobType
      workflowId: $workflowId
      createdAfter: $createdAfter
      createdBefore: $createdBefore
    ) {
      totalCount
    }
  }
`);

const JobsLiveDocument = graphql(`
  subscription JobsLive($queueId: ID, $workflowId: ID, $after: ID) {
    jobStatusChanged(queueId: $queueId, workflowId: $workflowId, after: $after) {
      eventId
      jobId
      status
      previousStatus
      progress
      job { ...JobRow }
    }
  }
`);

export default function JobsPage() {
  const [search, setSearch] = useSearchParams();
  const filters = useMemo(() => filtersFromSearch(search), [search]);
  const variables = useMemo(() => jobsVariables(filters, PAGE), [filters]);
  const { first: _first, after: _after, ...countVariables } = variables;
  const [{ data, error, fetching }, refetch] = useQuery({ query: JobsDocument, variables });
  const [{ data: count }, refetchCount] = useQuery({ query: JobsCountDocument, variables: countVariables });
  const [total, addToTotal] = useLiveTotal(count, count?.jobs.totalCount);
  const [rows, setRows] = useState<readonly JobRowFragment[]>([]);
  const listed = useRef(rows);
  listed.current = rows;
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const [enqueueing, setEnqueueing] = useState(false);
  useNow(5_000); // re-render: relative times and running durations move on

  useEffect(() => {
    setRows(data?.jobs.edges.map((e) => e.node) ?? []);
    setFresh(new Set()); // the highlight is for jobs that arrived while watching this page
  }, [data]);

  const reload = useCallback(() => {
    refetch({ requestPolicy: "network-only" });
    refetchCount({ requestPolicy: "network-only" });
  }, [refetch, refetchCount]);
  const recount = useThrottled(() => refetchCount({ requestPolicy: "network-only" }), RECOUNT_MS);

  useResumableSubscription({
    query: JobsLiveDocument,
    variables: subscriptionVariables(filters),
    cursorOf: (event) => event.jobStatusChanged.eventId,
    onEvent: ({ jobStatusChanged: event }) => {
      const change = totalChange(listed.current.find((row) => row.id === event.jobId), event, filters);
      if (change === null) recount();
      else addToTotal(change);
      setRows((current) => {
        const next = applyJobEvent(current, event, filters, PAGE);
        if (next !== current) {
          const arrived = event.previousStatus == null && next[0]?.id === event.jobId;
          setFresh((f) => keepListed(arrived ? new Set(f).add(event.jobId) : f, next));
        }
        return next;
      });
    },
    onResync: reload,
  });

  const apply = (next: JobFilters) => setSearch(filtersToSearch(next));

  return (
    <>
      <PageHeader title="Jobs">
        <button type="button" className="primary" onClick={() => setEnqueueing((v) => !v)} aria-expanded={enqueueing}>
          Enqueue job
        </button>
      </PageHeader>
      {enqueueing && <EnqueueForm defaultQueueId={filters.queueId} onClose={() => setEnqueueing(false)} />}
      <JobFiltersForm value={filters} onApply={apply} />
      <ErrorBanner error={error} />
      {!data && fetching ? (
        <p className="muted">Loading…</p>
      ) : (
        <DataTable<JobRowFragment>
          caption="Jobs, newest first"
          rows={rows}
          rowKey={(j) => j.id}
          rowClassName={(j) => (fresh.has(j.id) ? "fresh" : undefined)}
          empty="No job matches these filters."
          columns={[
            {
              key: "type",
              header: "Job",
              render: (j) => (
                <Link to={`/jobs/${j.id}`}>
                  {j.jobType}
                  {j.name ? ` · ${j.name}` : ""}
                </Link>
              ),
            },
            { key: "status", header: "Status", render: (j) => <StatusBadge status={j.status} /> },
            { key: "queue", header: "Queue", render: (j) => j.queue.name },
            {
              key: "attempts",
              header: "Attempts",
              className: "num",
              render: (j) => (j.maxAttempts ? `${j.attempts} / ${j.maxAttempts}` : j.attempts),
            },
            { key: "created", header: "Created", render: (j) => <Time value={j.createdAt} relative /> },
            {
              key: "took",
              header: "Run time",
              render: (j) => (j.startedAt ? <Duration start={j.startedAt} end={j.finishedAt} /> : <span className="muted">—</span>),
            },
            {
              key: "workflow",
              header: "Workflow",
              render: (j) => (j.workflowId ? <Link to={`/workflows/${j.workflowId}`}>open</Link> : <span className="muted">—</span>),
            },
          ]}
        />
      )}
      <Pager
        pageInfo={data?.jobs.pageInfo}
        after={filters.after}
        onPage={(after) => apply({ ...filters, after })}
        total={total}
        shown={rows.length}
      />
    </>
  );
}
