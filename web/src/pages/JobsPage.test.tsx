import { act, screen, waitFor } from "@testing-library/react";
import { cacheExchange, Client, fetchExchange } from "@urql/core";
import { ConnectionStatus } from "../lib/client";
import { EventLog } from "../lib/eventLog";
import { mockServer, mockSocket, renderWithSession } from "../test/mockServer";
import JobsPage, { READ_MS, RECOUNT_MS } from "./JobsPage";

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

function setup(
  path: string,
  listed: string[],
  counts: number[],
  read: () => unknown[] = () => [],
  status = new ConnectionStatus(),
  page: () => unknown[] | Promise<unknown[]> = () => listed.map((id) => job(id)),
) {
  let seq = 0;
  const mock = mockServer({
    Jobs: async () => ({ data: { jobs: connection(await page()) } }),
    JobsRead: () => ({ data: { jobs: connection(read()) } }),
    JobsCount: () => ({ data: { jobs: { __typename: "JobConnection", totalCount: counts.shift() } } }),
    QueueChoices: () => ({ data: { queues: { __typename: "QueueConnection", edges: [] } } }),
  });
  const socket = mockSocket();
  renderWithSession(<JobsPage />, { client: mock.client, path, ws: socket.ws, status });
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
    const { mock, socket, event } = setup("/jobs", ["b", "a"], [2, 1]);
    await screen.findByText("2 shown of 2");
    await waitFor(() => expect(socket.subscribed("jobStatusChanged")).toBe(true));
    expect(socket.queryOf("jobStatusChanged")).not.toMatch(/\bjob\s*\{/); // no job read per event
    event("a", "PROCESSING", "PENDING");
    expect(statusOf("a")).toBe("PROCESSING");
    expect(screen.getByText("1 / 3")).toBeTruthy(); // the claim counted an attempt
    event("a", "SUCCEEDED", "PROCESSING");
    expect(statusOf("a")).toBe("SUCCEEDED");
    event("b", "PENDING", "PENDING", { deleted: true });
    await screen.findByText("1 shown of 1"); // counted again
    expect(mock.named("JobsCount")).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(mock.named("Jobs")).toHaveLength(1); // no read of any job
    expect(mock.named("JobsRead")).toHaveLength(0);
  });

  it("reads the jobs that many events announce in one throttled query", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const created = ["c", "d", "e", "f"].map((id, i) => job(id, "PENDING", `2026-12-07T10:0${i + 1}:00Z`)).reverse();
      const { mock, socket, event } = setup("/jobs", ["b", "a"], [2, 3, 6], () => created);
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
    const { socket, event } = setup("/jobs?status=PENDING", ["b", "a"], [2, 1]);
    await screen.findByText("2 shown of 2");
    await waitFor(() => expect(socket.subscribed("jobStatusChanged")).toBe(true));
    // the server filters statuses by the new one: it would drop the event of a row leaving
    expect(socket.queryOf("jobStatusChanged")).not.toMatch(/statuses/);
    event("a", "PROCESSING", "PENDING");
    expect(statusOf("a")).toBeUndefined(); // off the page at once
    await screen.findByText("1 shown of 1");
  });
});

