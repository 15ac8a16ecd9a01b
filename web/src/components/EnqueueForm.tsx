// Enqueue one job (the enqueueJob mutation): queue, type, JSON payload, priority.
import { useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import { QueueChoicesDocument } from "../lib/queries";
import { ErrorBanner } from "./ErrorBanner";

const EnqueueDocument = graphql(`
  mutation EnqueueJob($input: EnqueueJobInput!) {
    enqueueJob(input: $input) { id status jobType }
  }
`);

/** The payload text as JSON, or why it is not a JSON object. */
export function parsePayload(text: string): { value: Record<string, unknown> } | { error: string } {
  if (!text.trim()) return { value: {} };
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return { error: "The payload must be a JSON object, like {\"to\": \"ada@example.com\"}." };
    }
    return { value: value as Record<string, unknown> };
  } catch (error) {
    return { error: `The payload is not valid JSON: ${(error as Error).message}` };
  }
}

export function EnqueueForm({ defaultQueueId, onClose }: { defaultQueueId?: string | null; onClose?: () => void }) {
  const [{ data: queues }] = useQuery({ query: QueueChoicesDocument });
  const [{ fetching, error }, enqueue] = useMutation(EnqueueDocument);
  const [queueId, setQueueId] = useState(defaultQueueId ?? "");
  const [jobType, setJobType] = useState("");
  const [payload, setPayload] = useState("{}");
  const [priority, setPriority] = useState(5);
  const [problem, setProblem] = useState<string | null>(null);
  const [created, setCreated] = useState<{ id: string; jobType: string } | null>(null);
  const choices = queues?.queues.edges.map((e) => e.node) ?? [];
  const selected = queueId || choices[0]?.id || "";

  async function submit(event: FormEvent) {
    event.preventDefault();
    setCreated(null);
    const parsed = parsePayload(payload);
    if ("error" in parsed) {
      setProblem(parsed.error);
      return;
    }
    setProblem(null);
    const result = await enqueue({ input: { queueId: selected, jobType: jobType.trim(), payload: parsed.value, priority } });
    if (result.data) setCreated(result.data.enqueueJob);
  }

  return (
    <form className="card form enqueue" onSubmit={submit} aria-labelledby="enqueue-title">
      <h2 id="enqueue-title">Enqueue a job</h2>
      <div className="filters">
        <label>
          Queue
          <select value={selected} onChange={(e) => setQueueId(e.target.value)} required>
            {choices.map((q) => (
              <option key={q.id} value={q.id}>
                {q.name}
                {q.isPaused ? " (paused)" : ""}
              </option>
            ))}
          </select>
        </label>
        <label>
          Job type
          <input value={jobType} onChange={(e) => setJobType(e.target.value)} required placeholder="send_email" />
        </label>
        <label>
          Priority
          <input
            type="number"
            min={0}
            max={9}
            value={priority}
            onChange={(e) => setPriority(Number(e.target.value))}
          />
        </label>
      </div>
      <label>
        Payload (JSON)
        <textarea value={payload} onChange={(e) => setPayload(e.target.value)} spellCheck={false} rows={5} />
      </label>
      <ErrorBanner error={problem ?? error} />
      {created && (
        <p role="status">
          Enqueued <Link to={`/jobs/${created.id}`}>{created.jobType}</Link>.
        </p>
      )}
      <div className="actions-row">
        <button type="submit" className="primary" disabled={fetching || !selected}>
          {fetching ? "Enqueueing…" : "Enqueue"}
        </button>
        {onClose && (
          <button type="button" onClick={onClose}>
            Close
          </button>
        )}
      </div>
    </form>
  );
}
