// One workflow: its status, progress and times, the operator's actions (start, cancel,
// retry, resume, delete; destructive ones confirmed), and its dependency graph drawn
// live: node colours follow the jobs' statuses as a worker runs them.
import { useCallback, useEffect, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { ErrorBanner } from "../components/ErrorBanner";
import { PageHeader } from "../components/PageHeader";
import { StatusBadge } from "../components/StatusBadge";
import { Duration, Time } from "../components/Time";
import type { ResumeAction, WorkflowStatus } from "../gql/graphql";
import { useNow, usePolling, useThrottled } from "../lib/live";
import { actionsFor, type WorkflowAction } from "../workflow/actions";
import { DagView } from "../workflow/DagView";
import {
  CancelWorkflowDocument,
  DeleteWorkflowDocument,
  ResumeWorkflowDocument,
  RetryWorkflowDocument,
  StartWorkflowDocument,
  WorkflowDocument,
} from "../workflow/documents";
import { ProgressBar } from "../workflow/ProgressBar";
import { useLiveWorkflow } from "../workflow/useLiveWorkflow";

const POLL_MS = 15_000;
/** The statuses in which the workflow's jobs move by themselves (workers run them). */
const MOVING: readonly WorkflowStatus[] = ["RUNNING"];

export default function WorkflowPage() {
  const { id = "" } = useParams();
  const navigate = useNavigate();
  const [{ data, error }, refetch] = useQuery({ query: WorkflowDocument, variables: { id } });
  const reloadHeader = useThrottled(() => refetch({ requestPolicy: "network-only" }), 1_000);
  const pruned = Boolean(data?.workflow?.prunedAt);
  // a pruned workflow has no graph and no job left to send events: none is read
  const live = useLiveWorkflow(id, reloadHeader, { pause: pruned });
  const [actionError, setActionError] = useState<Error | string | null>(null);
  const [, start] = useMutation(StartWorkflowDocument);
  const [, cancel] = useMutation(CancelWorkflowDocument);
  const [, retry] = useMutation(RetryWorkflowDocument);
  const [, resume] = useMutation(ResumeWorkflowDocument);
  const [, remove] = useMutation(DeleteWorkflowDocument);
  const [busy, setBusy] = useState(false);
  useNow(5_000); // re-render: the running time moves on

  // The header's figures, read now and then while the jobs move, tell the graph whether
  // it missed something (the fallback for events a subscription that was not yet
  // listening did not get; the graph is read again only if the figures disagree with
  // it, once per figures). Not for a workflow whose jobs stand still (not started,
  // paused, ended: an operator's action or a status change reads the header at once) nor
  // for a pruned one (its figures are the ones it had, its graph is empty).
  const moving = !pruned && MOVING.includes(live.latest?.status ?? data?.workflow?.status ?? "RUNNING");
  usePolling(() => {
    if (moving) reloadHeader();
  }, POLL_MS);
  useEffect(() => {
    const timer = setTimeout(reloadHeader, 3_000); // once the subscription surely listens
    return () => clearTimeout(timer);
  }, [id, reloadHeader]);
  const { verify } = live;
  useEffect(() => {
    if (data?.workflow) verify(data.workflow.stats);
  }, [data, verify]);

  const run = useCallback(
    async (action: WorkflowAction, question: string | null) => {
      if (question && !window.confirm(question)) return;
      setBusy(true);
      setActionError(null);
      try {
        const result =
          action === "start"
            ? await start({ id })
            : action === "cancel"
              ? await cancel({ id })
              : action === "retry"
                ? await retry({ id })
                : action === "delete"
                  ? await remove({ id })
                  : await resume({ id, action: action.slice("resume:".length) as ResumeAction });
        if (result.error) {
          setActionError(result.error);
        } else if (action === "delete") {
          navigate("/workflows");
          return;
        }
        reloadHeader();
        live.reloadSoon();
      } finally {
        setBusy(false);
      }
    },
    [id, start, cancel, retry, remove, resume, navigate, reloadHeader, live],
  );

  const workflow = data?.workflow;
  if (!workflow) {
    return (
      <>
        <PageHeader title="Workflow" />
        <ErrorBanner error={error} />
        {!error && <p className="muted">Loading…</p>}
      </>
    );
  }
  // the latest event is newer than the query, unless the query was read after it
  const status = live.latest?.status ?? workflow.status;
  const stats = live.latest?.stats ?? workflow.stats;

  return (
    <>
      <PageHeader title={workflow.name}>
        <StatusBadge status={status} />
        {actionsFor(status).map((spec) => (
          <button
            key={spec.action}
            type="button"
            className={spec.danger ? "danger" : spec.action === "start" || spec.action === "retry" ? "primary" : undefined}
            disabled={busy}
            onClick={() => void run(spec.action, spec.confirm)}
          >
            {spec.label}
          </button>
        ))}
      </PageHeader>
      <ErrorBanner error={actionError} />
      <ErrorBanner error={error} />
      {workflow.description && <p>{workflow.description}</p>}
      <div className="grid-2 wf-summary">
        <div className="card">
          <h2 className="card-title">Progress</h2>
          <ProgressBar stats={stats} />
        </div>
        <div className="card">
          <dl className="facts">
            <dt>Failure policy</dt>
            <dd>{workflow.failurePolicy.replace(/_/g, " ").toLowerCase()}</dd>
            <dt>Created</dt>
            <dd>
              <Time value={workflow.createdAt} />
            </dd>
            <dt>Started</dt>
            <dd>
              <Time value={workflow.startedAt} />
            </dd>
            <dt>Finished</dt>
            <dd>
              <Time value={workflow.finishedAt} />
            </dd>
            <dt>Run time</dt>
            <dd>{workflow.startedAt ? <Duration start={workflow.startedAt} end={workflow.finishedAt} /> : "—"}</dd>
            {workflow.template && (
              <>
                <dt>Template</dt>
                <dd>
                  {workflow.template.name} v{workflow.template.version}
                </dd>
              </>
            )}
            {workflow.parentWorkflowId && (
              <>
                <dt>Started by</dt>
                <dd>
                  <Link to={`/workflows/${workflow.parentWorkflowId}`}>parent workflow</Link>
                  {workflow.parentJobId && (
                    <>
                      {" "}
                      (<Link to={`/jobs/${workflow.parentJobId}`}>its job</Link>)
                    </>
                  )}
                </dd>
              </>
            )}
            <dt>Jobs</dt>
            <dd>
              <Link to={`/jobs?workflow=${workflow.id}`}>list them</Link>
            </dd>
          </dl>
        </div>
      </div>
      {workflow.prunedAt ? (
        <p className="muted">
          Its jobs were deleted by retention on <Time value={workflow.prunedAt} />: there is no graph left to draw.
        </p>
      ) : (
        <>
          <ErrorBanner error={live.error} />
          {live.graph ? (
            <DagView graph={live.graph} store={live.store} name={workflow.name} />
          ) : (
            !live.error && <p className="muted">Loading the graph…</p>
          )}
        </>
      )}
    </>
  );
}
