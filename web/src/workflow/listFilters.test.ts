import { actionsFor } from "./actions";
import { filtersFromSearch, filtersToSearch, toggleStatus } from "./listFilters";

describe("the Workflows list's filters", () => {
  it("round-trip through the query string, unknown statuses dropped", () => {
    const filters = filtersFromSearch(new URLSearchParams("status=running,FAILED,bogus,RUNNING&after=abc"));
    expect(filters).toEqual({ statuses: ["RUNNING", "FAILED"], after: "abc" });
    expect(filtersToSearch(filters).toString()).toBe("status=RUNNING%2CFAILED&after=abc");
    expect(filtersToSearch({ statuses: [], after: null }).toString()).toBe("");
  });

  it("go back to the first page when a status is ticked or cleared", () => {
    const filters = { statuses: ["FAILED" as const], after: "abc" };
    expect(toggleStatus(filters, "PENDING")).toEqual({ statuses: ["PENDING", "FAILED"], after: null });
    expect(toggleStatus(filters, "FAILED")).toEqual({ statuses: [], after: null });
  });
});

describe("a workflow's actions", () => {
  it("follow its status, and ask before what cannot be undone", () => {
    const names = (s: Parameters<typeof actionsFor>[0]) => actionsFor(s).map((a) => a.action);
    expect(names("PENDING")).toEqual(["start", "cancel", "delete"]);
    expect(names("RUNNING")).toEqual(["cancel"]);
    expect(names("PAUSED")).toEqual(["resume:RETRY_FAILED", "resume:SKIP_FAILED", "resume:ABORT", "cancel"]);
    expect(names("FAILED")).toEqual(["retry", "delete"]);
    expect(names("SUCCEEDED")).toEqual(["delete"]);
    const asks = actionsFor("PAUSED").filter((a) => a.confirm).map((a) => a.action);
    expect(asks).toEqual(["resume:SKIP_FAILED", "resume:ABORT", "cancel"]);
    expect(actionsFor("PENDING").find((a) => a.action === "delete")?.confirm).toMatch(/cannot be undone/);
  });
});
