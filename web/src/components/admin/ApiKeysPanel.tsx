// API keys: the list (prefix, permissions, project, expiry, last use, state), a form to
// create one (its secret shown only once) and revoke.
import { useId, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import type { AdminApiKeysQuery } from "../../gql/graphql";
import { API_KEY_PERMISSIONS, apiKeyState, expiryInstant } from "../../lib/admin";
import { useSession } from "../../lib/session";
import { DataTable } from "../DataTable";
import { ErrorBanner } from "../ErrorBanner";
import { Pager } from "../Pager";
import { StatusBadge } from "../StatusBadge";
import { Time } from "../Time";
import { SecretOnce } from "./SecretOnce";

const PAGE = 50;

const AdminApiKeysDocument = graphql(`
  query AdminApiKeys($first: Int!, $after: String) {
    apiKeys(first: $first, after: $after) {
      totalCount
      edges { node { id name prefix permissions projectId createdAt expiresAt lastUsedAt revokedAt } }
      pageInfo { hasNextPage endCursor }
    }
    projects(first: 100) { edges { node { id name } } }
  }
`);

const CreateApiKeyDocument = graphql(`
  mutation CreateApiKey($name: String!, $permissions: [String!]!, $projectId: ID, $expiresAt: DateTime) {
    createApiKey(name: $name, permissions: $permissions, projectId: $projectId, expiresAt: $expiresAt) {
      secret
      apiKey { id name prefix }
    }
  }
`);

const RevokeApiKeyDocument = graphql(`
  mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }
`);

type KeyRow = AdminApiKeysQuery["apiKeys"]["edges"][number]["node"];

export function ApiKeysPanel() {
  const { viewer } = useSession();
  const id = useId();
  const [after, setAfter] = useState<string | null>(null);
  const [{ data, error }, refetch] = useQuery({ query: AdminApiKeysDocument, variables: { first: PAGE, after } });
  const [createState, create] = useMutation(CreateApiKeyDocument);
  const [revokeState, revoke] = useMutation(RevokeApiKeyDocument);
  const [name, setName] = useState("");
  const [permissions, setPermissions] = useState<string[]>(["jobs:read"]);
  const [projectId, setProjectId] = useState("");
  const [expires, setExpires] = useState("");
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const rows = data?.apiKeys.edges.map((e) => e.node) ?? [];
  const projects = new Map(data?.projects.edges.map((e) => [e.node.id, e.node.name]) ?? []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setCreated(null);
    const result = await create({
      name: name.trim(),
      permissions,
      projectId: projectId || null,
      expiresAt: expiryInstant(expires),
    });
    if (result.data) {
      setCreated({ name: result.data.createApiKey.apiKey.name, secret: result.data.createApiKey.secret });
      setName("");
      refetch({ requestPolicy: "network-only" });
    }
  }

  function onRevoke(key: KeyRow) {
    const own = key.id === viewer?.apiKey?.id ? " This is the key you are signed in with: you will be logged out." : "";
    if (window.confirm(`Revoke the API key ${key.name} (${key.prefix}…)? Clients using it are refused from now on.${own}`)) {
      void revoke({ id: key.id });
    }
  }

  return (
    <section aria-labelledby="api-keys">
      <h2 id="api-keys">API keys</h2>
      <form className="card form" onSubmit={submit} aria-labelledby={`${id}-title`}>
        <h3 id={`${id}-title`}>Create an API key</h3>
        <div className="filters">
          <label>
            Name
            <input value={name} onChange={(e) => setName(e.target.value)} required placeholder="ci-deploy" autoComplete="off" />
          </label>
          <label>
            Project
            <select value={projectId} onChange={(e) => setProjectId(e.target.value)}>
              <option value="">Every project</option>
              {[...projects].map(([projectId, projectName]) => (
                <option key={projectId} value={projectId}>
                  {projectName}
                </option>
              ))}
            </select>
          </label>
          <label>
            Expires (optional)
            <input type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} />
          </label>
        </div>
        <fieldset>
          <legend>Permissions</legend>
          <div className="checks permissions">
            {API_KEY_PERMISSIONS.map((p) => (
              <label key={p.name} title={p.help}>
                <input
                  type="checkbox"
                  checked={permissions.includes(p.name)}
                  onChange={(e) =>
                    setPermissions((current) =>
                      API_KEY_PERMISSIONS.map((q) => q.name).filter((n) =>
                        n === p.name ? e.target.checked : current.includes(n),
                      ),
                    )
                  }
                />
                <code>{p.name}</code>
                <span className="muted"> {p.help}</span>
              </label>
            ))}
          </div>
        </fieldset>
        <div className="actions-row">
          <button type="submit" className="primary" disabled={createState.fetching || !name.trim() || permissions.length === 0}>
            Create key
          </button>
        </div>
      </form>
      <ErrorBanner error={createState.error ?? revokeState.error ?? error} />
      {created && (
        <SecretOnce title={`API key ${created.name}`} label="Secret" secret={created.secret} onDone={() => setCreated(null)}>
          Keep it now: it is shown only this once (TaskForge stores a hash of it). Send it as{" "}
          <code>Authorization: Bearer …</code>.
        </SecretOnce>
      )}
      <DataTable<KeyRow>
        caption="API keys"
        rows={rows}
        rowKey={(k) => k.id}
        empty="No API key yet."
        columns={[
          {
            key: "name",
            header: "Key",
            render: (k) => (
              <>
                {k.name}
                {k.id === viewer?.apiKey?.id && <span className="muted"> (this session)</span>}
                <div className="muted mono">{k.prefix}…</div>
              </>
            ),
          },
          {
            key: "permissions",
            header: "Permissions",
            render: (k) => <span className="mono">{k.permissions.join(", ")}</span>,
          },
          {
            key: "project",
            header: "Project",
            render: (k) => (k.projectId ? (projects.get(k.projectId) ?? k.projectId) : <span className="muted">every</span>),
          },
          { key: "state", header: "State", render: (k) => <StatusBadge status={apiKeyState(k)} /> },
          { key: "created", header: "Created", render: (k) => <Time value={k.createdAt} /> },
          { key: "used", header: "Last used", render: (k) => <Time value={k.lastUsedAt} relative /> },
          { key: "expires", header: "Expires", render: (k) => (k.expiresAt ? <Time value={k.expiresAt} /> : <span className="muted">never</span>) },
          {
            key: "actions",
            header: "Actions",
            render: (k) =>
              k.revokedAt ? (
                <span className="muted">—</span>
              ) : (
                <button
                  type="button"
                  className="danger"
                  onClick={() => onRevoke(k)}
                  disabled={revokeState.fetching}
                  aria-label={`Revoke ${k.name}`}
                >
                  Revoke
                </button>
              ),
          },
        ]}
      />
      <Pager pageInfo={data?.apiKeys.pageInfo} after={after} onPage={setAfter} total={data?.apiKeys.totalCount} shown={rows.length} />
    </section>
  );
}
