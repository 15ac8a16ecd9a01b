import { act, render } from "@testing-library/react";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { parse } from "graphql";
import { vi } from "vitest";
import { FakeSocket } from "../test/fakeSocket";
import { getCredential, logout, setCredential } from "./auth";
import { createClients, type Clients } from "./client";
import { useResumableSubscription } from "./live";
import { SessionContextProvider } from "./session";

type Event = { jobStatusChanged: { eventId: string } };
const query = parse("subscription S($after: ID) { jobStatusChanged(after: $after) { eventId } }") as TypedDocumentNode<
  Event,
  { after?: string | null }
>;

function Watcher({ onResync }: { onResync: () => void }) {
  useResumableSubscription({
    query,
    variables: {},
    cursorOf: (e) => e.jobStatusChanged.eventId,
    onEvent: () => undefined,
    onResync,
  });
  return null;
}

function watch(clients: Clients, onResync: () => void) {
  return render(
    <SessionContextProvider value={{ clients, viewer: null, isAdmin: false }}>
      <Watcher onResync={onResync} />
    </SessionContextProvider>,
  );
}

// up to 5 s: graphql-ws waits up to 1.5 s before its first retry
const until = async (check: () => boolean) => {
  for (const end = Date.now() + 5_000; Date.now() < end && !check(); ) await act(() => new Promise((r) => setTimeout(r, 5)));
  expect(check()).toBe(true);
};

describe("the live connection", () => {
  beforeEach(() => {
    FakeSocket.sockets = [];
  });

  it("is idle, not reconnecting, once the lazy socket closed with nothing subscribed", { timeout: 15_000 }, async () => {
    const clients = createClients("tf_test", { webSocketImpl: FakeSocket, lazyCloseTimeout: 0 });
    const first = watch(clients, vi.fn());
    await until(() => FakeSocket.sockets[0]?.subscribed().length === 1);
    await until(() => clients.status.current === "connected");
    first.unmount();
    await until(() => FakeSocket.sockets[0].readyState === FakeSocket.CLOSED);
    expect(clients.status.current).toBe("idle");

    // the next page's subscription opens a new socket: its first, not a reconnect
    const onResync = vi.fn();
    const second = watch(clients, onResync);
    expect(clients.status.current).not.toBe("reconnecting");
    await until(() => FakeSocket.sockets[1]?.subscribed().length === 1);
    await until(() => clients.status.current === "connected");
    await act(() => new Promise((r) => setTimeout(r, 700)));
    expect(onResync).toHaveBeenCalledTimes(1); // the one reload after going live, no more

    // an outage is a reconnect: with no event seen yet, the view reloads
    act(() => FakeSocket.sockets[1].close(1006, "gone"));
    expect(clients.status.current).toBe("reconnecting");
    await until(() => FakeSocket.sockets[2]?.subscribed().length === 1);
    await until(() => onResync.mock.calls.length === 2);
    second.unmount();
    clients.dispose();
  });
});

describe("logging out", () => {
  const answer = (status: number, body: unknown) =>
    vi.fn(async () => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } }));
  const unauthenticated = { errors: [{ message: "invalid credential", extensions: { code: "UNAUTHENTICATED" } }] };

  beforeEach(() => {
    FakeSocket.sockets = [];
    setCredential("tf_mine");
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    logout();
  });

  it("on a 401, only while the credential is still this client's", async () => {
    vi.stubGlobal("fetch", answer(401, unauthenticated));
    const old = createClients("tf_old");
    await old.urql.query("query Q { viewer { permissions } }", {}).toPromise();
    expect(getCredential()).toBe("tf_mine"); // a late answer to the old key keeps the new login
    const mine = createClients("tf_mine");
    await mine.urql.query("query Q { viewer { permissions } }", {}).toPromise();
    expect(getCredential()).toBeNull();
  });

  it("on a 4403 close, only when an HTTP query confirms the credential is refused", { timeout: 15_000 }, async () => {
    const fetch = answer(200, { data: { viewer: { permissions: ["admin"] } } });
    vi.stubGlobal("fetch", fetch);
    const clients = createClients("tf_mine", { webSocketImpl: FakeSocket });
    const view = watch(clients, vi.fn());
    await until(() => FakeSocket.sockets[0]?.subscribed().length === 1);
    act(() => FakeSocket.sockets[0].close(4403, "too many requests"));
    await until(() => fetch.mock.calls.length === 1);
    await act(() => new Promise((r) => setTimeout(r, 20)));
    expect(getCredential()).toBe("tf_mine"); // the key still works: not logged out

    fetch.mockImplementation(async () => new Response(JSON.stringify(unauthenticated), { status: 401 }));
    await until(() => FakeSocket.sockets[1]?.subscribed().length === 1);
    act(() => FakeSocket.sockets[1].close(4403, "credential revoked"));
    await until(() => getCredential() === null);
    view.unmount();
    clients.dispose();
  });
});
