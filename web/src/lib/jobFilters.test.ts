import {
  applyJobEvent,
  keepListed,
  filtersFromSearch,
  filtersToSearch,
  jobsVariables,
  matchesFilters,
  NO_FILTERS,
  subscriptionVariables,
  totalChange,
  type JobFilters,
  type JobLike,
} from "./jobFilters";

const row = (id: string, patch: Partial<JobLike> = {}): JobLike => ({
  id,
  status: "PENDING",
  jobType: "send_email",
  queueId: "q1",
  workflowId: null,
  createdAt: "2026-12-07T10:00:00.000Z",
  progress: null,
  ...patch,
});

describe("filters and the URL", () => {
  it("round-trips every filter through the query string", () => {
    const filters: JobFilters = {
      queueId: "q1",
      statuses: ["PENDING", "FAILED"],
      jobType: "send_email",
      workflowId: "w1",
      createdAfter: "2026-12-01T00:00:00.000Z",
      createdBefore: "2026-12-02T00:00:00.000Z",
      after: "Y3Vyc29y",
    };
    const search = filtersToSearch(filters);
    expect(search.toString()).toBe(
      "queue=q1&status=PENDING%2CFAILED&type=send_email&workflow=w1&from=2026-12-01T00%3A00%3A00.000Z&to=2026-12-02T00%3A00%3A00.000Z&after=Y3Vyc29y",
    );
    expect(filtersFromSearch(new URLSearchParams(search.toString()))).toEqual(filters);
  });

  it("leaves out what is not set, and reads a bare URL as no filter", () => {
    expect(filtersToSearch(NO_FILTERS).toString()).toBe("");
    expect(filtersFromSearch(new URLSearchParams(""))).toEqual(NO_FILTERS);
  });

  it("ignores unknown statuses and bad times, and orders statuses", () => {
    const filters = filtersFromSearch(new URLSearchParams("status=failed,BOGUS,pending,FAILED&from=yesterday&type=%20%20"));
    expect(filters.statuses).toEqual(["PENDING", "FAILED"]);
    expect(filters.createdAfter).toBeNull();
    expect(filters.jobType).toBeNull();
  });

  it("gives the query and subscription variables", () => {
    const filters = filtersFromSearch(new URLSearchParams("queue=q1&status=FAILED&workflow=w1"));
    expect(jobsVariables(filters, 50)).toEqual({
      first: 50,
      after: null,
      queueId: "q1",
      status: ["FAILED"],
      jobType: null,
      workflowId: "w1",
      createdAfter: null,
      createdBefore: null,
    });
    expect(jobsVariables(NO_FILTERS, 50).status).toBeNull();
    // statuses are filtered here, so that a listed job that leaves them is still updated
    expect(subscriptionVariables(filters)).toEqual({ queueId: "q1", workflowId: "w1" });
  });
});

describe("matchesFilters", () => {
  it("applies each filter, the time range inclusive below and exclusive above", () => {
    const job = row("a", { status: "FAILED", workflowId: "w1" });
    expect(matchesFilters(job, NO_FILTERS)).toBe(true);
    expect(matchesFilters(job, { ...NO_FILTERS, queueId: "q2" })).toBe(false);
    expect(matchesFilters(job, { ...NO_FILTERS, statuses: ["PENDING"] })).toBe(false);
    expect(matchesFilters(job, { ...NO_FILTERS, jobType: "other" })).toBe(false);
    expect(matchesFilters(job, { ...NO_FILTERS, workflowId: "w2" })).toBe(false);
    expect(matchesFilters(job, { ...NO_FILTERS, createdAfter: job.createdAt })).toBe(true);
    expect(matchesFilters(job, { ...NO_FILTERS, createdBefore: job.createdAt })).toBe(false);
  });
});

