import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import type { Sink } from "graphql-ws";
import { parse } from "graphql";
import { compareIds, EventCursor, ResumableSubscription } from "./resumable";

type Event = { jobStatusChanged: { eventId: string; status: string } };
type Vars = { queueId: string | null; after?: string | null };

const query = parse(
  "subscription S($queueId: ID, $after: ID) { jobStatusChanged(queueId: $queueId, after: $after) { eventId status } }",
) as TypedDocumentNode<Event, Vars>;

/** A graphql-ws client as far as subscriptions go: it records what it would send, and
 * like graphql-ws, sends the same payload object again on a reconnect. */
class FakeClient {
  sent: Record<string, unknown>[] = [];
  sinks: Sink[] = [];
  disposed = 0;
  private payloads: { variables: Record<string, unknown> }[] = [];

  subscribe = (payload: { variables?: Record<string, unknown> | null }, sink: Sink) => {
    this.payloads.push(payload as { variables: Record<string, unknown> });
    this.sinks.push(sink);
    this.send(payload as { variables: Record<string, unknown> });
    return () => {
      this.disposed += 1;
    };
  };

  /** The socket came back: graphql-ws serializes the live operations' payloads again. */
  reconnect(): void {
    for (const payload of this.payloads.slice(-1)) this.send(payload);
  }

  private send(payload: { variables: Record<string, unknown> }) {
    this.sent.push(JSON.parse(JSON.stringify(payload.variables)) as Record<string, unknown>);
  }

  get sink(): Sink {
    return this.sinks[this.sinks.length - 1];
  }
}

function event(eventId: string, status = "PROCESSING") {
  return { data: { jobStatusChanged: { eventId, status } } };
}

function setup(overrides: { after?: string | null; onResync?: () => void } = {}) {
  const client = new FakeClient();
  const seen: string[] = [];
  const timers: (() => void)[] = [];
  const subscription = new ResumableSubscription<Event, Vars>({
    client,
    query,
    variables: { queueId: "q1" },
    cursorOf: (data) => data.jobStatusChanged.eventId,
    onEvent: (data) => seen.push(data.jobStatusChanged.eventId),
    onResync: overrides.onResync,
    after: overrides.after,
    setTimer: (fn) => timers.push(fn),
    clearTimer: () => undefined,
  }).start();
  return { client, seen, timers, subscription };
}

describe("EventCursor", () => {
  it("moves forward and drops what it has seen", () => {
    const cursor = new EventCursor();
    expect(cursor.accept("9")).toBe(true);
    expect(cursor.accept("10")).toBe(true); // numbers, not text: 10 > 9
    expect(cursor.accept("10")).toBe(false);
    expect(cursor.accept("3")).toBe(false);
    expect(cursor.last).toBe("10");
    cursor.reset();
    expect(cursor.accept("3")).toBe(true);
  });

  it("passes opaque cursors back as they are", () => {
    const cursor = new EventCursor(null, "opaque");
    expect(cursor.accept("b")).toBe(true);
    expect(cursor.accept("a")).toBe(true);
    expect(cursor.last).toBe("a");
  });

  it("compares ids of any length", () => {
    expect(compareIds("100000000000000000001", "99999999999999999999")).toBeGreaterThan(0);
    expect(compareIds("007", "7")).toBe(0);
  });
});

