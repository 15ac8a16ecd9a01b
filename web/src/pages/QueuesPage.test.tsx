import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { mockServer, renderWithSession } from "../test/mockServer";
import QueuesPage, { PAGE, WORKERS } from "./QueuesPage";

function queue(id: string, name: string, paused: boolean, waiting: number) {
  return {
    node: {
      id,
      name,
      priority: 5,
      isPaused: paused,
      pausedAt: paused ? "2026-12-07T10:00:00Z" : null,
      project: { id: "p1", name: "default" },
      settings: { maxAttempts: 3, timeoutSeconds: null },
      concurrency: name === "emails" ? { key: "payload.customer_id", max: 2, strategy: "QUEUE" } : null,
      rateLimit: null,
      stats: {
        waiting,
        running: 1,
        scheduled: 0,
        succeededLastHour: 40,
        failedLastHour: 2,
        oldestWaitingAge: waiting ? 90 : null,
        countLimit: 10_000,
        throughput: [{ minute: "2026-12-07T10:00:00Z", succeeded: 4, failed: 0 }],
      },
    },
  };
}

function server(total = 2, online = 1) {
  let paused = false;
  return mockServer({
    QueuesPage: (v) => ({
      data: {
        queues: {
          totalCount: total,
          pageInfo: { hasNextPage: total > 2 && !v.after, endCursor: total > 2 && !v.after ? "page-2" : null },
          edges: v.after
            ? [queue("q3", "thumbnails", false, 0)]
            : [queue("q1", "emails", paused, 10_000), queue("q2", "reports", true, 3)],
        },
        workers: {
          totalCount: online,
          pageInfo: { hasNextPage: online > WORKERS },
          edges: [{ node: { id: "w1", status: "ONLINE", queues: [{ queueId: "q1", isActive: true }] } }],
        },
      },
    }),
    PauseQueue: (v) => {
      paused = true;
      return { data: { pauseQueue: { id: v.id, isPaused: true, pausedAt: "2026-12-07T11:00:00Z" } } };
    },
    ResumeQueue: (v) => ({ data: { resumeQueue: { id: v.id, isPaused: false, pausedAt: null } } }),
  });
}

describe("QueuesPage", () => {
  it("shows each queue's figures, capped counts as 'at least', limits, workers and a link to its jobs", async () => {
    const mock = server();
    renderWithSession(<QueuesPage />, { client: mock.client });
    const link = await screen.findByRole("link", { name: "emails" });
    expect(link.getAttribute("href")).toBe("/jobs?queue=q1");
    const row = link.closest("tr")!;
    expect(within(row).getByText("10,000+")).toBeTruthy();
    expect(within(row).getByText("1 min 30 s")).toBeTruthy();
    expect(within(row).getByText("2 at a time for each payload.customer_id (others wait)")).toBeTruthy();
    expect(within(row).getByRole("link", { name: "1" }).getAttribute("href")).toBe("/workers");
    expect(screen.getByText(/Counts stop at 10,000/)).toBeTruthy();
    expect(screen.queryByText(/Workers online:/)).toBeNull(); // all of them read
    expect(mock.named("QueuesPage")[0].variables).toMatchObject({ workers: WORKERS });
    const reports = screen.getByRole("link", { name: "reports" }).closest("tr")!;
    expect(within(reports).getByText("Paused")).toBeTruthy();
    expect(within(reports).getByRole("button", { name: "Resume queue reports" })).toBeTruthy();
  });

  it("pages through the queues, the shown page in the URL, and says how many there are", async () => {
    const mock = server(3);
    renderWithSession(<QueuesPage />, { client: mock.client, path: "/queues" });
    expect(await screen.findByText("2 shown of 3")).toBeTruthy();
    expect(mock.named("QueuesPage")[0].variables).toMatchObject({ first: PAGE, after: null });
    fireEvent.click(screen.getByRole("button", { name: "Next page" }));
    expect(await screen.findByRole("link", { name: "thumbnails" })).toBeTruthy();
    expect(screen.getByText("1 shown of 3")).toBeTruthy();
    expect(mock.named("QueuesPage").at(-1)!.variables).toMatchObject({ first: PAGE, after: "page-2" });
    expect(screen.queryByRole("link", { name: "emails" })).toBeNull();
  });

  it("pauses a queue and shows it paused", async () => {
    const mock = server();
    renderWithSession(<QueuesPage />, { client: mock.client });
    fireEvent.click(await screen.findByRole("button", { name: "Pause queue emails" }));
    await waitFor(() => expect(mock.named("PauseQueue").map((c) => c.variables)).toEqual([{ id: "q1" }]));
    expect(await screen.findByRole("button", { name: "Resume queue emails" })).toBeTruthy();
  });

  it("says a queue's workers are at least those counted when more are online than it reads", async () => {
    const mock = server(2, 250);
    renderWithSession(<QueuesPage />, { client: mock.client });
    const row = (await screen.findByRole("link", { name: "emails" })).closest("tr")!;
    expect(within(row).getByRole("link", { name: "1+" })).toBeTruthy();
    const reports = screen.getByRole("link", { name: "reports" }).closest("tr")!;
    expect(within(reports).getByRole("link", { name: "0+" })).toBeTruthy();
    expect(screen.getByText(/Workers online: 250, of which the first 100 are counted per queue/)).toBeTruthy();
  });
});