describe("applyJobEvent", () => {
  const rows = [row("b"), row("a")];

  it("updates a listed job in place from the event's job", () => {
    const next = applyJobEvent(
      rows,
      { jobId: "a", status: "PROCESSING", previousStatus: "PENDING", job: row("a", { status: "PROCESSING" }) },
      NO_FILTERS,
      50,
    );
    expect(next.map((r) => [r.id, r.status])).toEqual([
      ["b", "PENDING"],
      ["a", "PROCESSING"],
    ]);
    expect(rows[1].status).toBe("PENDING"); // a new array: React sees the change
  });

  it("drops a listed job that leaves the status filter; keeps one that stays in it", () => {
    const filters = { ...NO_FILTERS, statuses: ["PENDING" as const, "PROCESSING" as const] };
    const left = applyJobEvent(rows, { jobId: "b", status: "SUCCEEDED", previousStatus: "PENDING" }, filters, 50);
    expect(left.map((r) => r.id)).toEqual(["a"]);
    const stayed = applyJobEvent(rows, { jobId: "b", status: "PROCESSING", previousStatus: "PENDING" }, filters, 50);
    expect(stayed[0]).toMatchObject({ id: "b", status: "PROCESSING" });
  });

  it("keeps the highlight only for listed jobs", () => {
    const fresh = new Set(["a", "gone"]);
    expect([...keepListed(fresh, rows)]).toEqual(["a"]);
    const listed = new Set(["a"]);
    expect(keepListed(listed, rows)).toBe(listed); // unchanged: no new render
  });

  it("takes progress from a progress event", () => {
    const running = [row("a", { status: "PROCESSING" })];
    const next = applyJobEvent(running, { jobId: "a", status: "PROCESSING", previousStatus: "PROCESSING", progress: 0.5 }, NO_FILTERS, 50);
    expect(next[0].progress).toBe(0.5);
  });

  it("drops a deleted job", () => {
    expect(applyJobEvent(rows, { jobId: "a", status: "PENDING", job: null }, NO_FILTERS, 50).map((r) => r.id)).toEqual(["b"]);
  });

  it("puts a new matching job on top of the first page, keeping the page size", () => {
    const created = { jobId: "c", status: "PENDING" as const, previousStatus: null, job: row("c") };
    expect(applyJobEvent(rows, created, NO_FILTERS, 50).map((r) => r.id)).toEqual(["c", "b", "a"]);
    expect(applyJobEvent(rows, created, NO_FILTERS, 2).map((r) => r.id)).toEqual(["c", "b"]);
  });

  it("leaves out a new job that does not match, or when another page is shown", () => {
    const created = { jobId: "c", status: "PENDING" as const, previousStatus: null, job: row("c", { jobType: "other" }) };
    expect(applyJobEvent(rows, created, { ...NO_FILTERS, jobType: "send_email" }, 50)).toBe(rows);
    const matching = { ...created, job: row("c") };
    expect(applyJobEvent(rows, matching, { ...NO_FILTERS, after: "cursor" }, 50)).toBe(rows);
  });

  it("ignores a change of a job that is not listed (it is not new)", () => {
    const moved = { jobId: "z", status: "SUCCEEDED" as const, previousStatus: "PROCESSING" as const, job: row("z") };
    expect(applyJobEvent(rows, moved, NO_FILTERS, 50)).toBe(rows);
  });
});

describe("totalChange", () => {
  const pending = { ...NO_FILTERS, statuses: ["PENDING" as const] };

  it("counts a new matching job on any page, and not one that does not match", () => {
    const created = { jobId: "c", status: "PENDING" as const, previousStatus: null, job: row("c") };
    expect(totalChange(undefined, created, NO_FILTERS)).toBe(1);
    expect(totalChange(undefined, created, { ...NO_FILTERS, after: "cursor" })).toBe(1);
    expect(totalChange(undefined, created, { ...NO_FILTERS, jobType: "other" })).toBe(0);
  });

  it("counts moves into and out of the status filter by the event's statuses", () => {
    // the job has moved on since: its events still add up
    const later = row("a", { status: "SUCCEEDED" });
    expect(totalChange(undefined, { jobId: "a", status: "PENDING", previousStatus: null, job: later }, pending)).toBe(1);
    expect(totalChange(undefined, { jobId: "a", status: "PROCESSING", previousStatus: "PENDING", job: later }, pending)).toBe(-1);
    expect(totalChange(undefined, { jobId: "a", status: "PROCESSING", previousStatus: "PROCESSING", job: later }, pending)).toBe(0);
    expect(totalChange(undefined, { jobId: "a", status: "SUCCEEDED", previousStatus: "PROCESSING", job: later }, NO_FILTERS)).toBe(0);
  });

  it("takes a listed job off when deleted, and cannot tell for one not listed", () => {
    const deleted = { jobId: "a", status: "PENDING" as const, previousStatus: "PENDING" as const, job: null };
    expect(totalChange(row("a"), deleted, NO_FILTERS)).toBe(-1);
    expect(totalChange(row("a"), { ...deleted, status: "FAILED" }, pending)).toBe(0); // was not counted
    expect(totalChange(undefined, deleted, NO_FILTERS)).toBeNull();
  });
});
