// React hooks for live views: resumable subscriptions, throttled refetches, polling.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { useCallback, useEffect, useRef, useState } from "react";
import { ResumableSubscription, type CursorKind } from "./resumable";
import { useSession } from "./session";

export interface LiveSubscriptionOptions<TData, TVars> {
  query: TypedDocumentNode<TData, TVars>;
  variables: Omit<TVars, "after">;
  cursorOf: (data: TData) => string | null | undefined;
  onEvent: (data: TData) => void;
  onResync?: () => void;
  cursorKind?: CursorKind;
  /** No subscription while true (e.g. until the view knows what to watch). */
  pause?: boolean;
}

/**
 * A subscription that resumes from its last cursor after a reconnect and reloads the
 * view (onResync) when the cursor expired, and once shortly after it went live when it
 * started without a cursor (what changed before it did is then on screen too). It starts again when `variables` change
 * (compared by value); the callbacks may change on every render.
 */
export function useResumableSubscription<TData, TVars>(options: LiveSubscriptionOptions<TData, TVars>): void {
  const { ws, status } = useSession().clients;
  const latest = useRef(options);
  latest.current = options;
  const key = JSON.stringify(options.variables);
  const { query, pause, cursorKind } = options;

  useEffect(() => {
    if (pause) return;
    const subscription = new ResumableSubscription<TData, TVars>({
      client: ws,
      query,
      variables: JSON.parse(key) as Omit<TVars, "after">,
      cursorKind,
      cursorOf: (data) => latest.current.cursorOf(data),
      onEvent: (data) => latest.current.onEvent(data),
      onResync: () => latest.current.onResync?.(),
    }).start();
    // the socket is up already (the operation goes out on it) or comes up next
    let established = status.current === "connected";
    if (established) subscription.established();
    const unlisten = status.subscribe((state) => {
      if (state !== "connected") return;
      if (!established) {
        established = true;
        subscription.established();
        return;
      }
      // only a connection after the first one this subscription lived through is a reconnect
      subscription.reconnected();
    });
    return () => {
      unlisten();
      subscription.stop();
    };
  }, [ws, status, query, key, pause, cursorKind]);
}

/** `fn` at most once per `ms`: the first call runs at once, later ones are folded into
 * one run at the end of the window. */
export function useThrottled(fn: () => void, ms: number): () => void {
  const latest = useRef(fn);
  latest.current = fn;
  const state = useRef<{ last: number; timer: ReturnType<typeof setTimeout> | null }>({ last: 0, timer: null });
  useEffect(
    () => () => {
      if (state.current.timer) clearTimeout(state.current.timer);
    },
    [],
  );
  return useCallback(() => {
    const s = state.current;
    if (s.timer) return; // a run is already due
    const wait = s.last + ms - Date.now();
    if (wait <= 0) {
      s.last = Date.now();
      latest.current();
      return;
    }
    s.timer = setTimeout(() => {
      s.timer = null;
      s.last = Date.now();
      latest.current();
    }, wait);
  }, [ms]);
}

/** `fn` every `ms` while the page is visible. */
export function usePolling(fn: () => void, ms: number): void {
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState !== "hidden") latest.current();
    }, ms);
    return () => clearInterval(timer);
  }, [ms]);
}

/** The time now, renewed every `ms`: relative times and running durations stay true. */
export function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
