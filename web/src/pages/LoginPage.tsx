// Sign in with email and password (the `login` mutation's token), or paste an API key.
// Either credential is checked against the server before it is kept.
import { useState, type FormEvent } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router-dom";
import { ErrorBanner } from "../components/ErrorBanner";
import { graphql } from "../gql";
import { setCredential, useCredential } from "../lib/auth";
import { anonymousClient } from "../lib/client";
import { describeError } from "../lib/errors";
import { ViewerDocument } from "../lib/session";

const LoginDocument = graphql(`
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) { token expiresAt }
  }
`);

/** Where to go after signing in: a path of this site only. Parsed the way the browser
 * would (`/\\evil.com` and a tab in `/\t/evil.com` make another site), then only the
 * path, query and fragment are kept. */
export function safeNext(next: string | null, origin: string = window.location.origin): string {
  if (!next) return "/";
  let url: URL;
  try {
    url = new URL(next, origin);
  } catch {
    return "/";
  }
  if (url.origin !== origin) return "/";
  // "//x" as a path would be read as another host by the history API
  return url.pathname.replace(/^\/+/, "/") + url.search + url.hash;
}

export default function LoginPage() {
  const credential = useCredential();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [mode, setMode] = useState<"password" | "key">("password");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [apiKey, setApiKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = safeNext(params.get("next"));

  if (credential && !busy) return <Navigate to={next} replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      let token: string;
      if (mode === "password") {
        const result = await anonymousClient().mutation(LoginDocument, { email, password }).toPromise();
        if (result.error || !result.data) throw result.error ?? new Error("No answer");
        token = result.data.login.token;
      } else {
        token = apiKey.trim();
        const result = await anonymousClient(`Bearer ${token}`).query(ViewerDocument, {}).toPromise();
        if (result.error || !result.data) throw result.error ?? new Error("No answer");
      }
      setCredential(token);
      navigate(next, { replace: true });
    } catch (caught) {
      setError(describeError(caught as Error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="login">
      <h1>TaskForge</h1>
      <form onSubmit={submit} className="card form" aria-labelledby="login-title">
        <h2 id="login-title">Sign in</h2>
        <fieldset className="segmented">
          <legend className="visually-hidden">Sign in with</legend>
          <label>
            <input
              type="radio"
              name="mode"
              checked={mode === "password"}
              onChange={() => setMode("password")}
            />
            Email and password
          </label>
          <label>
            <input type="radio" name="mode" checked={mode === "key"} onChange={() => setMode("key")} />
            API key
          </label>
        </fieldset>
        {mode === "password" ? (
          <>
            <label>
              Email
              <input
                type="email"
                autoComplete="username"
                required
                value={email}
                onChange={(e) => setEmail(e.target.value)}
              />
            </label>
            <label>
              Password
              <input
                type="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </label>
          </>
        ) : (
          <label>
            API key
            <input
              type="password"
              autoComplete="off"
              placeholder="tf_…"
              required
              value={apiKey}
              onChange={(e) => setApiKey(e.target.value)}
            />
          </label>
        )}
        <ErrorBanner error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
