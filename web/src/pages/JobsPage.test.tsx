import { act, screen, waitFor } from "@testing-library/react";
import { mockServer, mockSocket, renderWithSession } from "../test/mockServer";
import JobsPage from "./JobsPage";

function job(id: string, status = "PENDING") {
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
    createdAt: "2026-12-07T10:00:00Z",
    startedAt: null,
    finishedAt: null,
    progress: null,
    queue: { __typename: "Queue", id: "q1", name: "emails" },
  };
}

function setup(path: string, listed: string[], counts: number[]) {
  let seq = 0;
  const mock = mockServer({
    Jobs: () => ({
      data: {
        jobs: {
          __typename: "JobConnection",
          edges: listed.map((id) => ({ __typename: "JobEdge", node: job(id) })),
          pageInfo: { __typename: "PageInfo", hasNextPage: false, endCursor: null },
        },
      },
    }),
    JobsCount: () => ({ data: { jobs: { __typename: "JobConnection", totalCount: counts.shift() } } }),
    QueueChoices: () => ({ data: { queues: { __typename: "QueueConnection", edges: [] } } }),
  });
  const socket = mockSocket();
  renderWithSession(<JobsPage />, { client: mock.client, path, ws: socket.ws });
  const event = (jobId: string, status: string, previousStatus: string | null, row: unknown) =>
    act(() =>
      socket.push("jobStatusChanged", {
        __typename: "JobStatusEvent",
        eventId: String(++seq),
        jobId,
        status,
        previousStatus,
        progress: null,
        job: row,
      }),
    );
  return { mock, socket, event };
}

describe("JobsPage's total", () => {
  it("follows the rows that arrive and leave live", async () => {
    const { socket, event } = setup("/jobs", ["d", "c", "b", "a"], [4]);
    await screen.findByText("4 shown of 4");
    await waitFor(() => expect(socket.subscribed("jobStatusChanged")).toBe(true));
    for (const id of ["e", "f", "g"]) event(id, "PENDING", null, job(id));
    expect(screen.getByText("7 shown of 7")).toBeTruthy();
    event("e", "PROCESSING", "PENDING", job("e", "PROCESSING")); // no new job
    event("a", "PENDING", "PENDING", null); // deleted
    expect(screen.getByText("6 shown of 6")).toBeTruthy();
  });

  it("counts a job in or out of the status filter as its status changes, listed or not", async () => {
    const { socket, event } = setup("/jobs?status=PENDING", ["b", "a"], [2]);
    await screen.findByText("2 shown of 2");
    await waitFor(() => expect(socket.subscribed("jobStatusChanged")).toBe(true));
    event("a", "PROCESSING", "PENDING", job("a", "PROCESSING")); // it leaves the filter and the page
    expect(screen.getByText("1 shown of 1")).toBeTruthy();
    event("z", "PENDING", "SCHEDULED", job("z")); // an older job, on no page shown, comes back
    expect(screen.getByText("1 shown of 2")).toBeTruthy();
    event("y", "SUCCEEDED", null, job("y", "SUCCEEDED")); // new, as its events are read: not PENDING then
    expect(screen.getByText("1 shown of 2")).toBeTruthy();
  });

  it("counts again when a job it never listed is deleted", async () => {
    const { mock, socket, event } = setup("/jobs", ["a"], [9, 8]);
    await screen.findByText("1 shown of 9");
    await waitFor(() => expect(socket.subscribed("jobStatusChanged")).toBe(true));
    event("x", "FAILED", "FAILED", null);
    await screen.findByText("1 shown of 8");
    expect(mock.named("JobsCount")).toHaveLength(2);
  });
});
