// Join an organization by invitation: the link an admin sends carries the token in its
// fragment (#token=..., never sent to the server, so never in its logs); the invited
// person picks a name and a password (the `acceptInvitation` mutation), is signed in
// with the token it answers (kept as the login page keeps its own) and lands on the
// overview. Public: whoever holds the link has no credential yet. The token is copied
// from the fragment as the page opens and the fragment cleared (replaceState), so that it
// stays neither in the address bar nor in the history, even if joining fails.
import type { CombinedError } from "@urql/core";
import { useEffect, useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate } from "react-router-dom";
import { ErrorBanner } from "../components/ErrorBanner";
import { graphql } from "../gql";
import { invitationToken } from "../lib/admin";
import { setCredential, useCredential } from "../lib/auth";
import { anonymousClient } from "../lib/client";
import { describeError, errorCode } from "../lib/errors";

const AcceptInvitationDocument = graphql(`
  mutation AcceptInvitation($token: String!, $name: String!, $password: String!) {
    acceptInvitation(token: $token, name: $name, password: $password) { token expiresAt }
  }
`);

/** The server's minimum (taskforge.domain.validation.MIN_PASSWORD). */
export const MIN_PASSWORD = 8;

function codeOf(error: CombinedError | Error): string | null {
  return "graphQLErrors" in error ? errorCode((error as CombinedError).graphQLErrors) : null;
}

/** What went wrong, in words for the invited person: by the error's code. */
export function invitationError(error: CombinedError | Error): string {
  switch (codeOf(error)) {
    case "NOT_FOUND":
      return "This invitation is not valid: it was used, revoked or has expired. Ask an admin of the organization for a new one.";
    case "CONFLICT":
      return `${describeError(error)}. Sign in with that account instead.`;
    case "RATE_LIMITED":
      return "Too many attempts with this invitation: wait a minute, then try again.";
    default:
      return describeError(error); // BAD_USER_INPUT: the server says which field and why
  }
}

export default function InvitationPage() {
  const location = useLocation();
  const navigate = useNavigate();
  const signedIn = useCredential() !== null;
  const [fromLink] = useState(() => invitationToken(location.hash));
  useEffect(() => {
    const { pathname, search, hash } = window.location;
    if (invitationToken(hash) !== null) window.history.replaceState(window.history.state, "", pathname + search);
  }, []);
  const [typed, setTyped] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [error, setError] = useState<{ message: string; code: string | null } | null>(null);
  const [busy, setBusy] = useState(false);
  const token = fromLink ?? typed.trim();

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (password !== confirm) {
      setError({ message: "The two passwords differ: type the same one twice.", code: null });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const result = await anonymousClient()
        .mutation(AcceptInvitationDocument, { token, name: name.trim(), password })
        .toPromise();
      if (result.error || !result.data) {
        const failure = result.error ?? new Error("No answer");
        setError({ message: invitationError(failure), code: codeOf(failure) });
        return;
      }
      setCredential(result.data.acceptInvitation.token);
      navigate("/", { replace: true });
    } catch (caught) {
      setError({ message: describeError(caught as Error), code: null });
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="login">
      <h1>TaskForge</h1>
      <form onSubmit={submit} className="card form" aria-labelledby="invitation-title">
        <h2 id="invitation-title">Accept the invitation</h2>
        <p className="muted">Choose the name others see and the password you will sign in with.</p>
        {signedIn && (
          <p className="muted">You are signed in already: accepting signs you in as the invited user instead.</p>
        )}
        {fromLink === null && (
          <label>
            Invitation token
            <input
              type="text"
              autoComplete="off"
              required
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              aria-describedby="invitation-token-help"
            />
          </label>
        )}
        {fromLink === null && (
          <p id="invitation-token-help" className="muted field-help">
            The link you were sent carries it: paste it here if you have only the token.
          </p>
        )}
        <label>
          Name
          <input type="text" autoComplete="name" required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Password
          <input
            type="password"
            autoComplete="new-password"
            required
            minLength={MIN_PASSWORD}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-describedby="invitation-password-help"
          />
        </label>
        <p id="invitation-password-help" className="muted field-help">
          At least {MIN_PASSWORD} characters.
        </p>
        <label>
          Confirm the password
          <input
            type="password"
            autoComplete="new-password"
            required
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
          />
        </label>
        <ErrorBanner error={error?.message} />
        {error?.code === "CONFLICT" && <Link to="/login">Sign in</Link>}
        <button type="submit" className="primary" disabled={busy || !token}>
          {busy ? "Joining…" : "Join"}
        </button>
      </form>
    </main>
  );
}
