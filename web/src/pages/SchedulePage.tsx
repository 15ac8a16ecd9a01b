// One schedule: its timetable and policies, its next runs, its run history (newest
// occurrence first, paged by cursor, each with the job or workflow it created), pause /
// resume / run now, edit and delete. Live: this schedule's ticks refetch it and its
// history (throttled); a slow poll moves the next runs along.
import { useMemo, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { DataTable } from "../components/DataTable";
import { ErrorBanner } from "../components/ErrorBanner";
import { PageHeader } from "../components/PageHeader";
import { Pager } from "../components/Pager";
import { ScheduleActions } from "../components/schedules/ScheduleActions";
import { ScheduleForm } from "../components/schedules/ScheduleForm";
import { StatusBadge, statusLabel } from "../components/StatusBadge";
import { graphql } from "../gql";
import type { ScheduleRunsQuery } from "../gql/graphql";
import { errorCode } from "../lib/errors";
import { formatDuration, formatJson } from "../lib/format";
import { usePolling, useResumableSubscription, useThrottled } from "../lib/live";
import { describeTarget, formatInZone, formFromSchedule } from "../lib/schedules";

const RUNS_PAGE = 20;

const ScheduleDocument = graphql(`
  query Schedule($id: ID!) {
    schedule(id: $id) {
      id
      name
      type
      expression
      timezone
      status
      pausedReason
      projectId
      queueId
      jobType
      payload
      priority
      maxAttempts
      workflowDefinition
      workflowTemplate { name version }
      input
      misfirePolicy
      overlapPolicy
      jitter
      maxRuns
      runsCount
      skippedCount
      pauseAfterFailures
      consecutiveFailures
      rateLimitPerMinute
      nextRunAt
      nextOccurrenceAt
      lastRunAt
      lastError
      deferrals
      bufferedOccurrence
      createdAt
      updatedAt
      upcomingRuns(count: 10)
    }
    queues(first: 100) { edges { node { id name } } }
  }
`);

const ScheduleRunsDocument = graphql(`
  query ScheduleRuns($id: ID!, $first: Int!, $after: String) {
    schedule(id: $id) {
      id
      runs(first: $first, after: $after) {
        edges {
          cursor
          node {
            occurrence
            firedAt
            job { id jobType status finishedAt }
            workflow { id name status finishedAt }
          }
        }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`);

const ScheduleTicksDocument = graphql(`
  subscription ScheduleTicks($scheduleId: ID, $after: ID) {
    schedulerTicks(scheduleId: $scheduleId, after: $after) { eventId occurrence }
  }
`);

const DeleteScheduleDocument = graphql(`
  mutation DeleteSchedule($id: ID!) { deleteSchedule(id: $id) }
`);

type Run = ScheduleRunsQuery["schedule"]["runs"]["edges"][number]["node"];

export default function SchedulePage() {
  const { id = "" } = useParams();
  const navigate = useNavigate();
  const [editing, setEditing] = useState(false);
  const [after, setAfter] = useState<string | null>(null);
  const [{ data, error, fetching }, refetch] = useQuery({ query: ScheduleDocument, variables: { id } });
  const [runsResult, refetchRuns] = useQuery({
    query: ScheduleRunsDocument,
    variables: { id, first: RUNS_PAGE, after },
  });
  const [deleteState, remove] = useMutation(DeleteScheduleDocument);
  const reload = useThrottled(() => {
    refetch({ requestPolicy: "network-only" });
    refetchRuns({ requestPolicy: "network-only" });
  }, 2_000);
  useResumableSubscription({
    query: ScheduleTicksDocument,
    variables: { scheduleId: id },
    cursorOf: (tick) => tick.schedulerTicks.eventId,
    onEvent: reload,
    onResync: reload,
  });
  usePolling(() => refetch({ requestPolicy: "network-only" }), 30_000);

  const schedule = data?.schedule;
  const initial = useMemo(() => (schedule ? formFromSchedule(schedule) : undefined), [schedule]);
  const queueName = data?.queues.edges.find((e) => e.node.id === schedule?.queueId)?.node.name;
  const runs = runsResult.data?.schedule.runs;

  if (errorCode(error?.graphQLErrors) === "NOT_FOUND") {
    return (
      <>
        <PageHeader title="Schedule not found" />
        <p>
          No schedule {id} in this organization (it may have been deleted). <Link to="/schedules">All schedules</Link>
        </p>
      </>
    );
  }

  async function onDelete() {
    if (!schedule || !window.confirm(`Delete the schedule ${schedule.name}? It will not fire again.`)) return;
    const result = await remove({ id: schedule.id });
    if (!result.error) navigate("/schedules");
  }

  return (
    <>
      <PageHeader title={schedule ? `Schedule ${schedule.name}` : "Schedule"}>
        {schedule && <StatusBadge status={schedule.status} />}
        {schedule && !editing && (
          <>
            <button type="button" onClick={() => setEditing(true)}>
              Edit
            </button>
            <button type="button" className="danger" onClick={onDelete} disabled={deleteState.fetching}>
              Delete
            </button>
          </>
        )}
      </PageHeader>
      <p>
        <Link to="/schedules">All schedules</Link>
      </p>
      <ErrorBanner error={error ?? deleteState.error} />
      {!data && fetching && <p className="muted">Loading…</p>}
      {schedule && editing && initial && (
        <ScheduleForm
          scheduleId={schedule.id}
          initial={initial}
          onSaved={() => {
            setEditing(false);
            reload();
          }}
          onCancel={() => setEditing(false)}
        />
      )}
      {schedule && (
        <>
          <ScheduleActions schedule={schedule} />
          {schedule.pausedReason && (
            <p className="banner banner-info" role="status">
              {schedule.pausedReason}
            </p>
          )}
          {schedule.lastError && (
            <p className="banner banner-error">
              Last error: {schedule.lastError}
            </p>
          )}
          <div className="grid-2">
            <section className="card schedule-card" aria-labelledby="timetable">
              <h2 id="timetable">Timetable</h2>
              <p className="muted">Times in {schedule.timezone}.</p>
              <dl className="facts">
                <dt>Type</dt>
                <dd>{schedule.type === "RECURRING" ? "Interval" : statusLabel(schedule.type)}</dd>
                <dt>Expression</dt>
                <dd>
                  <code>{schedule.expression}</code>
                </dd>
                <dt>Timezone</dt>
                <dd>{schedule.timezone}</dd>
                <dt>Runs</dt>
                <dd>
                  {schedule.runsCount.toLocaleString()}
                  {schedule.maxRuns != null ? ` of ${schedule.maxRuns.toLocaleString()}` : ""}
                  {schedule.skippedCount > 0 ? ` · ${schedule.skippedCount} skipped` : ""}
                </dd>
                <dt>Last run</dt>
                <dd>
                  <ZonedTime value={schedule.lastRunAt} timezone={schedule.timezone} />
                </dd>
                <dt>Next run</dt>
                <dd>
                  <ZonedTime value={schedule.nextRunAt} timezone={schedule.timezone} />
                  {schedule.nextOccurrenceAt && !sameInstant(schedule.nextOccurrenceAt, schedule.nextRunAt) && (
                    <span className="muted">
                      {" "}
                      (occurrence <ZonedTime value={schedule.nextOccurrenceAt} timezone={schedule.timezone} />, delayed by its jitter)
                    </span>
                  )}
                </dd>
                {schedule.bufferedOccurrence && (
                  <>
                    <dt>Waiting to fire</dt>
                    <dd>
                      <ZonedTime value={schedule.bufferedOccurrence} timezone={schedule.timezone} />
                    </dd>
                  </>
                )}
                <dt>Missed runs</dt>
                <dd>{statusLabel(schedule.misfirePolicy)}</dd>
                <dt>Overlap</dt>
                <dd>{statusLabel(schedule.overlapPolicy)}</dd>
                <dt>Jitter</dt>
                <dd>{schedule.jitter ? formatDuration(schedule.jitter) : "none"}</dd>
                <dt>Pause after failures</dt>
                <dd>
                  {schedule.pauseAfterFailures == null
                    ? "never"
                    : `${schedule.pauseAfterFailures} in a row (now ${schedule.consecutiveFailures})`}
                </dd>
              </dl>
            </section>
            <section className="card schedule-card" aria-labelledby="upcoming">
              <h2 id="upcoming">Next runs</h2>
              {schedule.upcomingRuns.length === 0 ? (
                <p className="muted">
                  {schedule.status === "ACTIVE" ? "No run ahead." : `None while ${statusLabel(schedule.status).toLowerCase()}.`}
                </p>
              ) : (
                <ol className="next-runs">
                  {schedule.upcomingRuns.map((run) => (
                    <li key={run}>
                      <ZonedTime value={run} timezone={schedule.timezone} />
                    </li>
                  ))}
                </ol>
              )}
            </section>
          </div>

          <section className="card schedule-card" aria-labelledby="target">
            <h2 id="target">What it runs</h2>
            <p>
              {describeTarget(schedule)}
              {queueName && (
                <>
                  {" "}
                  on queue <Link to={`/jobs?queue=${encodeURIComponent(schedule.queueId ?? "")}`}>{queueName}</Link>
                </>
              )}
              {schedule.jobType && ` · priority ${schedule.priority}`}
            </p>
            {schedule.jobType ? (
              <>
                <h3>Payload</h3>
                <pre>{formatJson(schedule.payload)}</pre>
              </>
            ) : (
              <>
                {schedule.workflowDefinition != null && (
                  <details>
                    <summary>Workflow definition</summary>
                    <pre>{formatJson(schedule.workflowDefinition)}</pre>
                  </details>
                )}
                {schedule.input != null && (
                  <>
                    <h3>Run input</h3>
                    <pre>{formatJson(schedule.input)}</pre>
                  </>
                )}
              </>
            )}
          </section>

          <h2>Run history</h2>
          <ErrorBanner error={runsResult.error} />
          <DataTable<Run>
            caption={`Runs of this schedule, newest occurrence first (times in ${schedule.timezone})`}
            rows={runs?.edges.map((e) => e.node) ?? []}
            rowKey={(r) => r.occurrence}
            empty={
              runsResult.error ? "The run history could not be read." : runsResult.fetching && !runs ? "Loading…" : "It has not run yet."
            }
            columns={[
              {
                key: "occurrence",
                header: "Occurrence",
                render: (r) => <ZonedTime value={r.occurrence} timezone={schedule.timezone} />,
              },
              {
                key: "fired",
                header: "Fired",
                render: (r) =>
                  r.firedAt ? <ZonedTime value={r.firedAt} timezone={schedule.timezone} /> : <span className="muted">waiting (backfill)</span>,
              },
              { key: "run", header: "Run", render: runLink },
              {
                key: "status",
                header: "Status",
                render: (r) => {
                  const status = r.job?.status ?? r.workflow?.status;
                  return status ? <StatusBadge status={status} /> : <span className="muted">—</span>;
                },
              },
              {
                key: "finished",
                header: "Finished",
                render: (r) => <ZonedTime value={r.job?.finishedAt ?? r.workflow?.finishedAt} timezone={schedule.timezone} />,
              },
            ]}
          />
          <Pager pageInfo={runs?.pageInfo} after={after} onPage={setAfter} />
        </>
      )}
    </>
  );
}

function sameInstant(a: string | null | undefined, b: string | null | undefined): boolean {
  return a != null && b != null && new Date(a).getTime() === new Date(b).getTime();
}

function ZonedTime({ value, timezone }: { value: string | null | undefined; timezone: string }) {
  if (!value) return <span className="muted">—</span>;
  return (
    <time dateTime={value} title={value}>
      {formatInZone(value, timezone)}
    </time>
  );
}

function runLink(run: Run) {
  if (run.job) return <Link to={`/jobs/${run.job.id}`}>job {run.job.jobType}</Link>;
  if (run.workflow) return <Link to={`/workflows/${run.workflow.id}`}>workflow {run.workflow.name}</Link>;
  return <span className="muted">{run.firedAt ? "deleted since" : "not fired yet"}</span>;
}
