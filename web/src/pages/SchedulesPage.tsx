// The schedules: counts by status, a list filtered by status and type (in the URL's
// query string) and paged by cursor, each with its next runs, last run and status, and
// a form for a new schedule. Live: every scheduler tick refetches (throttled), and a
// slow poll moves the next runs along as time passes.
import { useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import { useQuery } from "urql";
import { DataTable } from "../components/DataTable";
import { ErrorBanner } from "../components/ErrorBanner";
import { PageHeader } from "../components/PageHeader";
import { Pager } from "../components/Pager";
import { ScheduleActions } from "../components/schedules/ScheduleActions";
import { ScheduleForm } from "../components/schedules/ScheduleForm";
import { StatusBadge, statusLabel } from "../components/StatusBadge";
import { Time } from "../components/Time";
import { graphql } from "../gql";
import type { SchedulesQuery } from "../gql/graphql";
import { useNow, usePolling, useResumableSubscription, useThrottled } from "../lib/live";
import {
  describeTarget,
  formatInZone,
  SCHEDULE_STATUSES,
  SCHEDULE_TYPES,
  scheduleFiltersFromSearch,
  scheduleFiltersToSearch,
  type ScheduleFilters,
} from "../lib/schedules";

const PAGE = 25;
const NEXT_RUNS = 3;

const SchedulesDocument = graphql(`
  query Schedules($first: Int!, $after: String, $status: [ScheduleStatus!], $type: [ScheduleType!], $next: Int!) {
    schedules(first: $first, after: $after, status: $status, type: $type) {
      totalCount
      edges {
        node {
          id
          name
          type
          expression
          timezone
          status
          pausedReason
          jobType
          workflowDefinition
          workflowTemplate { name version }
          queueId
          runsCount
          maxRuns
          lastRunAt
          lastError
          upcomingRuns(count: $next)
        }
      }
      pageInfo { hasNextPage endCursor }
    }
    scheduleSummary { total active paused completed failed dueNow }
  }
`);

const SchedulesTicksDocument = graphql(`
  subscription SchedulesTicks($after: ID) {
    schedulerTicks(after: $after) { eventId scheduleId }
  }
`);

type Row = SchedulesQuery["schedules"]["edges"][number]["node"];

export default function SchedulesPage() {
  const [search, setSearch] = useSearchParams();
  const filters = scheduleFiltersFromSearch(search);
  const navigate = useNavigate();
  const [creating, setCreating] = useState(false);
  const [{ data, error, fetching }, refetch] = useQuery({
    query: SchedulesDocument,
    variables: {
      first: PAGE,
      after: filters.after,
      status: filters.status ? [filters.status] : null,
      type: filters.type ? [filters.type] : null,
      next: NEXT_RUNS,
    },
  });
  const reload = useThrottled(() => refetch({ requestPolicy: "network-only" }), 2_000);
  useResumableSubscription({
    query: SchedulesTicksDocument,
    variables: {},
    cursorOf: (tick) => tick.schedulerTicks.eventId,
    onEvent: reload,
    onResync: reload,
  });
  usePolling(reload, 30_000);
  useNow(10_000); // "last run 5 s ago" moves on between answers

  const apply = (patch: Partial<ScheduleFilters>) =>
    setSearch(scheduleFiltersToSearch({ ...filters, after: null, ...patch }));
  const rows = data?.schedules.edges.map((e) => e.node) ?? [];
  const summary = data?.scheduleSummary;

  return (
    <>
      <PageHeader title="Schedules">
        {!creating && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New schedule
          </button>
        )}
      </PageHeader>
      {creating && (
        <ScheduleForm onSaved={(id) => navigate(`/schedules/${id}`)} onCancel={() => setCreating(false)} />
      )}
      <ErrorBanner error={error} />

      {summary && (
        <section aria-labelledby="schedule-counts" className="cards">
          <h2 id="schedule-counts" className="visually-hidden">
            Schedules by status
          </h2>
          <Count label="Active" value={summary.active} onClick={() => apply({ status: "ACTIVE" })} />
          <Count label="Paused" value={summary.paused} onClick={() => apply({ status: "PAUSED" })} />
          <Count label="Completed" value={summary.completed} onClick={() => apply({ status: "COMPLETED" })} />
          <Count label="Failed" value={summary.failed} onClick={() => apply({ status: "FAILED" })} />
          <div className="card stat">
            <div className="label">Due now</div>
            <div className="value">{summary.dueNow.toLocaleString()}</div>
          </div>
        </section>
      )}

      <form className="filters card" aria-label="Filter schedules" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select
            value={filters.status ?? ""}
            onChange={(e) => apply({ status: (e.target.value || null) as ScheduleFilters["status"] })}
          >
            <option value="">All statuses</option>
            {SCHEDULE_STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Type
          <select
            value={filters.type ?? ""}
            onChange={(e) => apply({ type: (e.target.value || null) as ScheduleFilters["type"] })}
          >
            <option value="">All types</option>
            {SCHEDULE_TYPES.map((t) => (
              <option key={t} value={t}>
                {t === "RECURRING" ? "Interval" : statusLabel(t)}
              </option>
            ))}
          </select>
        </label>
      </form>

      {!data && fetching && <p className="muted">Loading…</p>}
      {data && (
        <>
          <DataTable<Row>
            caption="Schedules"
            rows={rows}
            rowKey={(s) => s.id}
            empty={filters.status || filters.type ? "No schedule matches these filters." : "No schedule yet."}
            columns={[
              {
                key: "name",
                header: "Schedule",
                render: (s) => (
                  <>
                    <Link to={`/schedules/${s.id}`}>{s.name}</Link>
                    <div className="muted">{describeTarget(s)}</div>
                  </>
                ),
              },
              {
                key: "when",
                header: "When",
                render: (s) => (
                  <>
                    <code>{s.expression}</code>
                    <div className="muted">
                      {s.type === "RECURRING" ? "Interval" : statusLabel(s.type)}
                      {s.type === "CRON" ? ` · ${s.timezone}` : ""}
                    </div>
                  </>
                ),
              },
              {
                key: "status",
                header: "Status",
                render: (s) => (
                  <>
                    <StatusBadge status={s.status} />
                    {s.pausedReason && <div className="muted">{s.pausedReason}</div>}
                  </>
                ),
              },
              {
                key: "next",
                header: "Next runs",
                render: (s) =>
                  s.upcomingRuns.length === 0 ? (
                    <span className="muted">—</span>
                  ) : (
                    <ol className="next-runs">
                      {s.upcomingRuns.map((run) => (
                        <li key={run}>
                          <time dateTime={run} title={run}>
                            {formatInZone(run, s.timezone)}
                          </time>
                        </li>
                      ))}
                    </ol>
                  ),
              },
              {
                key: "last",
                header: "Last run",
                render: (s) => (
                  <>
                    <Time value={s.lastRunAt} relative />
                    {s.lastError && <div className="error-text">{s.lastError}</div>}
                  </>
                ),
              },
              {
                key: "runs",
                header: "Runs",
                className: "num nowrap",
                render: (s) => (s.maxRuns != null ? `${s.runsCount} of ${s.maxRuns}` : s.runsCount.toLocaleString()),
              },
              { key: "actions", header: "Actions", render: (s) => <ScheduleActions schedule={s} compact /> },
            ]}
          />
          <Pager
            pageInfo={data.schedules.pageInfo}
            after={filters.after}
            onPage={(after) => apply({ after })}
            total={data.schedules.totalCount}
            shown={rows.length}
          />
        </>
      )}
    </>
  );
}

function Count({ label, value, onClick }: { label: string; value: number; onClick: () => void }) {
  return (
    <div className="card stat">
      <div className="label">{label}</div>
      <div className="value">
        <button type="button" className="link-button" onClick={onClick} aria-label={`${value} ${label.toLowerCase()}: show them`}>
          {value.toLocaleString()}
        </button>
      </div>
    </div>
  );
}
