// The signed-in session: the clients of the current credential and the viewer (who
// is signed in, whether an admin), shared with every page through React context.
import { createContext, useContext, useEffect, useMemo, useSyncExternalStore, type ReactNode } from "react";
import { Provider, useQuery } from "urql";
import { graphql } from "../gql";
import type { ViewerQuery } from "../gql/graphql";
import { createClients, type Clients, type ConnectionState } from "./client";

export const ViewerDocument = graphql(`
  query Viewer {
    viewer {
      permissions
      organization { id name }
      user { id email name role }
      apiKey { id name prefix }
    }
  }
`);

export type Viewer = ViewerQuery["viewer"];

/** An admin user, or an API key holding the `admin` permission. */
export function isAdmin(viewer: Pick<Viewer, "permissions" | "user"> | null | undefined): boolean {
  if (!viewer) return false;
  return viewer.user?.role === "ADMIN" || viewer.permissions.includes("admin");
}

interface Session {
  clients: Clients;
  viewer: Viewer | null;
  isAdmin: boolean;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside <SessionProvider>");
  return session;
}

export function useConnectionState(): ConnectionState {
  const { status } = useSession().clients;
  return useSyncExternalStore(status.subscribe, () => status.current);
}

function ViewerLoader({ clients, children }: { clients: Clients; children: ReactNode }) {
  const [{ data }] = useQuery({ query: ViewerDocument });
  const viewer = data?.viewer ?? null;
  const value = useMemo(() => ({ clients, viewer, isAdmin: isAdmin(viewer) }), [clients, viewer]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** Clients for `credential`, made anew (and the old socket closed) when it changes. */
export function SessionProvider({ credential, children }: { credential: string | null; children: ReactNode }) {
  const clients = useMemo(() => createClients(credential), [credential]);
  useEffect(() => () => clients.dispose(), [clients]);
  return (
    <Provider value={clients.urql}>
      <ViewerLoader clients={clients}>{children}</ViewerLoader>
    </Provider>
  );
}

/** For tests and previews: a session over given clients. */
export function SessionContextProvider({ value, children }: { value: Session; children: ReactNode }) {
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}
