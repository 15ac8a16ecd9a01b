// The GraphQL clients of one credential: urql over HTTP for queries and mutations, and
// one graphql-ws connection (subprotocol graphql-transport-ws) for every subscription.
// The socket retries forever with graphql-ws's backoff; `connectionState` says whether
// it is up, for the "reconnecting" banner. A 401 / UNAUTHENTICATED answer, or the
// server closing the socket with 4403 (credential revoked), logs the visitor out.
import { Client, cacheExchange, fetchExchange, mapExchange } from "@urql/core";
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";
import { authorization, logout } from "./auth";
import { isUnauthenticated } from "./errors";

export const GRAPHQL_PATH = "/graphql";

/** graphql-ws close code the server uses for a refused or revoked credential. */
const FORBIDDEN = 4403;

export type ConnectionState = "connecting" | "connected" | "reconnecting";

type Listener = (state: ConnectionState) => void;

/** The WebSocket's state, observable (one per client pair). */
export class ConnectionStatus {
  private state: ConnectionState = "connecting";
  private listeners = new Set<Listener>();
  /** Bumped on every connection after the first: subscriptions resume from their cursor. */
  generation = 0;

  get current(): ConnectionState {
    return this.state;
  }

  set(state: ConnectionState): void {
    if (state === this.state) return;
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
}

export interface Clients {
  urql: Client;
  ws: WsClient;
  status: ConnectionStatus;
  dispose(): void;
}

export function websocketUrl(location: Pick<Location, "protocol" | "host">): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${GRAPHQL_PATH}`;
}

/** graphql-ws's own wait doubles without a bound (17 minutes by the tenth retry): this
 * one doubles from 0.5 s up to 8 s, plus up to 1 s at random so that a server's clients
 * do not all come back at once. */
export function retryDelay(retries: number, random: number = Math.random()): number {
  return Math.min(500 * 2 ** retries, 8_000) + Math.floor(random * 1_000);
}

function retryWait(retries: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, retryDelay(retries)));
}

export function createClients(credential: string | null): Clients {
  const status = new ConnectionStatus();
  let connectedOnce = false;
  const ws = createWsClient({
    url: websocketUrl(window.location),
    connectionParams: () => {
      const header = authorization(credential);
      return header ? { Authorization: header } : {};
    },
    lazy: true,
    lazyCloseTimeout: 3_000, // page changes reuse the socket
    keepAlive: 15_000,
    retryAttempts: Number.MAX_SAFE_INTEGER,
    shouldRetry: () => true,
    retryWait,
    on: {
      connected: () => {
        if (connectedOnce) status.generation += 1;
        connectedOnce = true;
        status.set("connected");
      },
      closed: (event) => {
        const code = (event as CloseEvent | undefined)?.code;
        if (code === FORBIDDEN) {
          logout();
          return;
        }
        status.set(connectedOnce ? "reconnecting" : "connecting");
      },
    },
  });

  const urql = new Client({
    url: GRAPHQL_PATH,
    requestPolicy: "cache-and-network",
    fetchOptions: (): RequestInit => {
      const header = authorization(credential);
      return header ? { headers: { Authorization: header } } : {};
    },
    exchanges: [
      mapExchange({
        onError(error) {
          if (isUnauthenticated(error)) logout();
        },
      }),
      cacheExchange,
      fetchExchange,
    ],
  });

  return {
    urql,
    ws,
    status,
    dispose: () => void ws.dispose(),
  };
}
