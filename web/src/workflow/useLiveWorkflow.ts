// A workflow's graph kept live: read once through `graph { json criticalPath }`, then
// `workflowProgress` (resumable: after a reconnect it replays from its last event id)
// recolours jobs in batches of one animation frame. The graph is read again (throttled)
// when an event names a job it does not hold (mapped children, spawned jobs), when the
// subscription's cursor expired (RESYNC_REQUIRED), and when the server's counts stop
// agreeing with the page's for a while (what a subscription that was not yet listening
// when the graph was read would have missed): once per figures, so that counts a read
// cannot make agree (a pruned workflow keeps the stats it had, its graph is empty) are
// not a reason to read it again and again. `pause`: no reads, no subscription (a
// pruned workflow has no graph left to draw and no job to send events).
import type { CombinedError } from "@urql/core";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useClient } from "urql";
import type { WorkflowProgressLiveSubscription, WorkflowStatus } from "../gql/graphql";
import { errorCode } from "../lib/errors";
import { useResumableSubscription, useThrottled } from "../lib/live";
import { WorkflowGraphDocument, WorkflowProgressDocument } from "./documents";
import { buildGraph, parseGraphDoc, type WorkflowGraph } from "./graph";
import { countsAgree, FrameQueue, Journal, StatusStore, type StatusEvent } from "./live";
import type { StatsLike } from "./ProgressBar";

type ProgressEvent = WorkflowProgressLiveSubscription["workflowProgress"];

/** No check against the workflow query's figures this soon after an event: they may be
 * older than the page's. */
const QUIET_MS = 4_000;
/** The counts are compared with the latest event's figures once events pause this long.
 * While they flow, the figures of concurrent transactions need not add up event by
 * event, so a disagreement then reloads only once it has lasted BUSY_MS. */
const SETTLE_MS = 1_000;
const BUSY_MS = 30_000;
/** A failed first read of the graph is tried again after 1 s, 2 s, 4 s... up to 30 s. */
export const FIRST_LOAD_RETRY_MS = 1_000;
const FIRST_LOAD_RETRY_MAX_MS = 30_000;
/** The header's figures follow the events at most this often (a status change at once). */
const HEADER_MS = 250;

export interface LiveWorkflow {
  graph: WorkflowGraph | null;
  store: StatusStore;
  error: CombinedError | Error | null;
  /** The workflow's status and stats as the latest event told them. */
  latest: { status: WorkflowStatus; stats: StatsLike } | null;
  /** Read the graph again (throttled). */
  reloadSoon: () => void;
  /** Figures from elsewhere (the workflow query): reload the graph if they disagree. */
  verify: (stats: StatsLike) => void;
}

/** What of the graph read before a reload can keep: all of it when only statuses
 * changed; its jobs (the nodes' props, so that they do not render again) when only the
 * critical path moved, as run times became known. */
export function reuse(before: WorkflowGraph | null, next: WorkflowGraph): WorkflowGraph {
  if (before === null || before.shape !== next.shape) return next;
  if (before.criticalPath.join() === next.criticalPath.join()) return before;
  return { ...before, criticalPath: next.criticalPath, critical: next.critical, criticalEdges: next.criticalEdges, statuses: next.statuses };
}

/** The figures a disagreement was about, as a key: the same figures again are not a new
 * reason to read the graph. */
function countsKey(stats: StatsLike): string {
  return stats.counts
    .map(({ status, count }) => `${status}:${count}`)
    .sort()
    .join();
}

