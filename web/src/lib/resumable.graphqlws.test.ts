// The assumption lib/resumable.ts rests on, checked against the real graphql-ws client:
// after the socket drops, the client subscribes again by itself with the payload
// serialized anew, so `after` is the last event id received.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { parse } from "graphql";
import { createClient } from "graphql-ws";
import { FakeSocket } from "../test/fakeSocket";
import { ResumableSubscription } from "./resumable";

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
