// The GraphQL clients of one credential: urql over HTTP for queries and mutations, and
// one graphql-ws connection (subprotocol graphql-transport-ws) for every subscription.
// The socket retries forever with graphql-ws's backoff; `connectionState` says whether
// it is up, for the "reconnecting" banner; "idle" when the lazy socket closed because
// nothing is subscribed (not an outage). A 401 / UNAUTHENTICATED answer logs the
// visitor out, if the credential is still the one of these clients (a late answer to
// an old credential's request must not erase a new login). The server closing the
// socket with 4403 is checked first with an HTTP query: only its 401 logs out.
import { Client, cacheExchange, fetchExchange, mapExchange } from "@urql/core";
import {
  createClient as createWsClient,
  type Client as WsClient,
  type FormattedExecutionResult,
  type Sink,
  type SubscribePayload,
} from "graphql-ws";
import { authorization, getCredential, logout } from "./auth";
import { isUnauthenticated } from "./errors";
import { ROOT } from "./root";

export const GRAPHQL_PATH = `${ROOT}/graphql`;

/** graphql-ws close code the server uses for a refused or revoked credential. */
const FORBIDDEN = 4403;

/** Asked over HTTP when the socket was refused: UNAUTHENTICATED there means logged out. */
const CREDENTIAL_CHECK = "query CredentialCheck { viewer { permissions } }";

/** A client of its own for a visitor not signed in yet (the login and invitation pages):
 * no cache, no session, the credential to check if one is given. */
export function anonymousClient(authorization?: string): Client {
  return new Client({
    url: GRAPHQL_PATH,
    exchanges: [fetchExchange],
    fetchOptions: authorization ? { headers: { Authorization: authorization } } : {},
  });
}

export type ConnectionState = "connecting" | "connected" | "reconnecting" | "idle";

/** Normal closure: graphql-ws closes a lazy socket so once no operation is left. */
const NORMAL_CLOSURE = 1000;

type Listener = (state: ConnectionState) => void;

/** The WebSocket's state, observable (one per client pair). */
export class ConnectionStatus {
  private state: ConnectionState = "connecting";
  private listeners = new Set<Listener>();

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

export function websocketUrl(location: Pick<Location, "protocol" | "host">, path: string = GRAPHQL_PATH): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
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

/** For tests: a WebSocket class to use instead of the browser's. */
export interface ClientOptions {
  webSocketImpl?: unknown;
  lazyCloseTimeout?: number;
}

export function createClients(credential: string | null, options: ClientOptions = {}): Clients {
  const status = new ConnectionStatus();
  let connectedOnce = false;
  let active = 0; // operations running on the socket
  // only while the credential is still this client's: an old one's late 401 is stale
  const logoutMine = () => {
    if (getCredential() === credential) logout();
  };
  const raw = createWsClient({
    webSocketImpl: options.webSocketImpl,
    url: websocketUrl(window.location),
    connectionParams: () => {
      const header = authorization(credential);
      return header ? { Authorization: header } : {};
    },
    lazy: true,
    lazyCloseTimeout: options.lazyCloseTimeout ?? 3_000, // page changes reuse the socket
    keepAlive: 15_000,
    retryAttempts: Number.MAX_SAFE_INTEGER,
    shouldRetry: () => true,
    retryWait,
    on: {
      connecting: () => {
        if (status.current === "idle") status.set("connecting"); // a new operation, not an outage
      },
      connected: () => {
        connectedOnce = true;
        status.set("connected");
      },
      closed: (event) => {
        const code = (event as CloseEvent | undefined)?.code;
        if (code === FORBIDDEN) {
          // refused or revoked, or a server that refuses any error this way: the HTTP
          // answer tells (the exchange below logs out on UNAUTHENTICATED)
          void urql.query(CREDENTIAL_CHECK, {}, { requestPolicy: "network-only" }).toPromise();
          status.set(connectedOnce ? "reconnecting" : "connecting");
          return;
        }
        if (code === NORMAL_CLOSURE && active === 0) status.set("idle");
        else status.set(connectedOnce ? "reconnecting" : "connecting");
      },
    },
  });
  const ws: WsClient = { ...raw, subscribe: counted(raw, (delta) => (active += delta)) };

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
          if (isUnauthenticated(error)) logoutMine();
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

/** `client.subscribe`, telling `count` of each operation that starts (+1) and ends (-1). */
function counted(client: WsClient, count: (delta: number) => void): WsClient["subscribe"] {
  return <Data, Extensions>(payload: SubscribePayload, sink: Sink<FormattedExecutionResult<Data, Extensions>>) => {
    let running = true;
    const end = () => {
      if (running) count(-1);
      running = false;
    };
    count(1);
    const dispose = client.subscribe<Data, Extensions>(payload, {
      next: (value) => sink.next(value),
      error: (error) => {
        end();
        sink.error(error);
      },
      complete: () => {
        end();
        sink.complete();
      },
    });
    return () => {
      end();
      dispose();
    };
  };
}
