// An execution's log, streamed: the stored entries first, then each as the worker sends
// it (executionLogs, resumed from the last entry's cursor after a reconnect). A chatty
// job can send thousands of lines a second: they are painted once per animation frame
// (all that came since the last one together), only the newest MAX_ENTRIES are kept
// (a ring buffer: the DOM never grows past it), and screen readers hear a short status
// ("12 new lines", at most once every ANNOUNCE_MS), never the log itself. While no frame
// runs (a hidden tab) the lines waiting for one are held up to the same number, the
// oldest dropped (and counted as such) past it.
import { useCallback, useEffect, useRef, useState } from "react";
import { graphql } from "../gql";
import type { ExecutionLogsSubscription } from "../gql/graphql";
import { formatDateTime } from "../lib/format";
import { useResumableSubscription, useThrottled } from "../lib/live";
import { RingBuffer } from "../lib/ringBuffer";

const ExecutionLogsDocument = graphql(`
  subscription ExecutionLogs($executionId: ID!, $after: String) {
    executionLogs(executionId: $executionId, after: $after) {
      cursor
      node { id level message loggedAt }
    }
  }
`);

type Entry = ExecutionLogsSubscription["executionLogs"]["node"];

/** The most entries kept on screen: a long log shows its end. */
export const MAX_ENTRIES = 5_000;
/** The status line for screen readers changes at most this often. */
export const ANNOUNCE_MS = 2_000;

export function newLinesStatus(count: number): string {
  return count === 1 ? "1 new line" : `${count.toLocaleString()} new lines`;
}

export function LogStream({ executionId, max = MAX_ENTRIES }: { executionId: string; max?: number }) {
  const buffer = useRef<RingBuffer<Entry> | null>(null);
  if (buffer.current?.capacity !== max) buffer.current = new RingBuffer<Entry>(max);
  const [entries, setEntries] = useState<readonly Entry[]>([]);
  const [dropped, setDropped] = useState(false);
  const [status, setStatus] = useState("");
  const pending = useRef<Entry[]>([]);
  const skipped = useRef(0); // lines dropped from `pending` before any frame painted them
  const frame = useRef<number | null>(null);
  const unannounced = useRef(0);
  const box = useRef<HTMLOListElement>(null);
  const follow = useRef(true);

  const announce = useThrottled(() => {
    if (unannounced.current) setStatus(newLinesStatus(unannounced.current));
    unannounced.current = 0;
  }, ANNOUNCE_MS);

  const flush = useCallback(() => {
    frame.current = null;
    const batch = pending.current;
    if (!batch.length) return;
    pending.current = [];
    const kept = buffer.current!;
    kept.push(batch);
    kept.dropped += skipped.current;
    unannounced.current += batch.length + skipped.current;
    skipped.current = 0;
    setEntries(kept.toArray());
    if (kept.dropped) setDropped(true);
    announce();
  }, [announce]);

  const reset = useCallback(() => {
    if (frame.current !== null) cancelAnimationFrame(frame.current);
    frame.current = null;
    pending.current = [];
    skipped.current = 0;
    unannounced.current = 0;
    buffer.current?.clear();
    setEntries([]);
    setDropped(false);
    setStatus("");
  }, []);

  useEffect(() => {
    reset();
    return () => {
      if (frame.current !== null) cancelAnimationFrame(frame.current);
      frame.current = null;
    };
  }, [executionId, reset]);

  useResumableSubscription({
    query: ExecutionLogsDocument,
    variables: { executionId },
    cursorKind: "opaque",
    cursorOf: (data) => data.executionLogs.cursor,
    onEvent: (data) => {
      const waiting = pending.current;
      waiting.push(data.executionLogs.node);
      // no frame while the tab is hidden: keep no more than the ring could show
      if (waiting.length > (buffer.current?.capacity ?? max)) {
        waiting.shift();
        skipped.current += 1;
      }
      if (frame.current === null) frame.current = requestAnimationFrame(flush);
    },
    onResync: reset,
  });

  useEffect(() => {
    const el = box.current;
    if (el && follow.current) el.scrollTop = el.scrollHeight;
  }, [entries]);

  return (
    <>
      {dropped && <p className="muted">Showing the last {max.toLocaleString()} entries.</p>}
      <ol
        className="logs"
        ref={box}
        tabIndex={0}
        aria-label="Log entries"
        onScroll={(e) => {
          const el = e.currentTarget;
          follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {entries.length === 0 && <li className="level-DEBUG">No log entry yet.</li>}
        {entries.map((entry) => (
          <li key={entry.id} className={`level-${entry.level}`}>
            <time dateTime={entry.loggedAt}>{formatDateTime(entry.loggedAt)}</time>
            <span className="level">{entry.level}</span> {entry.message}
          </li>
        ))}
      </ol>
      <p className="muted log-status" role="status" aria-live="polite">
        {status}
      </p>
    </>
  );
}
