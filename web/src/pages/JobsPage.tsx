// The jobs list: filtered by what the URL's query string says, newest first, paged by
// cursor. Rows change live from jobStatusChanged (with the same queue and workflow; the
// rest of the filters are applied here), from the event's own fields: the stream never
// asks for the job, which would cost the server a read per event. New jobs matching the
// filters, and rows an event cannot complete (a reopened job's attempt budget), are read
// together: one read of the shown page at most once a second, however many events
// announce them. The total is only ever a count the server made: an event that changes
// it counts again, throttled, rather than adding to it. A count read after a job was
// saved already holds it while the job's event may still be on its way; added to that
// count, the event would count the job twice. Rows a read brings (the list's, or the
// rows of new jobs) get the events received while the read was on its way played again
// onto them: the read may have run before them, and nothing else would bring them back.
// A cursor that expired reloads the list. Every read of the list takes its mark as it
// goes out, however it started: a reload, new filters, or urql's document cache reading
// the list again on its own after a mutation answered with a Job.
import type { DocumentNode } from "graphql";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { useClient, useQuery } from "urql";
import { filter, pipe, subscribe } from "wonka";
import { DataTable } from "../components/DataTable";
import { EnqueueForm } from "../components/EnqueueForm";
import { ErrorBanner } from "../components/ErrorBanner";
import { JobFiltersForm } from "../components/JobFiltersForm";
import { PageHeader } from "../components/PageHeader";
import { Pager } from "../components/Pager";
import { StatusBadge } from "../components/StatusBadge";
import { Duration, Time } from "../components/Time";
import { graphql } from "../gql";
import type { JobRowFragment, JobsLiveSubscription } from "../gql/graphql";
import { EventLog } from "../lib/eventLog";
import {
  applyJobEvent,
  filtersFromSearch,
  filtersToSearch,
  jobsVariables,
  keepListed,
  mergeRead,
  needsRead,
  replayEvents,
  subscriptionVariables,
  totalChange,
  wantsNewRow,
  type JobFilters,
} from "../lib/jobFilters";
import { useNow, useResumableSubscription, useThrottled } from "../lib/live";

const PAGE = 50;

type JobEvent = JobsLiveSubscription["jobStatusChanged"];

/** Whether a query is the list's (the Jobs operation, not JobsRead or JobsCount). */
function isJobsList(query: DocumentNode): boolean {
  return query.definitions.some((d) => d.kind === "OperationDefinition" && d.name?.value === "Jobs");
}
/** At most one count per this many ms, however many events change the total. */
export const RECOUNT_MS = 1_000;
/** At most one read of the shown page per this many ms, however many new jobs stream in. */
export const READ_MS = 1_000;

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

// the rows events announced, read together (its own operation: the list's result, and
// the highlight of new rows, stay as they are)
const JobsReadDocument = graphql(`
  query JobsRead(
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
      queueId
      workflowId
      jobType
      status
      previousStatus
      progress
      occurredAt
      deleted
    }
  }
`);

