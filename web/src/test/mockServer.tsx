// Test support: a real urql client whose fetch answers each operation (by name) from
// the test's resolvers and records what was asked, and a signed-in session around it.
import { render, type RenderResult } from "@testing-library/react";
import { Client, fetchExchange } from "@urql/core";
import type { Sink } from "graphql-ws";
import type { ReactNode } from "react";
import { MemoryRouter } from "react-router-dom";
import { Provider } from "urql";
import { vi } from "vitest";
import { ConnectionStatus, type Clients } from "../lib/client";
import { isAdmin, SessionContextProvider, type Viewer } from "../lib/session";

export interface GraphQLAnswer {
  data?: unknown;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** The answer, or a promise of it: a test holds an answer back to let events in first. */
export type Resolver = (variables: Record<string, unknown>) => GraphQLAnswer | Promise<GraphQLAnswer>;

export interface Call {
  operationName: string;
  variables: Record<string, unknown>;
}

/** The operation of a request: queries come as GET (urql's default under the URL
 * length limit), mutations as a POST body. */
function operationOf(url: string, init?: RequestInit): Call {
  if (init?.body != null) {
    const body = JSON.parse(String(init.body)) as { operationName: string; variables?: Record<string, unknown> };
    return { operationName: body.operationName, variables: body.variables ?? {} };
  }
  const params = new URL(url).searchParams;
  const variables = params.get("variables");
  return {
    operationName: params.get("operationName") ?? "",
    variables: variables ? (JSON.parse(variables) as Record<string, unknown>) : {},
  };
}

export function mockServer(resolvers: Record<string, Resolver>) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
    const call = operationOf(String(url), init);
    calls.push(call);
    const resolver = resolvers[call.operationName];
    const answer = resolver ? await resolver(call.variables) : { errors: [{ message: `no answer for ${call.operationName}` }] };
    return new Response(JSON.stringify(answer), { status: 200, headers: { "content-type": "application/json" } });
  });
  const client = new Client({ url: "http://dashboard.test/graphql", exchanges: [fetchExchange], fetch });
  const named = (operationName: string) => calls.filter((c) => c.operationName === operationName);
  return { client, calls, named, fetch };
}

export const ADMIN_VIEWER: Viewer = {
  permissions: ["admin"],
  organization: { id: "org-1", name: "Acme" },
  user: { id: "user-1", email: "ada@acme.test", name: "Ada", role: "ADMIN" },
  apiKey: null,
};

export const MEMBER_VIEWER: Viewer = {
  permissions: ["jobs:read", "jobs:write"],
  organization: { id: "org-1", name: "Acme" },
  user: { id: "user-2", email: "bob@acme.test", name: "Bob", role: "MEMBER" },
  apiKey: null,
};

/** A websocket client whose subscriptions the test feeds: `push` hands an event to the
 * latest subscription to `field`; `queryOf` shows what it asked for. */
export function mockSocket() {
  const sinks: { field: string; sink: Sink; query: string }[] = [];
  const ws = {
    subscribe: (payload: { query: string }, sink: Sink) => {
      const field = /\{\s*(\w+)/.exec(payload.query)?.[1] ?? ""; // the operation's first field
      const entry = { field, sink, query: payload.query };
      sinks.push(entry);
      return () => {
        const index = sinks.indexOf(entry);
        if (index >= 0) sinks.splice(index, 1);
      };
    },
  };
  const push = (field: string, data: unknown) => {
    const entry = sinks.filter((s) => s.field === field).at(-1);
    if (!entry) throw new Error(`no subscription to ${field}`);
    entry.sink.next({ data: { [field]: data } });
  };
  return {
    ws,
    push,
    subscribed: (field: string) => sinks.some((s) => s.field === field),
    /** The document of the latest subscription to `field`. */
    queryOf: (field: string) => sinks.filter((s) => s.field === field).at(-1)?.query,
  };
}

export function renderWithSession(
  ui: ReactNode,
  {
    client,
    viewer = ADMIN_VIEWER,
    path = "/",
    ws = { subscribe: () => () => undefined },
    status = new ConnectionStatus(),
  }: {
    client: Client;
    viewer?: Viewer | null;
    path?: string;
    ws?: ReturnType<typeof mockSocket>["ws"];
    /** The socket's state (connecting unless the test sets it). */
    status?: ConnectionStatus;
  },
): RenderResult {
  const clients = {
    urql: client,
    ws,
    status,
    dispose: () => undefined,
  } as unknown as Clients;
  return render(
    <MemoryRouter initialEntries={[path]}>
      <Provider value={client}>
        <SessionContextProvider value={{ clients, viewer, isAdmin: isAdmin(viewer) }}>{ui}</SessionContextProvider>
      </Provider>
    </MemoryRouter>,
  );
}
