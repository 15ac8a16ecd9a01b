import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { mockServer, renderWithSession } from "../test/mockServer";
import WorkersPage from "./WorkersPage";

function worker(id: string, name: string, status: string, healthy: boolean) {
  return {
    node: {
      id,
      name,
      type: "GENERAL",
      status,
      isHealthy: healthy,
      lastHeartbeat: "2026-12-07T10:00:00Z",
      createdAt: "2026-12-07T09:00:00Z",
      jobTypes: name === "w-any" ? null : ["send", "report"],
      queues: [
        { queueId: "q1", weight: 3, isActive: true, queue: { id: "q1", name: "emails", isPaused: true } },
        { queueId: "q2", weight: 1, isActive: false, queue: { id: "q2", name: "reports", isPaused: false } },
      ],
    },
  };
}

describe("WorkersPage", () => {
  it("shows each worker's status, late heartbeat, assignments and handlers, filtered by status", async () => {
    const mock = mockServer({
      WorkersPage: () => ({
        data: {
          workers: {
            totalCount: 2,
            edges: [worker("w1", "w-late", "ONLINE", false), worker("w2", "w-any", "OFFLINE", false)],
            pageInfo: { hasNextPage: false, endCursor: null },
          },
        },
      }),
    });
    renderWithSession(<WorkersPage />, { client: mock.client, path: "/workers" });
    const late = (await screen.findByText("w-late")).closest("tr")!;
    expect(within(late).getByText("heartbeat overdue")).toBeTruthy();
    expect(within(late).getByRole("link", { name: "emails" }).getAttribute("href")).toBe("/jobs?queue=q1");
    expect(within(late).getByText(/weight 3 · queue paused/)).toBeTruthy();
    expect(within(late).getByText(/weight 1 · inactive/)).toBeTruthy();
    expect(within(late).getByText("send, report")).toBeTruthy();
    const offline = screen.getByText("w-any").closest("tr")!;
    expect(within(offline).queryByText("heartbeat overdue")).toBeNull(); // offline is not late
    expect(within(offline).getByText("any")).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Status"), { target: { value: "ONLINE" } });
    await waitFor(() => expect(mock.named("WorkersPage").at(-1)!.variables).toMatchObject({ status: ["ONLINE"], after: null }));
  });
});