describe("JobsPage's reads and the events that pass them", () => {
  it("keeps an event that came while the reload shortly after going live was on its way", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const connected = new ConnectionStatus();
      connected.set("connected");
      let answer: (rows: unknown[]) => void = () => undefined;
      let reads = 0;
      // the first read at once; the reload's read held back until the test lets it go
      const page = () => (++reads === 1 ? [job("a")] : new Promise<unknown[]>((resolve) => (answer = resolve)));
      const { mock, socket, event } = setup("/jobs", ["a"], [1, 1], () => [], connected, page);
      await screen.findByText("1 shown of 1");
      await waitFor(() => expect(socket.subscribed("jobStatusChanged")).toBe(true));
      await act(async () => {
        await vi.advanceTimersByTimeAsync(500);
      });
      await waitFor(() => expect(mock.named("Jobs")).toHaveLength(2)); // the reload went out
      event("a", "PROCESSING", "PENDING"); // claimed after the reload read the job
      expect(statusOf("a")).toBe("PROCESSING");
      await act(async () => answer([job("a", "PENDING")])); // the reload's answer: the job before its claim
      await waitFor(() => expect(mock.named("JobsCount")).toHaveLength(2));
      expect(statusOf("a")).toBe("PROCESSING");
      expect(screen.getByText("1 / 3")).toBeTruthy(); // one attempt, counted once
    } finally {
      vi.useRealTimers();
    }
  });

  it("keeps an event that came while a new row's read was on its way", async () => {
    let answer: (rows: unknown[]) => void = () => undefined;
    const mock = mockServer({
      Jobs: () => ({ data: { jobs: connection([job("a")]) } }),
      JobsRead: () =>
        new Promise((resolve) => (answer = (rows) => resolve({ data: { jobs: connection(rows) } }))),
      JobsCount: () => ({ data: { jobs: { __typename: "JobConnection", totalCount: 1 } } }),
      QueueChoices: () => ({ data: { queues: { __typename: "QueueConnection", edges: [] } } }),
    });
    const socket = mockSocket();
    renderWithSession(<JobsPage />, { client: mock.client, path: "/jobs", ws: socket.ws });
    await screen.findByText("1 shown of 1");
    await waitFor(() => expect(socket.subscribed("jobStatusChanged")).toBe(true));
    const push = (eventId: string, status: string, previousStatus: string | null) =>
      act(() =>
        socket.push("jobStatusChanged", {
          __typename: "JobStatusEvent",
          eventId,
          jobId: "n",
          queueId: "q1",
          workflowId: null,
          jobType: "send_email",
          status,
          previousStatus,
          progress: null,
          occurredAt: "2026-12-07T10:05:00Z",
          deleted: false,
        }),
      );
    push("1", "PENDING", null); // its read goes out
    await waitFor(() => expect(mock.named("JobsRead")).toHaveLength(1));
    push("2", "PROCESSING", "PENDING"); // not listed yet: nothing to change
    await act(async () => answer([job("n", "PENDING", "2026-12-07T10:05:00Z"), job("a")]));
    await waitFor(() => expect(statusOf("n")).toBeDefined());
    expect(statusOf("n")).toBe("PROCESSING");
  });
});

describe("JobsPage's list read by urql's cache", () => {
  it("keeps an event that came while the cache read the list again after a mutation returned a Job", async () => {
    let answer: (rows: unknown[]) => void = () => undefined;
    let reads = 0;
    const mock = mockServer({
      Jobs: () =>
        ++reads === 1
          ? { data: { jobs: connection([job("a")]) } }
          : new Promise((resolve) => (answer = (rows) => resolve({ data: { jobs: connection(rows) } }))),
      JobsCount: () => ({ data: { jobs: { __typename: "JobConnection", totalCount: 1 } } }),
      QueueChoices: () => ({ data: { queues: { __typename: "QueueConnection", edges: [] } } }),
      Touch: () => ({ data: { touch: { __typename: "Job", id: "z" } } }),
    });
    // the dashboard's own exchanges: the document cache re-runs the queries that listed a Job
    const client = new Client({
      url: "http://dashboard.test/graphql",
      requestPolicy: "cache-and-network",
      exchanges: [cacheExchange, fetchExchange],
      fetch: mock.fetch,
    });
    const socket = mockSocket();
    renderWithSession(<JobsPage />, { client, path: "/jobs", ws: socket.ws });
    await screen.findByText("1 shown of 1");
    await waitFor(() => expect(socket.subscribed("jobStatusChanged")).toBe(true));
    await act(async () => {
      await client.mutation("mutation Touch { touch { id } }", {}).toPromise();
    });
    await waitFor(() => expect(mock.named("Jobs")).toHaveLength(2)); // the cache read the list again
    act(() =>
      socket.push("jobStatusChanged", {
        __typename: "JobStatusEvent",
        eventId: "1",
        jobId: "a",
        queueId: "q1",
        workflowId: null,
        jobType: "send_email",
        status: "PROCESSING",
        previousStatus: "PENDING",
        progress: null,
        occurredAt: "2026-12-07T10:05:00Z",
        deleted: false,
      }),
    );
    expect(statusOf("a")).toBe("PROCESSING");
    await act(async () => answer([job("a", "PENDING")])); // read before the claim
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
    });
    expect(statusOf("a")).toBe("PROCESSING");
    expect(screen.getByText("1 / 3")).toBeTruthy();
  });
});

describe("JobsPage's failed reads", () => {
  it("keeps no event for a list read that failed", async () => {
    const pushes = vi.spyOn(EventLog.prototype, "push");
    try {
      const mock = mockServer({
        Jobs: () => ({ errors: [{ message: "database unavailable" }] }),
        JobsCount: () => ({ data: { jobs: { __typename: "JobConnection", totalCount: 1 } } }),
        QueueChoices: () => ({ data: { queues: { __typename: "QueueConnection", edges: [] } } }),
      });
      const socket = mockSocket();
      renderWithSession(<JobsPage />, { client: mock.client, path: "/jobs", ws: socket.ws });
      await screen.findByText(/database unavailable/);
      await waitFor(() => expect(socket.subscribed("jobStatusChanged")).toBe(true));
      for (const eventId of ["1", "2", "3"]) {
        act(() =>
          socket.push("jobStatusChanged", {
            __typename: "JobStatusEvent",
            eventId,
            jobId: "a",
            queueId: "q1",
            workflowId: null,
            jobType: "send_email",
            status: "PROCESSING",
            previousStatus: "PENDING",
            progress: null,
            occurredAt: "2026-12-07T10:05:00Z",
            deleted: false,
          }),
        );
      }
      const log = pushes.mock.contexts[0] as EventLog<unknown>;
      expect(log.size).toBe(0); // no read is out: nothing to keep
    } finally {
      pushes.mockRestore();
    }
  });
});

