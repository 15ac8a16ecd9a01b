// A workflow's graph kept live: read once through `graph { json criticalPath }`, then
// `workflowProgress` (resumable: after a reconnect it replays from its last event id)
// recolours jobs in batches of one animation frame. The graph is read again (throttled)
// when an event names a job it does not hold (mapped children, spawned jobs), when the
// subscription's cursor expired (RESYNC_REQUIRED), and when the server's counts stop
// agreeing with the page's in a quiet moment (what a subscription that was not yet
// listening when the graph was read would have missed).
import type { CombinedError } from "@urql/core";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useClient } from "urql";
import type { WorkflowProgressLiveSubscription, WorkflowStatus } from "../gql/graphql";
import { useResumableSubscription, useThrottled } from "../lib/live";
import { WorkflowGraphDocument, WorkflowProgressDocument } from "./documents";
import { buildGraph, parseGraphDoc, type WorkflowGraph } from "./graph";
import { countsAgree, FrameQueue, Journal, StatusStore, type StatusEvent } from "./live";
import type { StatsLike } from "./ProgressBar";

type ProgressEvent = WorkflowProgressLiveSubscription["workflowProgress"];

/** No check of the counts this soon after an event: the server's figures may be older. */
const QUIET_MS = 4_000;
/** A disagreement of the counts must last this long to reload the graph (the events of
 * one transaction may straddle two frames). */
const CONFIRM_MS = 1_500;

export interface LiveWorkflow {
  graph: WorkflowGraph | null;
  store: StatusStore;
  error: CombinedError | Error | null;
  /** The workflow's status and stats as the latest event told them. */
  latest: { status: WorkflowStatus; stats: StatsLike } | null;
  /** How long the last read of the graph took (request and parsing), in ms. */
  loadMillis: number | null;
  /** Read the graph again (throttled). */
  reloadSoon: () => void;
  /** Figures from elsewhere (the workflow query): reload the graph if they disagree. */
  verify: (stats: StatsLike) => void;
}

export function useLiveWorkflow(id: string, onStatusChange?: (status: WorkflowStatus) => void): LiveWorkflow {
  const client = useClient();
  const store = useMemo(() => new StatusStore(), [id]);
  const journal = useMemo(() => new Journal<StatusEvent>(), [id]);
  const [graph, setGraph] = useState<WorkflowGraph | null>(null);
  const [error, setError] = useState<CombinedError | Error | null>(null);
  const [latest, setLatest] = useState<LiveWorkflow["latest"]>(null);
  const [loadMillis, setLoadMillis] = useState<number | null>(null);
  const current = useRef<{ id: string; graph: WorkflowGraph | null; lastEventAt: number; status: WorkflowStatus | null }>({
    id,
    graph: null,
    lastEventAt: 0,
    status: null,
  });
  const statusChanged = useRef(onStatusChange);
  statusChanged.current = onStatusChange;

  const queue = useMemo(
    () =>
      new FrameQueue<ProgressEvent>((batch) => {
        if (!current.current.graph) return; // the first read is in flight: the journal has them
        const { unknown } = store.apply(batch.map((e) => ({ jobId: e.jobId, status: e.jobStatus })));
        const last = batch[batch.length - 1]!;
        setLatest({ status: last.workflowStatus, stats: last.stats });
        if (current.current.status !== null && last.workflowStatus !== current.current.status) {
          statusChanged.current?.(last.workflowStatus);
        }
        current.current.status = last.workflowStatus;
        if (unknown.length > 0) reloadRef.current();
        else if (!countsAgree(store.total(), last.stats.counts)) confirmRef.current(last.stats);
      }),
    [store],
  );
  useEffect(() => () => queue.dispose(), [queue]);

  const load = useCallback(async () => {
    queue.run(); // what waits is applied before the read starts
    journal.begin();
    const started = performance.now();
    const result = await client.query(WorkflowGraphDocument, { id }, { requestPolicy: "network-only" }).toPromise();
    const replay = journal.end();
    if (current.current.id !== id) return;
    if (result.error || !result.data) {
      setError(result.error ?? new Error("no data"));
      return;
    }
    try {
      const { json, criticalPath } = result.data.workflow.graph;
      const next = buildGraph(parseGraphDoc(json), criticalPath);
      const before = current.current.graph;
      const same = before !== null && before.shape === next.shape && before.criticalPath.join() === next.criticalPath.join();
      const kept = same ? before : next;
      current.current.graph = kept;
      store.load(next.statuses);
      store.apply(replay);
      if (!same) setGraph(kept);
      setError(null);
      setLoadMillis(performance.now() - started);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  }, [client, id, journal, queue, store]);

  const big = (graph?.jobs.size ?? 0) > 2_000;
  const reloadSoon = useThrottled(() => void load(), big ? 10_000 : 2_000);
  const reloadRef = useRef(reloadSoon);
  reloadRef.current = reloadSoon;

  // A disagreement is confirmed by the figures that are latest when the check runs.
  const pending = useRef<{ timer: ReturnType<typeof setTimeout> | null; stats: StatsLike | null }>({ timer: null, stats: null });
  const confirm = useCallback(
    (stats: StatsLike) => {
      pending.current.stats = stats;
      if (pending.current.timer) return;
      pending.current.timer = setTimeout(() => {
        pending.current.timer = null;
        const latestStats = pending.current.stats;
        if (latestStats && !countsAgree(store.total(), latestStats.counts)) reloadRef.current();
      }, CONFIRM_MS);
    },
    [store],
  );
  const confirmRef = useRef(confirm);
  confirmRef.current = confirm;
  useEffect(
    () => () => {
      if (pending.current.timer) clearTimeout(pending.current.timer);
    },
    [],
  );

  useEffect(() => {
    current.current = { id, graph: null, lastEventAt: 0, status: null };
    setGraph(null);
    setLatest(null);
    setError(null);
    void load();
  }, [id, load]);

  useResumableSubscription({
    query: WorkflowProgressDocument,
    variables: { workflowId: id },
    cursorOf: (data) => data.workflowProgress.eventId,
    onEvent: ({ workflowProgress: event }) => {
      current.current.lastEventAt = Date.now();
      journal.record({ jobId: event.jobId, status: event.jobStatus });
      queue.push(event);
    },
    onResync: () => void load(),
  });

  const verify = useCallback(
    (stats: StatsLike) => {
      if (!current.current.graph || Date.now() - current.current.lastEventAt < QUIET_MS) return;
      if (!countsAgree(store.total(), stats.counts)) confirmRef.current(stats);
    },
    [store],
  );

  return { graph, store, error, latest, loadMillis, reloadSoon, verify };
}
