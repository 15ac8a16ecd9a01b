import { screen } from "@testing-library/react";
import { mockServer, renderWithSession } from "../test/mockServer";
import OverviewPage, { QUEUES } from "./OverviewPage";

function queue(id: string, waiting: number) {
  return {
    node: {
      id,
      name: id,
      priority: 5,
      isPaused: false,
      stats: {
        waiting,
        running: 0,
        scheduled: 0,
        succeededLastHour: 0,
        failedLastHour: 0,
        oldestWaitingAge: null,
        countLimit: 10_000,
        throughput: [],
      },
    },
  };
}

function server(total: number) {
  return mockServer({
    Overview: () => ({
      data: {
        queues: { totalCount: total, edges: [queue("emails", 2), queue("reports", 3)] },
        running: { edges: [] },
        online: { totalCount: 1 },
        draining: { totalCount: 0 },
      },
    }),
  });
}

describe("OverviewPage", () => {
  it("sums the queues' figures", async () => {
    const mock = server(2);
    renderWithSession(<OverviewPage />, { client: mock.client });
    const totals = await screen.findByRole("region", { name: "Totals" });
    expect(totals.querySelector(".stat")!.textContent).toBe("Waiting5");
    expect(screen.queryByRole("note")).toBeNull();
    expect(mock.named("Overview")[0].variables).toMatchObject({ queues: QUEUES });
  });

  it("says its figures are of the first queues only when there are more", async () => {
    const mock = server(250);
    renderWithSession(<OverviewPage />, { client: mock.client });
    const note = await screen.findByRole("note");
    expect(note.textContent).toContain("Figures of the first 2 of 250 queues.");
    expect(screen.getByRole("link", { name: "All queues" }).getAttribute("href")).toBe("/queues");
  });
});