export default function JobsPage() {
  const [search, setSearch] = useSearchParams();
  const filters = useMemo(() => filtersFromSearch(search), [search]);
  const variables = useMemo(() => jobsVariables(filters, PAGE), [filters]);
  const { first: _first, after: _after, ...countVariables } = variables;
  const [{ data, error, fetching, stale }, refetch] = useQuery({ query: JobsDocument, variables });
  const [{ data: count }, refetchCount] = useQuery({ query: JobsCountDocument, variables: countVariables });
  const total = count?.jobs.totalCount;
  const [rows, setRows] = useState<readonly JobRowFragment[]>([]);
  const listed = useRef(rows);
  listed.current = rows;
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const [enqueueing, setEnqueueing] = useState(false);
  useNow(5_000); // re-render: relative times and running durations move on

  // the events received while reads were out; the list's read in flight (its mark)
  const passing = useRef(new EventLog<JobEvent>());
  const listRead = useRef<number | null>(null);
  const client = useClient();
  const shownFilters = useRef(filters);
  shownFilters.current = filters;

  useEffect(() => {
    let next: readonly JobRowFragment[] = data?.jobs.edges.map((e) => e.node) ?? [];
    if (data && listRead.current !== null) {
      // a cached answer (an older one) keeps the mark for the network's
      const events = stale ? passing.current.since(listRead.current) : passing.current.settle(listRead.current);
      if (!stale) listRead.current = null;
      next = replayEvents(next, events, shownFilters.current);
      // new jobs announced meanwhile that the read missed: read with the next rows
      for (const event of events) {
        if (wantsNewRow(next, event, shownFilters.current)) {
          wanted.current.add(event.jobId);
          fresher.current.add(event.jobId);
        }
      }
      if (wanted.current.size) read();
    }
    setRows(next);
    setFresh(new Set()); // the highlight is for jobs that arrived while watching this page
  }, [data]); // on each answer only: `stale` comes with it

  // a failed read brings no rows to replay onto: its mark is closed, or every event from
  // now on would be kept for it
  useEffect(() => {
    if (error && !stale && listRead.current !== null) {
      passing.current.settle(listRead.current);
      listRead.current = null;
    }
  }, [error]); // on each failed answer only

  // each read of the list, whoever sent it, opens the mark the answer will settle (the
  // operation goes out on this tick: no event can come in between)
  useEffect(() => {
    const { unsubscribe } = pipe(
      client.operations$,
      filter((operation) => operation.kind === "query" && isJobsList(operation.query)),
      subscribe(() => {
        if (listRead.current === null) listRead.current = passing.current.mark();
      }),
    );
    return unsubscribe;
  }, [client]);

  const reload = useCallback(() => {
    // a read still out keeps its earlier mark: replaying an event the answer holds is harmless
    if (listRead.current === null) listRead.current = passing.current.mark();
    refetch({ requestPolicy: "network-only" });
    refetchCount({ requestPolicy: "network-only" });
  }, [refetch, refetchCount]);
  const recount = useThrottled(() => refetchCount({ requestPolicy: "network-only" }), RECOUNT_MS);

  // the ids of jobs the next read is for: announced new, or rows an event left unsure
  const wanted = useRef(new Set<string>());
  const fresher = useRef(new Set<string>()); // of those, the new ones (highlighted)
  const shown = useRef(variables);
  shown.current = variables;
  const read = useThrottled(() => {
    const ids = wanted.current;
    const created = fresher.current;
    if (!ids.size) return;
    wanted.current = new Set();
    fresher.current = new Set();
    const asked = shown.current;
    const mark = passing.current.mark();
    void client
      .query(JobsReadDocument, asked, { requestPolicy: "network-only" })
      .toPromise()
      .then((result) => {
        const events = passing.current.settle(mark).filter((event) => ids.has(event.jobId));
        // another page or other filters since: their own query lists them
        if (!result.data || shown.current !== asked) return;
        const got = replayEvents(
          result.data.jobs.edges.map((e) => e.node),
          events,
          shownFilters.current,
        );
        setRows((current) => {
          const next = mergeRead(current, got, ids, PAGE);
          if (next !== current) {
            const added = next.filter((row) => created.has(row.id) && !current.some((c) => c.id === row.id));
            if (added.length) setFresh((f) => keepListed(new Set([...f, ...added.map((row) => row.id)]), next));
          }
          return next;
        });
      });
  }, READ_MS);
  useEffect(() => {
    wanted.current = new Set();
    fresher.current = new Set();
    // the list is read for these variables now: what earlier reads waited for is void
    passing.current.clear();
    listRead.current = passing.current.mark();
  }, [variables]);

  useResumableSubscription({
    query: JobsLiveDocument,
    variables: subscriptionVariables(filters),
    cursorOf: (event) => event.jobStatusChanged.eventId,
    onEvent: ({ jobStatusChanged: event }) => {
      if (!passing.current.push(event)) {
        // the reads out would miss events the log had to drop: read the list afresh
        passing.current.clear();
        listRead.current = null;
        wanted.current = new Set();
        fresher.current = new Set();
        reload();
      }
      const row = listed.current.find((r) => r.id === event.jobId);
      if (totalChange(row, event, filters) !== 0) recount();
      if (row ? needsRead(row, event) : wantsNewRow(listed.current, event, filters)) {
        wanted.current.add(event.jobId);
        if (!row) fresher.current.add(event.jobId);
        read();
      }
      setRows((current) => {
        const next = applyJobEvent(current, event, filters);
        if (next !== current) setFresh((f) => keepListed(f, next));
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
