// Administration, for the organization's admins (a user with the ADMIN role, or an API
// key holding `admin`): plan and usage against the tier's limits, users and
// invitations, API keys, the audit log. Anyone else, opening /admin directly, is told
// it is for admins only, and nothing is asked of the server.
import { ApiKeysPanel } from "../components/admin/ApiKeysPanel";
import { AuditLogPanel } from "../components/admin/AuditLogPanel";
import { UsagePanel } from "../components/admin/UsagePanel";
import { UsersPanel } from "../components/admin/UsersPanel";
import { PageHeader } from "../components/PageHeader";
import { useSession } from "../lib/session";

export default function AdminPage() {
  const { viewer, isAdmin } = useSession();
  if (!viewer) {
    return (
      <>
        <PageHeader title="Administration" />
        <p className="muted">Loading…</p>
      </>
    );
  }
  if (!isAdmin) {
    return (
      <>
        <PageHeader title="Administration" />
        <p role="alert" className="banner banner-info">
          Administration is for admins only. Ask an admin of {viewer.organization.name} for what you need.
        </p>
      </>
    );
  }
  return (
    <>
      <PageHeader title="Administration" />
      <nav aria-label="Sections" className="section-nav">
        <a href="#usage">Plan and usage</a>
        <a href="#users">Users</a>
        <a href="#invitations">Invitations</a>
        <a href="#api-keys">API keys</a>
        <a href="#audit">Audit log</a>
      </nav>
      <div className="admin-sections">
        <UsagePanel />
        <UsersPanel />
        <ApiKeysPanel />
        <AuditLogPanel />
      </div>
    </>
  );
}