export function useLiveWorkflow(
  id: string,
  onStatusChange?: (status: WorkflowStatus) => void,
  { pause = false }: { pause?: boolean } = {},
): LiveWorkflow {
  const client = useClient();
  const store = useMemo(() => new StatusStore(), [id]);
  const journal = useMemo(() => new Journal<StatusEvent>(), [id]);
  const [graph, setGraph] = useState<WorkflowGraph | null>(null);
  const [error, setError] = useState<CombinedError | Error | null>(null);
  const [latest, setLatest] = useState<LiveWorkflow["latest"]>(null);
  const current = useRef<{ id: string; graph: WorkflowGraph | null; lastEventAt: number; status: WorkflowStatus | null }>({
    id,
    graph: null,
    lastEventAt: 0,
    status: null,
  });
  const statusChanged = useRef(onStatusChange);
  statusChanged.current = onStatusChange;

  // re-rendering the header on every frame would be work nobody can read (HEADER_MS)
  const shown = useRef<{ next: LiveWorkflow["latest"]; timer: ReturnType<typeof setTimeout> | null }>({ next: null, timer: null });
  const showLatest = useRef((latest: NonNullable<LiveWorkflow["latest"]>, now: boolean) => {
    const s = shown.current;
    s.next = latest;
    if (now) {
      if (s.timer) clearTimeout(s.timer);
      s.timer = null;
      setLatest(latest);
      return;
    }
    s.timer ??= setTimeout(() => {
      s.timer = null;
      setLatest(s.next);
    }, HEADER_MS);
  });
  useEffect(
    () => () => {
      if (shown.current.timer) clearTimeout(shown.current.timer);
    },
    [],
  );

  const queue = useMemo(
    () =>
      new FrameQueue<ProgressEvent>((batch) => {
        if (!current.current.graph) return; // the first read is in flight: the journal has them
        const { unknown } = store.apply(batch.map((e) => ({ jobId: e.jobId, status: e.jobStatus })));
        const last = batch[batch.length - 1]!;
        const changed = last.workflowStatus !== current.current.status;
        if (changed && current.current.status !== null) statusChanged.current?.(last.workflowStatus);
        current.current.status = last.workflowStatus;
        showLatest.current({ status: last.workflowStatus, stats: last.stats }, changed);
        if (unknown.length > 0) reloadRef.current();
        else checkRef.current(last.stats);
      }),
    [store],
  );
  useEffect(() => () => queue.dispose(), [queue]);

  const retry = useRef<{ attempts: number; timer: ReturnType<typeof setTimeout> | null }>({ attempts: 0, timer: null });
  const load = useCallback(async () => {
    queue.run(); // what waits is applied before the read starts
    journal.begin();
    const result = await client.query(WorkflowGraphDocument, { id }, { requestPolicy: "network-only" }).toPromise();
    const replay = journal.end();
    if (current.current.id !== id) return;
    if (result.error || !result.data) {
      setError(result.error ?? new Error("no data"));
      // a first read that failed leaves nothing to draw and no event fixes that: try
      // again, ever more slowly (not for a workflow that is not there)
      const code = errorCode(result.error?.graphQLErrors);
      if (current.current.graph === null && code !== "NOT_FOUND" && code !== "FORBIDDEN") {
        const r = retry.current;
        if (r.timer) clearTimeout(r.timer);
        r.timer = setTimeout(() => {
          r.timer = null;
          void loadRef.current();
        }, Math.min(FIRST_LOAD_RETRY_MS * 2 ** r.attempts, FIRST_LOAD_RETRY_MAX_MS));
        r.attempts += 1;
      }
      return;
    }
    retry.current.attempts = 0;
    try {
      const { json, criticalPath } = result.data.workflow.graph;
      const next = buildGraph(parseGraphDoc(json), criticalPath);
      const kept = reuse(current.current.graph, next);
      current.current.graph = kept;
      store.load(next.statuses);
      store.apply(replay);
      setGraph(kept); // the same object when nothing but statuses changed: no render
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  }, [client, id, journal, queue, store]);

  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(
    () => () => {
      const r = retry.current;
      if (r.timer) clearTimeout(r.timer);
      r.timer = null;
      r.attempts = 0;
    },
    [id],
  );

  const big = (graph?.jobs.size ?? 0) > 2_000;
  const reloadSoon = useThrottled(() => void load(), big ? 10_000 : 2_000);
  const reloadRef = useRef(reloadSoon);
  reloadRef.current = reloadSoon;

  // Whether the page's counts agree with the server's latest figures (see SETTLE_MS).
  const agreement = useRef<{
    since: number | null;
    stats: StatsLike | null;
    timer: ReturnType<typeof setTimeout> | null;
    /** The figures the graph was last read again for (countsKey). */
    readFor: string | null;
  }>({ since: null, stats: null, timer: null, readFor: null });
  const check = useCallback(
    (stats: StatsLike) => {
      const a = agreement.current;
      a.stats = stats;
      const agree = () => a.stats !== null && countsAgree(store.total(), a.stats.counts);
      const readAgain = () => {
        const key = countsKey(a.stats!);
        if (key === a.readFor) return; // read for these very figures already: no use
        a.readFor = key;
        reloadRef.current();
      };
      if (agree()) {
        a.since = null;
        a.readFor = null; // agreed since: the same figures disagreeing again are a new reason
      } else a.since ??= Date.now();
      if (a.since !== null && Date.now() - a.since >= BUSY_MS) {
        a.since = null;
        readAgain();
        return;
      }
      if (a.timer) clearTimeout(a.timer);
      a.timer = setTimeout(() => {
        a.timer = null;
        if (!agree()) readAgain();
        else a.readFor = null;
        a.since = null;
      }, SETTLE_MS);
    },
    [store],
  );
  const checkRef = useRef(check);
  checkRef.current = check;
  useEffect(
    () => () => {
      if (agreement.current.timer) clearTimeout(agreement.current.timer);
    },
    [],
  );

  useEffect(() => {
    current.current = { id, graph: null, lastEventAt: 0, status: null };
    agreement.current.readFor = null;
    setGraph(null);
    setLatest(null);
    setError(null);
    if (!pause) void load();
  }, [id, load, pause]);

  useResumableSubscription({
    query: WorkflowProgressDocument,
    variables: { workflowId: id },
    pause,
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
      if (pause || !current.current.graph || Date.now() - current.current.lastEventAt < QUIET_MS) return;
      checkRef.current(stats);
    },
    [pause],
  );

  return { graph, store, error, latest, reloadSoon, verify };
}
