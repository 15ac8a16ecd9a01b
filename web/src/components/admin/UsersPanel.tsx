// The organization's users (role changes, deactivation) and its invitations (invite by
// email and role, the link to join with shown once; revoke a pending one).
import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import type { AdminInvitationsQuery, AdminUsersQuery, UserRole } from "../../gql/graphql";
import { invitationLink, invitationState } from "../../lib/admin";
import { useSession } from "../../lib/session";
import { DataTable } from "../DataTable";
import { ErrorBanner } from "../ErrorBanner";
import { Pager } from "../Pager";
import { StatusBadge, statusLabel } from "../StatusBadge";
import { Time } from "../Time";
import { SecretOnce } from "./SecretOnce";

const PAGE = 50;

const AdminUsersDocument = graphql(`
  query AdminUsers($first: Int!, $after: String) {
    users(first: $first, after: $after) {
      totalCount
      edges { node { id email name role active deactivatedAt createdAt } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

const AdminInvitationsDocument = graphql(`
  query AdminInvitations($first: Int!, $after: String) {
    invitations(first: $first, after: $after) {
      totalCount
      edges { node { id email role createdAt expiresAt acceptedAt revokedAt } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

const UpdateUserRoleDocument = graphql(`
  mutation UpdateUserRole($id: ID!, $role: UserRole!) { updateUserRole(id: $id, role: $role) { id role } }
`);

const DeactivateUserDocument = graphql(`
  mutation DeactivateUser($id: ID!) { deactivateUser(id: $id) { id active deactivatedAt } }
`);

const InviteUserDocument = graphql(`
  mutation InviteUser($email: String!, $role: UserRole!) {
    inviteUser(email: $email, role: $role) { token invitation { id email role expiresAt } }
  }
`);

const RevokeInvitationDocument = graphql(`
  mutation RevokeInvitation($id: ID!) { revokeInvitation(id: $id) { id revokedAt } }
`);

type UserRow = AdminUsersQuery["users"]["edges"][number]["node"];
type InvitationRow = AdminInvitationsQuery["invitations"]["edges"][number]["node"];

export function UsersPanel() {
  const { viewer } = useSession();
  const [after, setAfter] = useState<string | null>(null);
  const [{ data, error }] = useQuery({ query: AdminUsersDocument, variables: { first: PAGE, after } });
  const [roleState, updateRole] = useMutation(UpdateUserRoleDocument);
  const [deactivateState, deactivate] = useMutation(DeactivateUserDocument);
  const rows = data?.users.edges.map((e) => e.node) ?? [];
  const busy = roleState.fetching || deactivateState.fetching;

  function onDeactivate(user: UserRow) {
    if (window.confirm(`Deactivate ${user.email}? They can no longer log in, and their sessions end.`)) {
      void deactivate({ id: user.id });
    }
  }

  return (
    <section aria-labelledby="users">
      <h2 id="users">Users</h2>
      <ErrorBanner error={error ?? roleState.error ?? deactivateState.error} />
      <DataTable<UserRow>
        caption="Users of the organization"
        rows={rows}
        rowKey={(u) => u.id}
        columns={[
          {
            key: "email",
            header: "User",
            render: (u) => (
              <>
                {u.email}
                {u.id === viewer?.user?.id && <span className="muted"> (you)</span>}
                {u.name && <div className="muted">{u.name}</div>}
              </>
            ),
          },
          { key: "role", header: "Role", render: (u) => statusLabel(u.role) },
          {
            key: "state",
            header: "State",
            render: (u) => <StatusBadge status={u.active ? "ACTIVE" : "DEACTIVATED"} />,
          },
          { key: "created", header: "Joined", render: (u) => <Time value={u.createdAt} /> },
          {
            key: "actions",
            header: "Actions",
            render: (u) =>
              !u.active || u.id === viewer?.user?.id ? (
                <span className="muted">—</span>
              ) : (
                <div className="actions-row">
                  <button
                    type="button"
                    disabled={busy}
                    onClick={() => updateRole({ id: u.id, role: u.role === "ADMIN" ? "MEMBER" : "ADMIN" })}
                    aria-label={`${u.role === "ADMIN" ? "Make member" : "Make admin"}: ${u.email}`}
                  >
                    {u.role === "ADMIN" ? "Make member" : "Make admin"}
                  </button>
                  <button
                    type="button"
                    className="danger"
                    disabled={busy}
                    onClick={() => onDeactivate(u)}
                    aria-label={`Deactivate ${u.email}`}
                  >
                    Deactivate
                  </button>
                </div>
              ),
          },
        ]}
      />
      <Pager pageInfo={data?.users.pageInfo} after={after} onPage={setAfter} total={data?.users.totalCount} shown={rows.length} />
      <InvitationsPanel />
    </section>
  );
}

function InvitationsPanel() {
  const [after, setAfter] = useState<string | null>(null);
  const [{ data, error }, refetch] = useQuery({ query: AdminInvitationsDocument, variables: { first: PAGE, after } });
  const [inviteState, invite] = useMutation(InviteUserDocument);
  const [revokeState, revoke] = useMutation(RevokeInvitationDocument);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<UserRole>("MEMBER");
  const [sent, setSent] = useState<{ email: string; token: string } | null>(null);
  const rows = data?.invitations.edges.map((e) => e.node) ?? [];

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSent(null);
    const result = await invite({ email: email.trim(), role });
    if (result.data) {
      setSent({ email: result.data.inviteUser.invitation.email, token: result.data.inviteUser.token });
      setEmail("");
      refetch({ requestPolicy: "network-only" });
    }
  }

  function onRevoke(invitation: InvitationRow) {
    if (window.confirm(`Revoke the invitation of ${invitation.email}? Its token stops working.`)) {
      void revoke({ id: invitation.id });
    }
  }

  return (
    <>
      <h3 id="invitations">Invitations</h3>
      <form className="filters card" onSubmit={submit} aria-labelledby="invite-title">
        <h4 id="invite-title" className="visually-hidden">
          Invite a user
        </h4>
        <label>
          Email
          <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required autoComplete="off" />
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as UserRole)}>
            <option value="MEMBER">Member</option>
            <option value="ADMIN">Admin</option>
          </select>
        </label>
        <button type="submit" className="primary" disabled={inviteState.fetching || !email.trim()}>
          Invite
        </button>
      </form>
      <ErrorBanner error={inviteState.error ?? revokeState.error ?? error} />
      {sent && (
        <SecretOnce
          title={`Invitation for ${sent.email}`}
          label="Invitation link"
          secret={invitationLink(sent.token)}
          onDone={() => setSent(null)}
        >
          Send this link to {sent.email}: opening it, they choose a name and a password and are signed in. It works
          once, and is shown only this once.
        </SecretOnce>
      )}
      <DataTable<InvitationRow>
        caption="Invitations"
        rows={rows}
        rowKey={(i) => i.id}
        empty="No invitation yet."
        columns={[
          { key: "email", header: "Email", render: (i) => i.email },
          { key: "role", header: "Role", render: (i) => statusLabel(i.role) },
          { key: "state", header: "State", render: (i) => <StatusBadge status={invitationState(i)} /> },
          { key: "sent", header: "Sent", render: (i) => <Time value={i.createdAt} /> },
          { key: "expires", header: "Expires", render: (i) => <Time value={i.expiresAt} /> },
          {
            key: "actions",
            header: "Actions",
            render: (i) =>
              invitationState(i) === "PENDING" ? (
                <button
                  type="button"
                  className="danger"
                  onClick={() => onRevoke(i)}
                  disabled={revokeState.fetching}
                  aria-label={`Revoke the invitation of ${i.email}`}
                >
                  Revoke
                </button>
              ) : (
                <span className="muted">—</span>
              ),
          },
        ]}
      />
      <Pager
        pageInfo={data?.invitations.pageInfo}
        after={after}
        onPage={setAfter}
        total={data?.invitations.totalCount}
        shown={rows.length}
      />
    </>
  );
}
