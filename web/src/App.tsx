// The shell: the login page for visitors without a credential (and the invitation page,
// where an invited person joins, for anyone holding the link); for the others a
// header with the navigation, the page of the current route, and the live-connection
// banner. Pages are loaded on first visit (routes.tsx).
import { lazy, Suspense, type ReactNode } from "react";
import { BrowserRouter, Navigate, NavLink, Route, Routes, useLocation } from "react-router-dom";
import { ConnectionBanner } from "./components/ConnectionBanner";
import { PageHeader } from "./components/PageHeader";
import { logout, useCredential } from "./lib/auth";
import { ROOT } from "./lib/root";
import { SessionProvider, useSession } from "./lib/session";
import LoginPage from "./pages/LoginPage";
import NotFoundPage from "./pages/NotFoundPage";
import { routes, type AppRoute } from "./routes";

const InvitationPage = lazy(() => import("./pages/InvitationPage"));

function Shell({ children }: { children: ReactNode }) {
  const { viewer, isAdmin } = useSession();
  const who = viewer?.user?.email ?? (viewer?.apiKey ? `API key ${viewer.apiKey.name}` : "");
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <span className="brand">TaskForge</span>
        <nav aria-label="Main">
          <ul>
            {routes
              .filter((route) => route.nav && (!route.adminOnly || isAdmin))
              .map((route) => (
                <li key={route.path}>
                  <NavLink to={route.path} end={route.path === "/"}>
                    {route.nav}
                  </NavLink>
                </li>
              ))}
          </ul>
        </nav>
        <div className="who">
          {viewer && <span className="muted">{viewer.organization.name}</span>}
          {who && <span>{who}</span>}
          <button type="button" className="link-button" onClick={logout}>
            Log out
          </button>
        </div>
      </header>
      <ConnectionBanner />
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<p className="muted">Loading…</p>}>{children}</Suspense>
      </main>
    </>
  );
}

function Guarded({ route }: { route: AppRoute }) {
  const { viewer, isAdmin } = useSession();
  if (route.adminOnly && viewer && !isAdmin) {
    return (
      <>
        <PageHeader title={route.nav ?? "Admins only"} />
        <p role="alert">This page is for the organization's admins only.</p>
      </>
    );
  }
  const Page = route.element;
  return <Page />;
}

function Authenticated() {
  const credential = useCredential();
  const location = useLocation();
  if (!credential) {
    const next = location.pathname + location.search;
    return <Navigate to={next === "/" ? "/login" : `/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return (
    <SessionProvider credential={credential}>
      <Shell>
        <Routes>
          {routes.map((route) => (
            <Route key={route.path} path={route.path} element={<Guarded route={route} />} />
          ))}
          <Route path="*" element={<NotFoundPage />} />
        </Routes>
      </Shell>
    </SessionProvider>
  );
}

export function App() {
  return (
    <BrowserRouter basename={ROOT || undefined}>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route
          path="/invitation"
          element={
            <Suspense fallback={<p className="muted">Loading…</p>}>
              <InvitationPage />
            </Suspense>
          }
        />
        <Route path="*" element={<Authenticated />} />
      </Routes>
    </BrowserRouter>
  );
}
