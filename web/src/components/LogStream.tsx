// An execution's log, streamed: the stored entries first, then each as the worker sends
// it (executionLogs, resumed from the last entry's cursor after a reconnect).
import { useEffect, useRef, useState } from "react";
import { graphql } from "../gql";
import type { ExecutionLogsSubscription } from "../gql/graphql";
import { useResumableSubscription } from "../lib/live";
import { formatDateTime } from "../lib/format";

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
export const MAX_ENTRIES = 2_000;

export function appendEntries(entries: readonly Entry[], entry: Entry, max = MAX_ENTRIES): readonly Entry[] {
  const next = [...entries, entry];
  return next.length > max ? next.slice(next.length - max) : next;
}

export function LogStream({ executionId }: { executionId: string }) {
  const [entries, setEntries] = useState<readonly Entry[]>([]);
  const [dropped, setDropped] = useState(false);
  const box = useRef<HTMLOListElement>(null);
  const follow = useRef(true);

  useEffect(() => {
    setEntries([]);
    setDropped(false);
  }, [executionId]);

  useResumableSubscription({
    query: ExecutionLogsDocument,
    variables: { executionId },
    cursorKind: "opaque",
    cursorOf: (data) => data.executionLogs.cursor,
    onEvent: (data) =>
      setEntries((current) => {
        if (current.length >= MAX_ENTRIES) setDropped(true);
        return appendEntries(current, data.executionLogs.node);
      }),
    onResync: () => setEntries([]),
  });

  useEffect(() => {
    const el = box.current;
    if (el && follow.current) el.scrollTop = el.scrollHeight;
  }, [entries]);

  return (
    <>
      {dropped && <p className="muted">Showing the last {MAX_ENTRIES.toLocaleString()} entries.</p>}
      <ol
        className="logs"
        ref={box}
        tabIndex={0}
        aria-label="Log entries"
        aria-live="polite"
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
    </>
  );
}
