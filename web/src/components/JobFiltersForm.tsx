// The jobs list's filter form: queue, statuses, type, workflow and a creation time
// range. It edits a draft; "Apply" puts it into the URL (which the list reads).
import { useEffect, useState, type FormEvent } from "react";
import { useQuery } from "urql";
import {
  fromLocalInput,
  JOB_STATUSES,
  NO_FILTERS,
  toLocalInput,
  type JobFilters,
} from "../lib/jobFilters";
import { QueueChoicesDocument } from "../lib/queries";
import { statusLabel } from "./StatusBadge";

export function JobFiltersForm({ value, onApply }: { value: JobFilters; onApply: (filters: JobFilters) => void }) {
  const [{ data }] = useQuery({ query: QueueChoicesDocument });
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  const set = (patch: Partial<JobFilters>) => setDraft((d) => ({ ...d, ...patch }));

  function submit(event: FormEvent) {
    event.preventDefault();
    onApply({ ...draft, jobType: draft.jobType?.trim() || null, workflowId: draft.workflowId?.trim() || null, after: null });
  }

  return (
    <form className="filters card" onSubmit={submit} aria-label="Filter jobs">
      <label>
        Queue
        <select value={draft.queueId ?? ""} onChange={(e) => set({ queueId: e.target.value || null })}>
          <option value="">All queues</option>
          {data?.queues.edges.map(({ node }) => (
            <option key={node.id} value={node.id}>
              {node.name}
            </option>
          ))}
        </select>
      </label>
      <fieldset>
        <legend>Status</legend>
        <div className="checks">
          {JOB_STATUSES.map((status) => (
            <label key={status}>
              <input
                type="checkbox"
                checked={draft.statuses.includes(status)}
                onChange={(e) =>
                  set({
                    statuses: JOB_STATUSES.filter((s) =>
                      s === status ? e.target.checked : draft.statuses.includes(s),
                    ),
                  })
                }
              />
              {statusLabel(status)}
            </label>
          ))}
        </div>
      </fieldset>
      <label>
        Type
        <input value={draft.jobType ?? ""} onChange={(e) => set({ jobType: e.target.value })} placeholder="any" />
      </label>
      <label>
        Workflow id
        <input value={draft.workflowId ?? ""} onChange={(e) => set({ workflowId: e.target.value })} placeholder="any" />
      </label>
      <label>
        Created from
        <input
          type="datetime-local"
          value={toLocalInput(draft.createdAfter)}
          onChange={(e) => set({ createdAfter: fromLocalInput(e.target.value) })}
        />
      </label>
      <label>
        Created before
        <input
          type="datetime-local"
          value={toLocalInput(draft.createdBefore)}
          onChange={(e) => set({ createdBefore: fromLocalInput(e.target.value) })}
        />
      </label>
      <div className="actions-row">
        <button type="submit" className="primary">
          Apply
        </button>
        <button type="button" onClick={() => onApply(NO_FILTERS)}>
          Clear
        </button>
      </div>
    </form>
  );
}