describe("ResumableSubscription", () => {
  it("subscribes live first, then resumes from the last event after a reconnect", () => {
    const { client, seen } = setup();
    expect(client.sent).toEqual([{ queueId: "q1", after: null }]);
    client.sink.next(event("41"));
    client.sink.next(event("42"));
    client.reconnect();
    expect(client.sent[1]).toEqual({ queueId: "q1", after: "42" });
    // the replay may overlap what was seen: those events are dropped
    client.sink.next(event("42"));
    client.sink.next(event("43"));
    expect(seen).toEqual(["41", "42", "43"]);
  });

  it("reloads the view after a reconnect that came before any event", () => {
    const onResync = vi.fn();
    const { client, subscription } = setup({ onResync });
    client.reconnect();
    subscription.reconnected();
    expect(onResync).toHaveBeenCalledTimes(1);
    client.sink.next(event("50"));
    client.reconnect();
    subscription.reconnected(); // now the replay from "50" covers the gap
    expect(onResync).toHaveBeenCalledTimes(1);
    expect(client.sent.at(-1)).toEqual({ queueId: "q1", after: "50" });
    subscription.stop();
    subscription.reconnected();
    expect(onResync).toHaveBeenCalledTimes(1);
  });

  it("starts from a given cursor", () => {
    const { client } = setup({ after: "7" });
    expect(client.sent).toEqual([{ queueId: "q1", after: "7" }]);
  });

  it("on RESYNC_REQUIRED reloads the view and subscribes again without a cursor", () => {
    const onResync = vi.fn();
    const { client, seen } = setup({ onResync, after: "5" });
    client.sink.next(event("6"));
    const expired = client.sink;
    expired.next({ errors: [{ message: "events up to 90 are no longer kept", extensions: { code: "RESYNC_REQUIRED" } }] });
    expect(onResync).toHaveBeenCalledTimes(1);
    expect(client.sent.at(-1)).toEqual({ queueId: "q1", after: null });
    expired.complete?.(); // what the old operation says after that is ignored
    expired.next(event("7"));
    client.sink.next(event("95"));
    expect(seen).toEqual(["6", "95"]);
    expect(client.sinks).toHaveLength(2);
  });

  it("treats an error message (graphql-ws `error`) with RESYNC_REQUIRED the same", () => {
    const onResync = vi.fn();
    const { client } = setup({ onResync, after: "1" });
    client.sink.error([{ message: "gone", extensions: { code: "RESYNC_REQUIRED" } }]);
    expect(onResync).toHaveBeenCalledTimes(1);
    expect(client.sent.at(-1)).toEqual({ queueId: "q1", after: null });
  });

  it("after another error or the end of the stream, subscribes again from the cursor", () => {
    const { client, timers } = setup();
    client.sink.next(event("12"));
    client.sink.next({ errors: [{ message: "too far behind", extensions: { code: "SLOW_CONSUMER" } }] });
    expect(client.sinks).toHaveLength(1);
    expect(timers).toHaveLength(1);
    timers[0]();
    expect(client.sent.at(-1)).toEqual({ queueId: "q1", after: "12" });
    client.sink.next(event("13"));
    client.sink.complete?.();
    timers[1]();
    expect(client.sent.at(-1)).toEqual({ queueId: "q1", after: "13" });
  });

  it("stops for good", () => {
    const { client, seen, subscription, timers } = setup();
    subscription.stop();
    expect(client.disposed).toBe(1);
    client.sink.next(event("1"));
    client.sink.complete?.();
    expect(seen).toEqual([]);
    expect(timers).toHaveLength(0);
  });

  it("reloads once after going live only when it started without a cursor", () => {
    const onResync = vi.fn();
    const live = setup({ onResync });
    live.subscription.established();
    live.subscription.established(); // a second call does not schedule a second reload
    expect(live.timers).toHaveLength(1);
    live.timers[0]();
    expect(onResync).toHaveBeenCalledTimes(1);

    const resumed = setup({ onResync, after: "7" }); // the replay from 7 covers the gap
    resumed.subscription.established();
    expect(resumed.timers).toHaveLength(0);
  });

  it("reloads the view when it subscribes again after an error that came before any event", () => {
    const onResync = vi.fn();
    const early = setup({ onResync });
    early.client.sink.error([{ message: "too far behind", extensions: { code: "SLOW_CONSUMER" } }]);
    early.timers[0]();
    expect(early.client.sent.at(-1)).toEqual({ queueId: "q1", after: null });
    expect(onResync).toHaveBeenCalledTimes(1);

    const late = setup({ onResync, after: "3" }); // the replay from 3 covers the pause
    late.client.sink.complete?.();
    late.timers[0]();
    expect(onResync).toHaveBeenCalledTimes(1);
  });
});
