// Create or edit a schedule: when it fires (type, expression, timezone, with the next
// runs previewed while typing and an invalid expression's message under the field),
// what it runs (a job, a workflow definition or a workflow template; fixed once
// created) and the policies. Saves with createSchedule, or updateSchedule sending only
// what changed.
import { useId, useMemo, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import type { ScheduleType } from "../../gql/graphql";
import { QueueChoicesDocument } from "../../lib/queries";
import {
  EXPRESSION_HELP,
  FormProblem,
  formatInZone,
  MISFIRE_POLICIES,
  NEW_SCHEDULE,
  OVERLAP_POLICIES,
  SCHEDULE_TYPES,
  scheduleInput,
  timezoneChoices,
  type ScheduleFormValues,
  type TargetKind,
} from "../../lib/schedules";
import { ErrorBanner } from "../ErrorBanner";
import { Field } from "../Field";
import { statusLabel } from "../StatusBadge";
import { useSchedulePreview } from "./useSchedulePreview";

const ProjectChoicesDocument = graphql(`
  query ProjectChoices {
    projects(first: 100) { edges { node { id name } } }
  }
`);

const CreateScheduleDocument = graphql(`
  mutation CreateSchedule($input: ScheduleInput!) {
    createSchedule(input: $input) { id name status nextRunAt }
  }
`);

const UpdateScheduleDocument = graphql(`
  mutation UpdateSchedule($id: ID!, $input: ScheduleInput!) {
    updateSchedule(id: $id, input: $input) { id name status nextRunAt updatedAt }
  }
`);

const TARGETS: { value: TargetKind; label: string }[] = [
  { value: "job", label: "A job" },
  { value: "workflow", label: "A workflow definition" },
  { value: "template", label: "A workflow template" },
];

export function ScheduleForm({
  scheduleId,
  initial,
  onSaved,
  onCancel,
  debounceMs = 400,
}: {
  /** Editing this schedule (its current values in `initial`); none: a new one. */
  scheduleId?: string;
  initial?: ScheduleFormValues;
  onSaved: (id: string) => void;
  onCancel?: () => void;
  debounceMs?: number;
}) {
  const editing = scheduleId != null;
  const original = useMemo(() => initial ?? NEW_SCHEDULE, [initial]);
  const [values, setValues] = useState<ScheduleFormValues>(original);
  const [problem, setProblem] = useState<FormProblem | null>(null);
  const [{ data: queues }] = useQuery({ query: QueueChoicesDocument });
  const [{ data: projects }] = useQuery({ query: ProjectChoicesDocument, pause: values.target === "job" });
  const [createState, create] = useMutation(CreateScheduleDocument);
  const [updateState, update] = useMutation(UpdateScheduleDocument);
  const preview = useSchedulePreview(values.type, values.expression, values.timezone, { debounceMs });
  const zones = useMemo(timezoneChoices, []);
  const id = useId();
  const set = (patch: Partial<ScheduleFormValues>) => setValues((v) => ({ ...v, ...patch }));

  const queueChoices = queues?.queues.edges.map((e) => e.node) ?? [];
  const projectChoices = projects?.projects.edges.map((e) => e.node) ?? [];
  const queueId = values.queueId || (values.target === "job" ? (queueChoices[0]?.id ?? "") : "");
  const projectId = values.projectId || (values.target !== "job" ? (projectChoices[0]?.id ?? "") : "");
  const saving = createState.fetching || updateState.fetching;
  const help = EXPRESSION_HELP[values.type];
  const fieldError = (field: keyof ScheduleFormValues) => (problem?.field === field ? problem.message : null);
  const expressionError =
    fieldError("expression") ?? (preview.problem?.field === "expression" ? preview.problem.message : null);
  const timezoneError = fieldError("timezone") ?? (preview.problem?.field === "timezone" ? preview.problem.message : null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    let input;
    try {
      const complete = { ...values, queueId, projectId };
      input = scheduleInput(complete, editing ? original : undefined);
    } catch (error) {
      if (error instanceof FormProblem) {
        setProblem(error);
        return;
      }
      throw error;
    }
    setProblem(null);
    if (editing) {
      if (Object.keys(input).length === 0) {
        onSaved(scheduleId);
        return;
      }
      const result = await update({ id: scheduleId, input });
      if (result.data) onSaved(result.data.updateSchedule.id);
    } else {
      const result = await create({ input });
      if (result.data) onSaved(result.data.createSchedule.id);
    }
  }

  return (
    <form className="card form schedule-form" onSubmit={submit} aria-labelledby={`${id}-title`} noValidate>
      <h2 id={`${id}-title`}>{editing ? "Edit schedule" : "New schedule"}</h2>

      <Field label="Name" error={fieldError("name")} id={`${id}-name`}>
        <input value={values.name} onChange={(e) => set({ name: e.target.value })} required maxLength={255} />
      </Field>

      <fieldset>
        <legend>Type</legend>
        <div className="segmented">
          {SCHEDULE_TYPES.map((type) => (
            <label key={type}>
              <input
                type="radio"
                name={`${id}-type`}
                value={type}
                checked={values.type === type}
                onChange={() => set({ type: type as ScheduleType })}
              />
              {type === "RECURRING" ? "Interval" : statusLabel(type)}
            </label>
          ))}
        </div>
      </fieldset>

      <div className="schedule-when">
        <Field label="Expression" error={expressionError} help={help.help} id={`${id}-expression`}>
          <input
            className="mono"
            value={values.expression}
            onChange={(e) => set({ expression: e.target.value })}
            placeholder={help.placeholder}
            required
            spellCheck={false}
            autoComplete="off"
          />
        </Field>
        <Field label="Timezone" error={timezoneError} help="An IANA name, such as Europe/Paris." id={`${id}-timezone`}>
          <input
            value={values.timezone}
            onChange={(e) => set({ timezone: e.target.value })}
            list={`${id}-zones`}
            spellCheck={false}
            autoComplete="off"
          />
        </Field>
        <datalist id={`${id}-zones`}>
          {zones.map((zone) => (
            <option key={zone} value={zone} />
          ))}
        </datalist>
      </div>

      <section className="preview" aria-labelledby={`${id}-preview`}>
        <h3 id={`${id}-preview`}>Preview: the next runs</h3>
        <div aria-live="polite" aria-busy={preview.pending}>
          {!values.expression.trim() ? (
            <p className="muted">Type an expression to see when it fires.</p>
          ) : preview.problem ? (
            <p className="muted">No preview: the expression does not read yet.</p>
          ) : preview.runs === null ? (
            <p className="muted">Working out the next runs…</p>
          ) : preview.runs.length === 0 ? (
            <p className="muted">It would never fire (a time already past).</p>
          ) : (
            <ol className={`preview-runs${preview.pending ? " stale" : ""}`}>
              {preview.runs.map((run) => (
                <li key={run}>
                  <time dateTime={run} title={run}>
                    {formatInZone(run, preview.asked?.timezone ?? "UTC")}
                  </time>
                </li>
              ))}
            </ol>
          )}
        </div>
      </section>

      <fieldset>
        <legend>What it runs</legend>
        <div className="segmented">
          {TARGETS.map((target) => (
            <label key={target.value}>
              <input
                type="radio"
                name={`${id}-target`}
                value={target.value}
                checked={values.target === target.value}
                disabled={editing && values.target !== target.value}
                onChange={() => set({ target: target.value })}
              />
              {target.label}
            </label>
          ))}
        </div>
        {editing && <p className="muted">A schedule's kind of target is fixed once it is created.</p>}
      </fieldset>

      {values.target === "job" ? (
        <div className="filters">
          <Field label="Queue" error={fieldError("queueId")} id={`${id}-queue`}>
            <select value={queueId} onChange={(e) => set({ queueId: e.target.value })} required>
              {queueChoices.length === 0 && <option value="">No queue yet</option>}
              {queueChoices.map((q) => (
                <option key={q.id} value={q.id}>
                  {q.name}
                  {q.isPaused ? " (paused)" : ""}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Job type" error={fieldError("jobType")} id={`${id}-jobtype`}>
            <input value={values.jobType} onChange={(e) => set({ jobType: e.target.value })} required placeholder="send_report" />
          </Field>
          <Field label="Priority (0-9)" error={fieldError("priority")} id={`${id}-priority`}>
            <input type="number" min={0} max={9} value={values.priority} onChange={(e) => set({ priority: e.target.value })} />
          </Field>
          <Field label="Maximum attempts" error={fieldError("maxAttempts")} help="Empty: the queue's." id={`${id}-attempts`}>
            <input type="number" min={1} max={100} value={values.maxAttempts} onChange={(e) => set({ maxAttempts: e.target.value })} />
          </Field>
        </div>
      ) : (
        <div className="filters">
          <Field label="Project" error={fieldError("projectId")} id={`${id}-project`}>
            <select value={projectId} onChange={(e) => set({ projectId: e.target.value })} required>
              {projectChoices.length === 0 && <option value="">No project yet</option>}
              {projectChoices.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </Field>
          {values.target === "template" && (
            <>
              <Field label="Template name" error={fieldError("templateName")} id={`${id}-template`}>
                <input value={values.templateName} onChange={(e) => set({ templateName: e.target.value })} required />
              </Field>
              <Field label="Version" error={fieldError("templateVersion")} help="Empty: the latest at each run." id={`${id}-version`}>
                <input type="number" min={1} value={values.templateVersion} onChange={(e) => set({ templateVersion: e.target.value })} />
              </Field>
            </>
          )}
        </div>
      )}
      {values.target === "job" && (
        <Field label="Payload (JSON)" error={fieldError("payload")} id={`${id}-payload`}>
          <textarea value={values.payload} onChange={(e) => set({ payload: e.target.value })} spellCheck={false} rows={4} />
        </Field>
      )}
      {values.target === "workflow" && (
        <Field label="Workflow definition (JSON or YAML)" error={fieldError("workflowDefinition")} id={`${id}-definition`}>
          <textarea
            value={values.workflowDefinition}
            onChange={(e) => set({ workflowDefinition: e.target.value })}
            spellCheck={false}
            rows={8}
          />
        </Field>
      )}
      {values.target !== "job" && (
        <Field label="Run input (JSON object, optional)" error={fieldError("input")} id={`${id}-input`}>
          <textarea value={values.input} onChange={(e) => set({ input: e.target.value })} spellCheck={false} rows={3} />
        </Field>
      )}

      <details>
        <summary>Policies</summary>
        <div className="filters">
          <Field label="Missed runs" id={`${id}-misfire`} help="What happens to occurrences missed while down.">
            <select value={values.misfirePolicy} onChange={(e) => set({ misfirePolicy: e.target.value as ScheduleFormValues["misfirePolicy"] })}>
              {MISFIRE_POLICIES.map((p) => (
                <option key={p} value={p}>
                  {statusLabel(p)}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Overlap" id={`${id}-overlap`} help="While the previous run has not ended.">
            <select value={values.overlapPolicy} onChange={(e) => set({ overlapPolicy: e.target.value as ScheduleFormValues["overlapPolicy"] })}>
              {!editing && <option value="">Default for the target</option>}
              {OVERLAP_POLICIES.map((p) => (
                <option key={p} value={p}>
                  {statusLabel(p)}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Jitter (seconds)" error={fieldError("jitter")} id={`${id}-jitter`}>
            <input type="number" min={0} max={86400} value={values.jitter} onChange={(e) => set({ jitter: e.target.value })} />
          </Field>
          <Field label="Maximum runs" error={fieldError("maxRuns")} help="Empty: no end." id={`${id}-maxruns`}>
            <input type="number" min={1} value={values.maxRuns} onChange={(e) => set({ maxRuns: e.target.value })} />
          </Field>
          <Field
            label="Pause after failures"
            error={fieldError("pauseAfterFailures")}
            help="Failed runs in a row; empty: never."
            id={`${id}-pause`}
          >
            <input
              type="number"
              min={1}
              max={1000}
              value={values.pauseAfterFailures}
              onChange={(e) => set({ pauseAfterFailures: e.target.value })}
            />
          </Field>
        </div>
      </details>

      <ErrorBanner error={createState.error ?? updateState.error} />
      <div className="actions-row">
        <button type="submit" className="primary" disabled={saving}>
          {saving ? "Saving…" : editing ? "Save changes" : "Create schedule"}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
