// Shown while the live connection is down: figures on screen may be stale until it
// comes back (and the subscriptions catch up from their cursors).
import { useConnectionState } from "../lib/session";

export function ConnectionBanner() {
  const state = useConnectionState();
  if (state !== "reconnecting") return null;
  return (
    <div className="banner banner-warning" role="status">
      Live updates paused: reconnecting…
    </div>
  );
}
