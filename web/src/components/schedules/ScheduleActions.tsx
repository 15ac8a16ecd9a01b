// Pause, resume and "run now" for one schedule (pauseSchedule, resumeSchedule,
// triggerSchedule, confirmed). A manual run names what it created, with a link to it.
import { useState } from "react";
import { Link } from "react-router-dom";
import { useMutation } from "urql";
import { graphql } from "../../gql";
import type { ScheduleStatus } from "../../gql/graphql";
import { canPause, canResume } from "../../lib/schedules";
import { ErrorBanner } from "../ErrorBanner";

const PauseScheduleDocument = graphql(`
  mutation PauseSchedule($id: ID!) {
    pauseSchedule(id: $id) { id status pausedReason nextRunAt updatedAt }
  }
`);

const ResumeScheduleDocument = graphql(`
  mutation ResumeSchedule($id: ID!) {
    resumeSchedule(id: $id) { id status pausedReason nextRunAt consecutiveFailures updatedAt }
  }
`);

const TriggerScheduleDocument = graphql(`
  mutation TriggerSchedule($id: ID!) {
    triggerSchedule(id: $id) {
      id
      runsCount
      lastRunAt
      triggered {
        job { id jobType status }
        workflow { id name status }
      }
    }
  }
`);

export function ScheduleActions({
  schedule,
  compact = false,
}: {
  schedule: { id: string; name: string; status: ScheduleStatus };
  /** In a table row: each button names the schedule for screen readers. */
  compact?: boolean;
}) {
  const [pauseState, pause] = useMutation(PauseScheduleDocument);
  const [resumeState, resume] = useMutation(ResumeScheduleDocument);
  const [triggerState, trigger] = useMutation(TriggerScheduleDocument);
  const [made, setMade] = useState<{ to: string; label: string } | null>(null);
  const busy = pauseState.fetching || resumeState.fetching || triggerState.fetching;
  const error = pauseState.error ?? resumeState.error ?? triggerState.error;

  async function runNow() {
    if (!window.confirm(`Run ${schedule.name} now, outside its timetable?`)) return;
    setMade(null);
    const result = await trigger({ id: schedule.id });
    const triggered = result.data?.triggerSchedule.triggered;
    if (triggered?.job) setMade({ to: `/jobs/${triggered.job.id}`, label: `job ${triggered.job.jobType}` });
    else if (triggered?.workflow) {
      setMade({ to: `/workflows/${triggered.workflow.id}`, label: `workflow ${triggered.workflow.name}` });
    }
  }

  return (
    <div className="schedule-actions">
      <div className="actions-row">
        {canPause(schedule.status) && (
          <button type="button" onClick={() => pause({ id: schedule.id })} disabled={busy} aria-label={compact ? `Pause ${schedule.name}` : undefined}>
            Pause
          </button>
        )}
        {canResume(schedule.status) && (
          <button type="button" onClick={() => resume({ id: schedule.id })} disabled={busy} aria-label={compact ? `Resume ${schedule.name}` : undefined}>
            Resume
          </button>
        )}
        {/* in any status: the server runs a completed or failed schedule once too */}
        <button type="button" onClick={runNow} disabled={busy} aria-label={compact ? `Run now: ${schedule.name}` : undefined}>
          Run now
        </button>
      </div>
      <ErrorBanner error={error} />
      {made && (
        <p role="status">
          Started <Link to={made.to}>{made.label}</Link>.
        </p>
      )}
    </div>
  );
}
