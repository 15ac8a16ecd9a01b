import { act, screen, waitFor } from "@testing-library/react";
import { mockServer, mockSocket, renderWithSession } from "../test/mockServer";
import JobsPage, { READ_MS } from "./JobsPage";

function job(id: string, status = "PENDING", createdAt = "2026-12-07T10:00:00Z") {
  return {
    __typename: "Job",
    id,
    jobType: "send_email",
    name: null,
    status,
    queueId: "q1",
    workflowId: null,
    priority: 0,
    attempts: 0,
    maxAttempts: 3,
    createdAt,
    startedAt: null,
    finishedAt: null,
    progress: null,
    queue: { __typename: "Queue", id: "q1", name: "emails" },
  };
}

const connection = (nodes: unknown[]) => ({
  __typename: "JobConnection",
  edges: nodes.map((node) => ({ __typename: "JobEdge", node })),
  pageInfo: { __typename: "PageInfo", hasNextPage: false, endCursor: null },
});

function setup(path: string, listed: string[], counts: number[], read: () => unknown[] = () => []) {
  let seq = 0;
  const mock = mockServer({
    Jobs: () => ({ data: { jobs: connection(listed.map((id) => job(id))) } }),
    JobsRead: () => ({ data: { jobs: connection(read()) } }),
    JobsCount: () => ({ data: { jobs: { __typename: "JobConnection", totalCount: counts.shift() } } }),
    QueueChoices: () => ({ data: { queues: { __typename: "QueueConnection", edges: [] } } }),
  });
  const socket = mockSocket();
  renderWithSession(<JobsPage />, { client: mock.client, path, ws: socket.ws });
  const event = (jobId: string, status: string, previousStatus: string | null, more: Record<string, unknown> = {}) =>
    act(() =>
      socket.push("jobStatusChanged", {
        __typename: "JobStatusEvent",
        eventId: String(++seq),
        jobId,
        queueId: "q1",
        workflowId: null,
        jobType: "send_email",
        status,
        previousStatus,
        progress: null,
        occurredAt: "2026-12-07T10:05:00Z",
        deleted: false,
        ...more,
      }),
    );
  return { mock, socket, event };
}

const listedIds = () => screen.getAllByRole("link", { name: "send_email" }).map((a) => a.getAttribute("href")?.split("/").pop());
const statusOf = (id: string) => document.querySelector(`a[href="/jobs/${id}"]`)?.closest("tr")?.querySelector("[data-status]")?.getAttribute("data-status");

