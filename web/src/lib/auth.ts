// The credential the dashboard acts with: a login token or an API key, kept in
// localStorage and sent as `Authorization: Bearer ...` over HTTP and in the WebSocket's
// connection_init payload (the server reads `Authorization` there too).
import { useSyncExternalStore } from "react";

const KEY = "taskforge.credential";
const listeners = new Set<() => void>();

export function getCredential(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null; // storage disabled: every page sends the visitor to the login form
  }
}

export function setCredential(value: string | null): void {
  if (value === getCredential()) return;
  if (value) localStorage.setItem(KEY, value);
  else localStorage.removeItem(KEY);
  for (const listener of listeners) listener();
}

/** Forget the credential: every view falls back to the login page. */
export function logout(): void {
  setCredential(null);
}

export function authorization(credential: string | null): string | undefined {
  return credential ? `Bearer ${credential}` : undefined;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  // another tab logged in or out
  const onStorage = (event: StorageEvent) => {
    if (event.key === KEY) listener();
  };
  window.addEventListener("storage", onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("storage", onStorage);
  };
}

export function useCredential(): string | null {
  return useSyncExternalStore(subscribe, getCredential, () => null);
}
