import { fireEvent, screen } from "@testing-library/react";
import { ADMIN_VIEWER, MEMBER_VIEWER, mockServer, renderWithSession } from "../test/mockServer";
import AdminPage from "./AdminPage";

const empty = { totalCount: 0, edges: [], pageInfo: { hasNextPage: false, endCursor: null } };

function server() {
  return mockServer({
    AdminUsage: () => ({
      data: {
        viewer: {
          organization: {
            id: "org-1",
            name: "Acme",
            billingEmail: "billing@acme.test",
            subscription: {
              tier: "STARTER",
              currentPeriodEnd: "2027-01-01T00:00:00Z",
              limits: { maxJobsPerPeriod: 10_000, maxWorkers: 5, maxSchedules: 100 },
              usage: { jobsThisPeriod: 8_500, workers: 5 },
            },
          },
        },
        scheduleSummary: { total: 7 },
      },
    }),
    AdminUsers: () => ({
      data: {
        users: {
          ...empty,
          totalCount: 1,
          edges: [
            { node: { id: "user-1", email: "ada@acme.test", name: "Ada", role: "ADMIN", active: true, deactivatedAt: null, createdAt: "2026-12-01T00:00:00Z" } },
          ],
        },
      },
    }),
    AdminInvitations: () => ({ data: { invitations: empty } }),
    InviteUser: () => ({
      data: {
        inviteUser: {
          token: "tf_inv_x+y",
          invitation: { id: "inv-1", email: "grace@acme.test", role: "MEMBER", expiresAt: "2026-12-14T00:00:00Z" },
        },
      },
    }),
    AdminApiKeys: () => ({ data: { apiKeys: empty, projects: { edges: [] } } }),
    AuditLog: () => ({ data: { auditLog: empty } }),
    AuditActors: () => ({ data: { users: { edges: [] }, apiKeys: { edges: [] } } }),
  });
}

describe("AdminPage", () => {
  it("tells a member it is for admins only and asks the server nothing", () => {
    const mock = server();
    renderWithSession(<AdminPage />, { client: mock.client, viewer: MEMBER_VIEWER });
    expect(screen.getByRole("alert").textContent).toMatch(/for admins only/);
    expect(screen.queryByRole("heading", { name: "Users" })).toBeNull();
    expect(mock.fetch).not.toHaveBeenCalled();
  });

  it("waits for the viewer before deciding", () => {
    const mock = server();
    renderWithSession(<AdminPage />, { client: mock.client, viewer: null });
    expect(screen.getByText("Loading…")).toBeTruthy();
    expect(screen.queryByRole("alert")).toBeNull();
    expect(mock.fetch).not.toHaveBeenCalled();
  });

  it("shows an admin the usage against the tier's limits, the users, keys and audit log", async () => {
    const mock = server();
    renderWithSession(<AdminPage />, { client: mock.client, viewer: ADMIN_VIEWER });
    expect(await screen.findByText("8,500 of 10,000 (85%)")).toBeTruthy();
    expect(screen.getByText("5 of 5 (100%)")).toBeTruthy();
    expect(screen.getByText("7 of 100 (7%)")).toBeTruthy();
    expect(screen.getByRole("progressbar", { name: "Jobs this period: 85% of the limit" })).toBeTruthy();
    expect(screen.getByText("Limit reached: new ones are refused.")).toBeTruthy(); // workers
    expect(await screen.findByText("ada@acme.test")).toBeTruthy();
    expect(screen.getByText("(you)")).toBeTruthy();
    for (const name of ["Users", "Invitations", "API keys", "Audit log"]) {
      expect(screen.getByRole("heading", { name })).toBeTruthy();
    }
    const asked = new Set(mock.calls.map((c) => c.operationName));
    expect([...asked].sort()).toEqual(["AdminApiKeys", "AdminInvitations", "AdminUsage", "AdminUsers", "AuditActors", "AuditLog"]);
  });

  it("gives the link to the invitation page to send, the token in its fragment", async () => {
    const mock = server();
    renderWithSession(<AdminPage />, { client: mock.client, viewer: ADMIN_VIEWER });
    const form = await screen.findByRole("form", { name: "Invite a user" });
    fireEvent.change(form.querySelector("input[type=email]") as HTMLInputElement, { target: { value: "grace@acme.test" } });
    fireEvent.submit(form);
    const link = (await screen.findByLabelText("Invitation link")) as HTMLInputElement;
    expect(link.value).toBe(`${window.location.origin}/invitation#token=tf_inv_x%2By`);
    expect(screen.getByRole("region", { name: "Invitation for grace@acme.test" }).textContent).toMatch(/Send this link to grace@acme\.test/);
    expect(mock.named("InviteUser")[0].variables).toEqual({ email: "grace@acme.test", role: "MEMBER" });
  });
});
