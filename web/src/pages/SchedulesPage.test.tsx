import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { mockServer, renderWithSession } from "../test/mockServer";
import SchedulesPage from "./SchedulesPage";

const schedule = {
  id: "s1",
  name: "nightly",
  type: "CRON",
  expression: "0 2 * * *",
  timezone: "Europe/Paris",
  status: "PAUSED",
  pausedReason: "paused after 3 consecutive failed runs",
  jobType: "report",
  workflowDefinition: null,
  workflowTemplate: null,
  queueId: "q1",
  runsCount: 4,
  maxRuns: 10,
  lastRunAt: "2026-12-07T01:00:00Z",
  lastError: "boom",
  upcomingRuns: [],
};

function server() {
  return mockServer({
    Schedules: () => ({
      data: {
        schedules: { totalCount: 1, edges: [{ node: schedule }], pageInfo: { hasNextPage: true, endCursor: "c1" } },
        scheduleSummary: { total: 3, active: 2, paused: 1, completed: 0, failed: 0, dueNow: 0 },
      },
    }),
    ResumeSchedule: (v) => ({
      data: {
        resumeSchedule: { id: v.id, status: "ACTIVE", pausedReason: null, nextRunAt: null, consecutiveFailures: 0, updatedAt: "2026-12-07T12:00:00Z" },
      },
    }),
  });
}

describe("SchedulesPage", () => {
  it("lists with the URL's filters, a schedule's state, and pages by cursor", async () => {
    const mock = server();
    renderWithSession(<SchedulesPage />, { client: mock.client, path: "/schedules?status=PAUSED&type=cron" });
    const row = (await screen.findByRole("link", { name: "nightly" })).closest("tr")!;
    expect(mock.named("Schedules")[0].variables).toMatchObject({ status: ["PAUSED"], type: ["CRON"], after: null, next: 3 });
    expect(within(row).getByText("job report")).toBeTruthy();
    expect(within(row).getByText("Cron · Europe/Paris")).toBeTruthy();
    expect(within(row).getByText("paused after 3 consecutive failed runs")).toBeTruthy();
    expect(within(row).getByText("4 of 10")).toBeTruthy();
    expect(within(row).getByText("boom")).toBeTruthy();
    expect(within(row).queryByRole("button", { name: "Pause nightly" })).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Next page" }));
    await waitFor(() => expect(mock.named("Schedules").at(-1)!.variables).toMatchObject({ after: "c1", status: ["PAUSED"] }));
  });

  it("resumes a paused schedule from its row", async () => {
    const mock = server();
    renderWithSession(<SchedulesPage />, { client: mock.client, path: "/schedules" });
    fireEvent.click(await screen.findByRole("button", { name: "Resume nightly" }));
    await waitFor(() => expect(mock.named("ResumeSchedule").map((c) => c.variables)).toEqual([{ id: "s1" }]));
  });
});
