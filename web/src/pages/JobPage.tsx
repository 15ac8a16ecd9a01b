// One job: its state and times, payload, output and error, every attempt, the logs of
// the latest (or a chosen) attempt streaming live, progress, and retry / cancel.
import { useState } from "react";
import { Link, useParams } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { DataTable } from "../components/DataTable";
import { ErrorBanner } from "../components/ErrorBanner";
import { LogStream } from "../components/LogStream";
import { PageHeader } from "../components/PageHeader";
import { StatusBadge } from "../components/StatusBadge";
import { Duration, Time } from "../components/Time";
import { graphql } from "../gql";
import type { JobQuery, JobStatus } from "../gql/graphql";
import { formatJson } from "../lib/format";
import { useNow, useResumableSubscription, useThrottled } from "../lib/live";

const JobDocument = graphql(`
  query Job($id: ID!) {
    job(id: $id) {
      id
      jobType
      name
      status
      statusReason
      dependencyStatus
      priority
      attempts
      maxAttempts
      payload
      output
      error
      createdAt
      updatedAt
      startedAt
      finishedAt
      scheduledFor
      nextEligibleAt
      waitingForHandler
      progress
      progressMessage
      workflowId
      queue { id name }
      executions {
        id
        attempt
        status
        startedAt
        finishedAt
        duration
        error
        traceback
        progress
        worker { id name }
      }
    }
  }
`);

const JobEventsDocument = graphql(`
  subscription JobEvents($jobId: ID!, $after: ID) {
    jobStatusChanged(jobId: $jobId, after: $after) { eventId status progress progressMessage }
  }
`);

const CancelJobDocument = graphql(`
  mutation CancelJob($id: ID!) { cancelJob(id: $id) { id status statusReason } }
`);

const RetryJobDocument = graphql(`
  mutation RetryJob($id: ID!) { retryJob(id: $id) { id status attempts } }
`);

type Execution = JobQuery["job"]["executions"][number];

const CANCELLABLE: JobStatus[] = ["PENDING", "SCHEDULED", "PROCESSING"];
const RETRYABLE: JobStatus[] = ["FAILED", "CANCELLED", "SKIPPED"];

export function canCancel(status: JobStatus): boolean {
  return CANCELLABLE.includes(status);
}

export function canRetry(status: JobStatus): boolean {
  return RETRYABLE.includes(status);
}