describe("JobsPage's total", () => {
  it("counts again, throttled, when events change it, and not when they do not", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const created = ["e", "f", "g"].map((id) => job(id, "PENDING", "2026-12-07T10:05:00Z"));
      const { mock, socket, event } = setup("/jobs", ["d", "c", "b", "a"], [4, 5, 7, 6], () => created);
      await screen.findByText("4 shown of 4");
      await waitFor(() => expect(socket.subscribed("jobStatusChanged")).toBe(true));
      event("e", "PENDING", null); // counts at once
      await waitFor(() => expect(screen.getByText(/ of 5$/)).toBeTruthy());
      for (const id of ["f", "g"]) event(id, "PENDING", null); // folded into the next count
      expect(mock.named("JobsCount")).toHaveLength(2);
      await act(async () => {
        await vi.advanceTimersByTimeAsync(RECOUNT_MS);
      });
      await screen.findByText("7 shown of 7");
      expect(mock.named("JobsCount")).toHaveLength(3);
      await act(async () => {
        await vi.advanceTimersByTimeAsync(RECOUNT_MS);
      });
      event("e", "PROCESSING", "PENDING"); // no filter on the status: the total stays
      await act(async () => {
        await vi.advanceTimersByTimeAsync(RECOUNT_MS);
      });
      expect(mock.named("JobsCount")).toHaveLength(3);
      event("a", "PENDING", "PENDING", { deleted: true });
      await screen.findByText("6 shown of 6");
      expect(mock.named("JobsCount")).toHaveLength(4);
    } finally {
      vi.useRealTimers();
    }
  });

  it("counts again as a job enters or leaves the status filter, listed or not", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const { mock, socket, event } = setup("/jobs?status=PENDING", ["b", "a"], [2, 1, 2]);
      await screen.findByText("2 shown of 2");
      await waitFor(() => expect(socket.subscribed("jobStatusChanged")).toBe(true));
      event("a", "PROCESSING", "PENDING"); // it leaves the filter and the page
      await screen.findByText("1 shown of 1");
      event("y", "SUCCEEDED", null); // new, as its events are read: not PENDING then
      event("x", "SUCCEEDED", "PROCESSING"); // neither side in the filter
      await act(async () => {
        await vi.advanceTimersByTimeAsync(RECOUNT_MS);
      });
      expect(mock.named("JobsCount")).toHaveLength(2);
      event("z", "PENDING", "SCHEDULED"); // an older job, on no page shown, comes back
      await screen.findByText("1 shown of 2");
      expect(mock.named("JobsCount")).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it("counts again when a job it never listed is deleted under a creation time filter", async () => {
    const { mock, socket, event } = setup("/jobs?from=2026-12-01T00:00:00.000Z", ["a"], [9, 8]);
    await screen.findByText("1 shown of 9");
    await waitFor(() => expect(socket.subscribed("jobStatusChanged")).toBe(true));
    event("x", "FAILED", "FAILED", { deleted: true });
    await screen.findByText("1 shown of 8");
    expect(mock.named("JobsCount")).toHaveLength(2);
  });

  it("never counts a new job twice: a count read after the job was saved, its creation event after that", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const connected = new ConnectionStatus();
      connected.set("connected");
      // the first count before the job; the reload shortly after going live reads it
      const { mock, socket, event } = setup("/jobs", [], [0, 1, 1, 1], () => [job("n", "PENDING", "2026-12-07T10:05:00Z")], connected);
      await screen.findByText("0 shown of 0");
      await waitFor(() => expect(socket.subscribed("jobStatusChanged")).toBe(true));
      await act(async () => {
        await vi.advanceTimersByTimeAsync(500);
      });
      await waitFor(() => expect(mock.named("JobsCount")).toHaveLength(2));
      await waitFor(() => expect(screen.getByText(/ of 1$/)).toBeTruthy());
      event("n", "PENDING", null); // delivered after the count that already holds it
      await screen.findByText("1 shown of 1");
      await act(async () => {
        await vi.advanceTimersByTimeAsync(5_000);
      });
      expect(screen.getByText("1 shown of 1")).toBeTruthy();
    } finally {
      vi.useRealTimers();
    }
  });
});
