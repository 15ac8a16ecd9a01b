// The audit log, newest first, paged by cursor and filtered by action (exact name, as
// the server matches it; the known ones are offered). Actors are named from the users
// and API keys of the organization.
import { useId, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { useQuery } from "urql";
import { graphql } from "../../gql";
import type { AuditLogQuery } from "../../gql/graphql";
import { AUDIT_ACTIONS, auditTargetPath } from "../../lib/admin";
import { shortId } from "../../lib/format";
import { DataTable } from "../DataTable";
import { ErrorBanner } from "../ErrorBanner";
import { Pager } from "../Pager";
import { Time } from "../Time";

const PAGE = 50;

const AuditLogDocument = graphql(`
  query AuditLog($first: Int!, $after: String, $action: String) {
    auditLog(first: $first, after: $after, action: $action) {
      totalCount
      edges { node { id createdAt action targetType targetId actorUserId actorApiKeyId details } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

const AuditActorsDocument = graphql(`
  query AuditActors {
    users(first: 100) { edges { node { id email } } }
    apiKeys(first: 100) { edges { node { id name } } }
  }
`);

type Entry = AuditLogQuery["auditLog"]["edges"][number]["node"];

export function AuditLogPanel() {
  const id = useId();
  const [draft, setDraft] = useState("");
  const [action, setAction] = useState<string | null>(null);
  const [after, setAfter] = useState<string | null>(null);
  const [{ data, error, fetching }] = useQuery({ query: AuditLogDocument, variables: { first: PAGE, after, action } });
  const [{ data: actors }] = useQuery({ query: AuditActorsDocument });
  const users = new Map(actors?.users.edges.map((e) => [e.node.id, e.node.email]) ?? []);
  const keys = new Map(actors?.apiKeys.edges.map((e) => [e.node.id, e.node.name]) ?? []);
  const rows = data?.auditLog.edges.map((e) => e.node) ?? [];

  function submit(event: FormEvent) {
    event.preventDefault();
    setAction(draft.trim() || null);
    setAfter(null);
  }

  function actor(entry: Entry): string {
    if (entry.actorUserId) return users.get(entry.actorUserId) ?? `user ${shortId(entry.actorUserId)}`;
    if (entry.actorApiKeyId) return `API key ${keys.get(entry.actorApiKeyId) ?? shortId(entry.actorApiKeyId)}`;
    return "system";
  }

  return (
    <section aria-labelledby="audit">
      <h2 id="audit">Audit log</h2>
      <form className="filters card" onSubmit={submit} aria-label="Filter the audit log">
        <label>
          Action
          <input
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            list={`${id}-actions`}
            placeholder="queue.paused"
            spellCheck={false}
            autoComplete="off"
          />
        </label>
        <datalist id={`${id}-actions`}>
          {AUDIT_ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <button type="submit">Apply</button>
        {action && (
          <button
            type="button"
            onClick={() => {
              setDraft("");
              setAction(null);
              setAfter(null);
            }}
          >
            Show all actions
          </button>
        )}
      </form>
      <ErrorBanner error={error} />
      <DataTable<Entry>
        caption={action ? `Audit log entries of action ${action}` : "Audit log entries"}
        rows={rows}
        rowKey={(e) => e.id}
        empty={fetching ? "Loading…" : action ? `No ${action} entry.` : "Nothing recorded yet."}
        columns={[
          { key: "time", header: "When", render: (e) => <Time value={e.createdAt} /> },
          { key: "action", header: "Action", render: (e) => <code>{e.action}</code> },
          {
            key: "target",
            header: "Target",
            render: (e) => {
              const path = auditTargetPath(e.targetType, e.targetId);
              const text = e.targetId ? `${e.targetType} ${shortId(e.targetId)}` : e.targetType;
              return path ? <Link to={path}>{text}</Link> : text;
            },
          },
          { key: "actor", header: "By", render: actor },
          { key: "details", header: "Details", render: (e) => <Details value={e.details} /> },
        ]}
      />
      <Pager pageInfo={data?.auditLog.pageInfo} after={after} onPage={setAfter} total={data?.auditLog.totalCount} shown={rows.length} />
    </section>
  );
}

/** A short JSON object inline; a long one folded. */
function Details({ value }: { value: unknown }) {
  if (value == null || (typeof value === "object" && Object.keys(value as object).length === 0)) {
    return <span className="muted">—</span>;
  }
  const text = JSON.stringify(value);
  if (text.length <= 80) return <code className="details">{text}</code>;
  return (
    <details>
      <summary>{text.slice(0, 60)}…</summary>
      <pre>{JSON.stringify(value, null, 2)}</pre>
    </details>
  );
}
