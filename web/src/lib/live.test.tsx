import { act, render } from "@testing-library/react";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { parse } from "graphql";
import type { Sink } from "graphql-ws";
import type { Client } from "urql";
import { vi } from "vitest";
import { ConnectionStatus, type Clients } from "./client";
import { useResumableSubscription } from "./live";
import { SessionContextProvider } from "./session";

type Event = { jobStatusChanged: { eventId: string } };
type Vars = { jobId: string; after?: string | null };
const query = parse(
  "subscription S($jobId: ID, $after: ID) { jobStatusChanged(jobId: $jobId, after: $after) { eventId } }",
) as TypedDocumentNode<Event, Vars>;

function Watcher({ onResync, onEvent }: { onResync: () => void; onEvent?: () => void }) {
  useResumableSubscription({
    query,
    variables: { jobId: "j1" },
    cursorOf: (e) => e.jobStatusChanged.eventId,
    onEvent: onEvent ?? (() => undefined),
    onResync,
  });
  return null;
}

function setup(initial: "connecting" | "connected", onEvent?: () => void) {
  const sinks: Sink[] = [];
  const ws = {
    subscribe: (_payload: unknown, sink: Sink) => {
      sinks.push(sink);
      return () => undefined;
    },
  };
  const status = new ConnectionStatus();
  status.set(initial);
  const clients = { urql: {} as Client, ws, status, dispose: () => undefined } as unknown as Clients;
  const onResync = vi.fn();
  const view = render(
    <SessionContextProvider value={{ clients, viewer: null, isAdmin: false }}>
      <Watcher onResync={onResync} onEvent={onEvent} />
    </SessionContextProvider>,
  );
  return { sinks, status, onResync, view };
}

describe("useResumableSubscription", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("reloads the view once shortly after the socket is up: events before it went live are not lost", () => {
    const { status, onResync } = setup("connecting");
    act(() => vi.advanceTimersByTime(5_000));
    expect(onResync).not.toHaveBeenCalled(); // the socket is not up: nothing is live yet
    act(() => status.set("connected"));
    expect(onResync).not.toHaveBeenCalled();
    act(() => vi.advanceTimersByTime(500));
    expect(onResync).toHaveBeenCalledTimes(1);
    act(() => vi.advanceTimersByTime(60_000));
    expect(onResync).toHaveBeenCalledTimes(1); // once, not on a timer
  });

  it("on a socket already up, reloads once shortly after subscribing", () => {
    const { sinks, onResync } = setup("connected", () => undefined);
    expect(sinks).toHaveLength(1);
    act(() => sinks[0].next({ data: { jobStatusChanged: { eventId: "7" } } }));
    act(() => vi.advanceTimersByTime(500));
    // an event came, but what changed before the subscription went live did not
    expect(onResync).toHaveBeenCalledTimes(1);
  });

  it("does not reload after it stopped", () => {
    const { onResync, view } = setup("connected");
    view.unmount();
    act(() => vi.advanceTimersByTime(1_000));
    expect(onResync).not.toHaveBeenCalled();
  });
});
