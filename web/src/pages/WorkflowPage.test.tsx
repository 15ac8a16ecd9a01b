import { act, screen } from "@testing-library/react";
import { Route, Routes } from "react-router-dom";
import { mockServer, renderWithSession } from "../test/mockServer";
import WorkflowPage from "./WorkflowPage";

function workflow(status: string, prunedAt: string | null) {
  return {
    id: "w1",
    name: "etl",
    status,
    failurePolicy: "FAIL_FAST",
    createdAt: "2026-12-07T10:00:00Z",
    startedAt: "2026-12-07T10:00:00Z",
    finishedAt: status === "RUNNING" ? null : "2026-12-07T10:05:00Z",
    stats: { total: 3, completed: 3, completionPercentage: 100, counts: [{ status: "SUCCEEDED", count: 3 }] },
    description: null,
    timeoutSeconds: null,
    priority: 0,
    deadlineAt: null,
    prunedAt,
    nesting: 0,
    parentJobId: null,
    parentWorkflowId: null,
    template: null,
  };
}

const EMPTY_GRAPH = JSON.stringify({ nodes: [], edges: [], roots: [], leaves: [], levels: [], criticalPath: [] });

function setup(status: string, prunedAt: string | null) {
  const mock = mockServer({
    Workflow: () => ({ data: { workflow: workflow(status, prunedAt) } }),
    WorkflowGraph: () => ({ data: { workflow: { id: "w1", graph: { json: EMPTY_GRAPH, criticalPath: [] } } } }),
  });
  renderWithSession(
    <Routes>
      <Route path="/workflows/:id" element={<WorkflowPage />} />
    </Routes>,
    { client: mock.client, path: "/workflows/w1" },
  );
  return mock;
}

async function wait(ms: number) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

describe("WorkflowPage", () => {
  beforeEach(() => vi.useFakeTimers({ shouldAdvanceTime: true }));
  afterEach(() => vi.useRealTimers());

  it("reads neither the graph nor the header again and again for a pruned workflow", async () => {
    const mock = setup("SUCCEEDED", "2026-12-07T12:00:00Z");
    expect(await screen.findByText(/no graph left to draw/)).toBeTruthy();
    const graphs = mock.named("WorkflowGraph").length; // at most the one read with the header
    expect(graphs).toBeLessThanOrEqual(1);
    await wait(3_000); // the one check once the subscription surely listens
    const headers = mock.named("Workflow").length;
    for (let i = 0; i < 12; i++) await wait(5_000);
    expect(mock.named("WorkflowGraph")).toHaveLength(graphs);
    expect(mock.named("Workflow")).toHaveLength(headers);
  });

  it("reads the header now and then while the workflow runs", async () => {
    const mock = setup("RUNNING", null);
    await screen.findByRole("heading", { name: "etl" });
    await wait(3_000);
    const headers = mock.named("Workflow").length;
    for (let i = 0; i < 7; i++) await wait(5_000);
    expect(mock.named("Workflow").length).toBeGreaterThanOrEqual(headers + 2);
  });
});