export default function JobPage() {
  const { id = "" } = useParams();
  const [{ data, error }, refetch] = useQuery({ query: JobDocument, variables: { id } });
  const [cancelState, cancel] = useMutation(CancelJobDocument);
  const [retryState, retry] = useMutation(RetryJobDocument);
  const [chosen, setChosen] = useState<string | null>(null);
  const [live, setLive] = useState<{ progress: number | null; message: string | null } | null>(null);
  const reload = useThrottled(() => refetch({ requestPolicy: "network-only" }), 1_000);
  useNow(5_000); // re-render: relative times and running durations move on

  useResumableSubscription({
    query: JobEventsDocument,
    variables: { jobId: id },
    cursorOf: (e) => e.jobStatusChanged.eventId,
    onEvent: ({ jobStatusChanged: e }) => {
      if (e.progress != null) setLive({ progress: e.progress, message: e.progressMessage ?? null });
      if (data?.job.status !== e.status || e.progress == null) reload();
    },
    onResync: reload,
  });

  const job = data?.job;
  if (!job) {
    return (
      <>
        <PageHeader title="Job" />
        <ErrorBanner error={error} />
        {!error && <p className="muted">Loading…</p>}
      </>
    );
  }

  const executions = job.executions;
  const latest = executions.at(-1);
  const shown = executions.find((e) => e.id === chosen) ?? latest;
  const progress = job.status === "PROCESSING" ? (live?.progress ?? job.progress) : job.progress;
  const progressMessage = job.status === "PROCESSING" ? (live?.message ?? job.progressMessage) : job.progressMessage;

  async function onCancel() {
    if (!window.confirm(`Cancel this ${job!.jobType} job?`)) return;
    await cancel({ id: job!.id });
    reload();
  }

  async function onRetry() {
    await retry({ id: job!.id });
    setLive(null);
    reload();
  }

  return (
    <>
      <PageHeader title={`${job.jobType}${job.name ? ` · ${job.name}` : ""}`}>
        <StatusBadge status={job.status} />
        {canRetry(job.status) && (
          <button type="button" onClick={onRetry} disabled={retryState.fetching}>
            Retry
          </button>
        )}
        {canCancel(job.status) && (
          <button type="button" className="danger" onClick={onCancel} disabled={cancelState.fetching}>
            Cancel
          </button>
        )}
      </PageHeader>
      <ErrorBanner error={error ?? cancelState.error ?? retryState.error} />

      <div className="grid-2">
        <section className="card" aria-labelledby="state">
          <h2 id="state" className="visually-hidden">
            State
          </h2>
          <dl className="facts">
            <dt>Id</dt>
            <dd className="mono">{job.id}</dd>
            <dt>Queue</dt>
            <dd>
              <Link to={`/jobs?queue=${encodeURIComponent(job.queue.id)}`}>{job.queue.name}</Link>
            </dd>
            <dt>Status</dt>
            <dd>
              <StatusBadge status={job.status} />
              {job.statusReason && <span className="muted"> {job.statusReason}</span>}
              {job.waitingForHandler && <span className="muted"> (no online worker handles this type)</span>}
            </dd>
            <dt>Dependencies</dt>
            <dd>
              <StatusBadge status={job.dependencyStatus} />
            </dd>
            <dt>Priority</dt>
            <dd>{job.priority}</dd>
            <dt>Attempts</dt>
            <dd>{job.maxAttempts ? `${job.attempts} of ${job.maxAttempts}` : job.attempts}</dd>
            <dt>Created</dt>
            <dd>
              <Time value={job.createdAt} />
            </dd>
            {job.nextEligibleAt && (
              <>
                <dt>Next try</dt>
                <dd>
                  <Time value={job.nextEligibleAt} />
                </dd>
              </>
            )}
            <dt>Started</dt>
            <dd>
              <Time value={job.startedAt} />
            </dd>
            <dt>Finished</dt>
            <dd>
              <Time value={job.finishedAt} />
            </dd>
            <dt>Run time</dt>
            <dd>{job.startedAt ? <Duration start={job.startedAt} end={job.finishedAt} /> : "—"}</dd>
            {progress != null && (
              <>
                <dt>Progress</dt>
                <dd>
                  <progress className="progress" max={1} value={progress} aria-label="Progress" />{" "}
                  {Math.round(progress * 100)}% {progressMessage ?? ""}
                </dd>
              </>
            )}
            {job.workflowId && (
              <>
                <dt>Workflow</dt>
                <dd>
                  <Link to={`/workflows/${job.workflowId}`}>Open its workflow</Link>
                </dd>
              </>
            )}
          </dl>
        </section>
        <section aria-labelledby="payload">
          <h2 id="payload">Payload</h2>
          <pre tabIndex={0}>{formatJson(job.payload)}</pre>
          {job.output != null && (
            <>
              <h2>Output</h2>
              <pre tabIndex={0}>{formatJson(job.output)}</pre>
            </>
          )}
          {job.error && (
            <>
              <h2>Error</h2>
              <pre tabIndex={0} className="error-text">
                {job.error}
              </pre>
            </>
          )}
        </section>
      </div>

      <h2>Attempts</h2>
      <DataTable<Execution>
        caption="Every attempt, oldest first"
        rows={executions}
        rowKey={(e) => e.id}
        rowClassName={(e) => (e.id === shown?.id ? "selected" : undefined)}
        empty="Not started yet."
        columns={[
          { key: "attempt", header: "Attempt", className: "num", render: (e) => e.attempt },
          { key: "status", header: "Status", render: (e) => <StatusBadge status={e.status} /> },
          { key: "worker", header: "Worker", render: (e) => e.worker?.name ?? <span className="muted">—</span> },
          { key: "started", header: "Started", render: (e) => <Time value={e.startedAt} /> },
          {
            key: "duration",
            header: "Duration",
            render: (e) => <Duration seconds={e.duration} start={e.startedAt} end={e.finishedAt} />,
          },
          { key: "error", header: "Error", render: (e) => e.error ?? "" },
          {
            key: "logs",
            header: "Logs",
            render: (e) =>
              e.id === shown?.id ? (
                <span className="muted">shown below</span>
              ) : (
                <button type="button" className="link-button" onClick={() => setChosen(e.id)}>
                  Show logs of attempt {e.attempt}
                </button>
              ),
          },
        ]}
      />
      {shown?.traceback && (
        <details>
          <summary>Traceback of attempt {shown.attempt}</summary>
          <pre tabIndex={0}>{shown.traceback}</pre>
        </details>
      )}

      {shown && (
        <section aria-labelledby="logs">
          <h2 id="logs">Logs of attempt {shown.attempt}</h2>
          <LogStream executionId={shown.id} />
        </section>
      )}
    </>
  );
}