describe("JobsPage's live rows", () => {
  it("updates listed rows from the events alone, without a query", async () => {
    const { mock, socket, event } = setup("/jobs", ["b", "a"], [2]);
    await screen.findByText("2 shown of 2");
    await waitFor(() => expect(socket.subscribed("jobStatusChanged")).toBe(true));
    expect(socket.queryOf("jobStatusChanged")).not.toMatch(/\bjob\s*\{/); // no job read per event
    const before = mock.calls.length;
    event("a", "PROCESSING", "PENDING");
    expect(statusOf("a")).toBe("PROCESSING");
    expect(screen.getByText("1 / 3")).toBeTruthy(); // the claim counted an attempt
    event("a", "SUCCEEDED", "PROCESSING");
    expect(statusOf("a")).toBe("SUCCEEDED");
    event("b", "PENDING", "PENDING", { deleted: true });
    expect(screen.getByText("1 shown of 1")).toBeTruthy();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(mock.calls.length).toBe(before); // no read of any job
  });

  it("reads the jobs that many events announce in one throttled query", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const created = ["c", "d", "e", "f"].map((id, i) => job(id, "PENDING", `2026-12-07T10:0${i + 1}:00Z`)).reverse();
      const { mock, socket, event } = setup("/jobs", ["b", "a"], [2], () => created);
      await screen.findByText("2 shown of 2");
      await waitFor(() => expect(socket.subscribed("jobStatusChanged")).toBe(true));
      event("c", "PENDING", null); // the first read goes out at once
      await waitFor(() => expect(screen.getByText("3 shown of 3")).toBeTruthy());
      for (const id of ["d", "e", "f"]) event(id, "PENDING", null); // folded into the next read
      expect(mock.named("JobsRead")).toHaveLength(1);
      await act(async () => {
        await vi.advanceTimersByTimeAsync(READ_MS);
      });
      await waitFor(() => expect(screen.getByText("6 shown of 6")).toBeTruthy());
      expect(mock.named("JobsRead")).toHaveLength(2);
      expect(mock.named("JobsRead")[0].variables).toMatchObject({ first: 50, after: null });
      expect(listedIds()).toEqual(["f", "e", "d", "c", "b", "a"]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("does not read a new job the filters leave out", async () => {
    const { mock, socket, event } = setup("/jobs?type=other", ["a"], [1]);
    await screen.findByText("1 shown of 1");
    await waitFor(() => expect(socket.subscribed("jobStatusChanged")).toBe(true));
    event("c", "PENDING", null);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(mock.named("JobsRead")).toHaveLength(0);
  });

  it("subscribes without the status filter, so that a row leaving it is updated", async () => {
    const { socket, event } = setup("/jobs?status=PENDING", ["b", "a"], [2]);
    await screen.findByText("2 shown of 2");
    await waitFor(() => expect(socket.subscribed("jobStatusChanged")).toBe(true));
    // the server filters statuses by the new one: it would drop the event of a row leaving
    expect(socket.queryOf("jobStatusChanged")).not.toMatch(/statuses/);
    event("a", "PROCESSING", "PENDING");
    expect(screen.getByText("1 shown of 1")).toBeTruthy();
  });
});

describe("JobsPage's total", () => {
  it("follows the rows that arrive and leave live", async () => {
    const { socket, event } = setup("/jobs", ["d", "c", "b", "a"], [4], () => ["e", "f", "g"].map((id) => job(id, "PENDING", "2026-12-07T10:05:00Z")));
    await screen.findByText("4 shown of 4");
    await waitFor(() => expect(socket.subscribed("jobStatusChanged")).toBe(true));
    for (const id of ["e", "f", "g"]) event(id, "PENDING", null);
    expect(screen.getByText(/ of 7$/)).toBeTruthy();
    await screen.findByText("7 shown of 7", {}, { timeout: 3 * READ_MS });
    event("e", "PROCESSING", "PENDING"); // no new job
    event("a", "PENDING", "PENDING", { deleted: true });
    expect(screen.getByText("6 shown of 6")).toBeTruthy();
  });

  it("counts a job in or out of the status filter as its status changes, listed or not", async () => {
    const { socket, event } = setup("/jobs?status=PENDING", ["b", "a"], [2]);
    await screen.findByText("2 shown of 2");
    await waitFor(() => expect(socket.subscribed("jobStatusChanged")).toBe(true));
    event("a", "PROCESSING", "PENDING"); // it leaves the filter and the page
    expect(screen.getByText("1 shown of 1")).toBeTruthy();
    event("z", "PENDING", "SCHEDULED"); // an older job, on no page shown, comes back
    expect(screen.getByText("1 shown of 2")).toBeTruthy();
    event("y", "SUCCEEDED", null); // new, as its events are read: not PENDING then
    expect(screen.getByText("1 shown of 2")).toBeTruthy();
  });

  it("counts again when a job it never listed is deleted under a creation time filter", async () => {
    const { mock, socket, event } = setup("/jobs?from=2026-12-01T00:00:00.000Z", ["a"], [9, 8]);
    await screen.findByText("1 shown of 9");
    await waitFor(() => expect(socket.subscribed("jobStatusChanged")).toBe(true));
    event("x", "FAILED", "FAILED", { deleted: true });
    await screen.findByText("1 shown of 8");
    expect(mock.named("JobsCount")).toHaveLength(2);
  });
});
