// The organization's subscription: its tier and period, and each usage figure against
// the tier's limit (jobs this period, workers, schedules).
import { useQuery } from "urql";
import { graphql } from "../../gql";
import { describeUsage, usageLevel, usagePercent } from "../../lib/usage";
import { ErrorBanner } from "../ErrorBanner";
import { statusLabel } from "../StatusBadge";
import { Time } from "../Time";

const AdminUsageDocument = graphql(`
  query AdminUsage {
    viewer {
      organization {
        id
        name
        billingEmail
        subscription {
          tier
          currentPeriodEnd
          limits { maxJobsPerPeriod maxWorkers maxSchedules }
          usage { jobsThisPeriod workers }
        }
      }
    }
    scheduleSummary { total }
  }
`);

export function UsagePanel() {
  const [{ data, error }] = useQuery({ query: AdminUsageDocument });
  const org = data?.viewer.organization;
  const plan = org?.subscription;
  return (
    <section className="card" aria-labelledby="usage">
      <h2 id="usage">Plan and usage</h2>
      <ErrorBanner error={error} />
      {org && plan && data && (
        <>
          <p>
            {org.name} is on the <strong>{statusLabel(plan.tier)}</strong> plan; this period ends{" "}
            <Time value={plan.currentPeriodEnd} />. Billing email: {org.billingEmail}.
          </p>
          <div className="usage-grid">
            <UsageMeter label="Jobs this period" used={plan.usage.jobsThisPeriod} limit={plan.limits.maxJobsPerPeriod} />
            <UsageMeter label="Workers" used={plan.usage.workers} limit={plan.limits.maxWorkers} />
            <UsageMeter label="Schedules" used={data.scheduleSummary.total} limit={plan.limits.maxSchedules} />
          </div>
        </>
      )}
    </section>
  );
}

export function UsageMeter({ label, used, limit }: { label: string; used: number; limit: number | null | undefined }) {
  const percent = usagePercent(used, limit);
  const level = usageLevel(used, limit);
  return (
    <div className={`usage usage-${level}`}>
      <div className="label">{label}</div>
      <div className="value">{describeUsage(used, limit)}</div>
      {percent !== null && (
        <progress className="progress" max={100} value={Math.min(100, percent)} aria-label={`${label}: ${percent}% of the limit`} />
      )}
      {level === "full" && <div className="error-text">Limit reached: new ones are refused.</div>}
      {level === "high" && <div className="warning-text">Near the limit.</div>}
    </div>
  );
}
