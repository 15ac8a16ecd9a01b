// The assumption lib/resumable.ts rests on, checked against the real graphql-ws client:
// after the socket drops, the client subscribes again by itself with the payload
// serialized anew, so `after` is the last event id received.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { parse } from "graphql";
import { createClient } from "graphql-ws";
import { ResumableSubscription } from "./resumable";

type Msg = { type: string; id?: string; payload?: { variables?: Record<string, unknown> } };

/** A server end of graphql-transport-ws, as little as the client needs. */
class FakeSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  static sockets: FakeSocket[] = [];
  readyState = FakeSocket.CONNECTING;
  protocol = "graphql-transport-ws";
  received: Msg[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(
    public url: string,
    public protocols: string | string[],
  ) {
    FakeSocket.sockets.push(this);
    setTimeout(() => {
      this.readyState = FakeSocket.OPEN;
      this.onopen?.();
    }, 0);
  }

  send(data: string) {
    const message = JSON.parse(data) as Msg;
    this.received.push(message);
    if (message.type === "connection_init") this.reply({ type: "connection_ack" });
  }

  reply(message: Msg | Record<string, unknown>) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  close(code = 1000, reason = "") {
    if (this.readyState === FakeSocket.CLOSED) return;
    this.readyState = FakeSocket.CLOSED;
    this.onclose?.({ code, reason, wasClean: code === 1000 });
  }

  subscribed(): Msg[] {
    return this.received.filter((m) => m.type === "subscribe");
  }
}

const query = parse("subscription S($after: ID) { jobStatusChanged(after: $after) { eventId } }") as TypedDocumentNode<
  { jobStatusChanged: { eventId: string } },
  { after?: string | null }
>;

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
};

it("resubscribes with after: <last event id> when graphql-ws reconnects", async () => {
  FakeSocket.sockets = [];
  const client = createClient({
    url: "ws://test/graphql",
    webSocketImpl: FakeSocket,
    connectionParams: { Authorization: "Bearer tf_test" },
    retryAttempts: 5,
    shouldRetry: () => true,
    retryWait: async () => undefined,
  });
  const seen: string[] = [];
  const subscription = new ResumableSubscription({
    client,
    query,
    variables: {},
    cursorOf: (d) => d.jobStatusChanged.eventId,
    onEvent: (d) => seen.push(d.jobStatusChanged.eventId),
  }).start();

  await until(() => FakeSocket.sockets[0]?.subscribed().length === 1);
  const first = FakeSocket.sockets[0];
  expect(first.received[0]).toEqual({ type: "connection_init", payload: { Authorization: "Bearer tf_test" } });
  const [op] = first.subscribed();
  expect(op.payload?.variables).toEqual({ after: null });
  first.reply({ type: "next", id: op.id, payload: { data: { jobStatusChanged: { eventId: "17" } } } });
  first.reply({ type: "next", id: op.id, payload: { data: { jobStatusChanged: { eventId: "18" } } } });

  first.close(1006, "gone"); // the server went away
  await until(() => FakeSocket.sockets[1]?.subscribed().length === 1);
  const [again] = FakeSocket.sockets[1].subscribed();
  expect(again.payload?.variables).toEqual({ after: "18" });
  FakeSocket.sockets[1].reply({ type: "next", id: again.id, payload: { data: { jobStatusChanged: { eventId: "18" } } } });
  FakeSocket.sockets[1].reply({ type: "next", id: again.id, payload: { data: { jobStatusChanged: { eventId: "19" } } } });
  expect(seen).toEqual(["17", "18", "19"]);

  subscription.stop();
  await client.dispose();
});
