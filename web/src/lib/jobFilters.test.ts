import {
  applyJobEvent,
  keepListed,
  filtersFromSearch,
  filtersToSearch,
  jobsVariables,
  matchesFilters,
  mergeRead,
  needsRead,
  NO_FILTERS,
  patchRow,
  replayEvents,
  subscriptionVariables,
  totalChange,
  wantsNewRow,
  type JobEventLike,
  type JobFilters,
  type JobLike,
  type JobRowLike,
} from "./jobFilters";
import type { JobStatus } from "../gql/graphql";

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

const listedRow = (id: string, patch: Partial<JobRowLike> = {}): JobRowLike => ({
  ...row(id),
  attempts: 0,
  startedAt: null,
  finishedAt: null,
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

const ev = (jobId: string, status: JobStatus, previousStatus: JobStatus | null, patch: Partial<JobEventLike> = {}): JobEventLike => ({
  jobId,
  queueId: "q1",
  workflowId: null,
  jobType: "send_email",
  status,
  previousStatus,
  progress: null,
  occurredAt: "2026-12-07T10:05:00.000Z",
  deleted: false,
  ...patch,
});

describe("applyJobEvent", () => {
  const rows = [listedRow("b"), listedRow("a")];

  it("updates a listed job in place from the event's own fields", () => {
    const next = applyJobEvent(rows, ev("a", "PROCESSING", "PENDING"), NO_FILTERS);
    expect(next.map((r) => [r.id, r.status])).toEqual([
      ["b", "PENDING"],
      ["a", "PROCESSING"],
    ]);
    // a claim: one more attempt, started at the event's time
    expect(next[1]).toMatchObject({ attempts: 1, startedAt: "2026-12-07T10:05:00.000Z", finishedAt: null });
    expect(rows[1].status).toBe("PENDING"); // a new array: React sees the change
  });

  it("stops the clock when the job ends, and clears it when an ended job is reopened", () => {
    const running = listedRow("a", { status: "PROCESSING", attempts: 1, startedAt: "2026-12-07T10:01:00.000Z" });
    const ended = patchRow(running, ev("a", "FAILED", "PROCESSING"));
    expect(ended).toMatchObject({ status: "FAILED", attempts: 1, startedAt: running.startedAt, finishedAt: "2026-12-07T10:05:00.000Z" });
    const reopened = patchRow(ended, ev("a", "PENDING", "FAILED"));
    expect(reopened).toMatchObject({ status: "PENDING", attempts: 1, startedAt: null, finishedAt: null });
    expect(needsRead(ended, ev("a", "PENDING", "FAILED"))).toBe(true); // its new attempt budget
    expect(needsRead(running, ev("a", "SUCCEEDED", "PROCESSING"))).toBe(false);
  });

  it("counts an attempt once, even for an event the row already shows", () => {
    const running = listedRow("a", { status: "PROCESSING", attempts: 2 });
    expect(patchRow(running, ev("a", "PROCESSING", "SCHEDULED")).attempts).toBe(2);
  });

  it("drops a listed job that leaves the status filter; keeps one that stays in it", () => {
    const filters = { ...NO_FILTERS, statuses: ["PENDING" as const, "PROCESSING" as const] };
    const left = applyJobEvent(rows, ev("b", "SUCCEEDED", "PENDING"), filters);
    expect(left.map((r) => r.id)).toEqual(["a"]);
    const stayed = applyJobEvent(rows, ev("b", "PROCESSING", "PENDING"), filters);
    expect(stayed[0]).toMatchObject({ id: "b", status: "PROCESSING" });
  });

  it("keeps the highlight only for listed jobs", () => {
    const fresh = new Set(["a", "gone"]);
    expect([...keepListed(fresh, rows)]).toEqual(["a"]);
    const listed = new Set(["a"]);
    expect(keepListed(listed, rows)).toBe(listed); // unchanged: no new render
  });

  it("takes progress from a progress event", () => {
    const running = [listedRow("a", { status: "PROCESSING" })];
    const next = applyJobEvent(running, ev("a", "PROCESSING", "PROCESSING", { progress: 0.5 }), NO_FILTERS);
    expect(next[0].progress).toBe(0.5);
  });

  it("drops a deleted job", () => {
    expect(applyJobEvent(rows, ev("a", "PENDING", "PENDING", { deleted: true }), NO_FILTERS).map((r) => r.id)).toEqual(["b"]);
  });

  it("leaves a job it does not list alone: the row is read, not made up", () => {
    expect(applyJobEvent(rows, ev("c", "PENDING", null), NO_FILTERS)).toBe(rows);
    expect(applyJobEvent(rows, ev("z", "SUCCEEDED", "PROCESSING"), NO_FILTERS)).toBe(rows);
  });
});

describe("wantsNewRow", () => {
  const rows = [row("b"), row("a")];

  it("wants a new job that matches the filters, on the first page only", () => {
    expect(wantsNewRow(rows, ev("c", "PENDING", null), NO_FILTERS)).toBe(true);
    expect(wantsNewRow(rows, ev("c", "PENDING", null), { ...NO_FILTERS, jobType: "other" })).toBe(false);
    expect(wantsNewRow(rows, ev("c", "PENDING", null), { ...NO_FILTERS, after: "cursor" })).toBe(false);
    expect(wantsNewRow(rows, ev("c", "SCHEDULED", null), { ...NO_FILTERS, statuses: ["PENDING"] })).toBe(false);
    // created after the range asked for (the event's time is its creation time)
    expect(wantsNewRow(rows, ev("c", "PENDING", null), { ...NO_FILTERS, createdBefore: "2026-12-07T10:00:00.000Z" })).toBe(false);
  });

  it("does not want a change of a job that is not new, nor one listed already", () => {
    expect(wantsNewRow(rows, ev("z", "SUCCEEDED", "PROCESSING"), NO_FILTERS)).toBe(false);
    expect(wantsNewRow(rows, ev("a", "PENDING", null), NO_FILTERS)).toBe(false);
  });
});

describe("mergeRead", () => {
  it("puts the new jobs read in their place, keeping the page size, and leaves the other rows as the events made them", () => {
    const rows = [row("b", { createdAt: "2026-12-07T10:02:00.000Z", status: "SUCCEEDED" }), row("a")];
    const read = [
      row("d", { createdAt: "2026-12-07T10:04:00.000Z" }),
      row("c", { createdAt: "2026-12-07T10:03:00.000Z" }),
      row("b", { createdAt: "2026-12-07T10:02:00.000Z", status: "PROCESSING" }), // read before its last event came
      row("a"),
    ];
    const next = mergeRead(rows, read, new Set(["c", "d"]), 50);
    expect(next.map((r) => [r.id, r.status])).toEqual([
      ["d", "PENDING"],
      ["c", "PENDING"],
      ["b", "SUCCEEDED"],
      ["a", "PENDING"],
    ]);
    expect(mergeRead(rows, read, new Set(["c", "d"]), 3).map((r) => r.id)).toEqual(["d", "c", "b"]);
  });

  it("replaces a row that needed a read, and changes nothing when nothing asked for was read", () => {
    const rows = [row("b"), row("a", { status: "FAILED" })];
    expect(mergeRead(rows, [row("a")], new Set(["a"]), 50)[1].status).toBe("PENDING");
    expect(mergeRead(rows, [row("x")], new Set(["gone"]), 50)).toBe(rows);
  });
});

describe("replayEvents", () => {
  it("brings rows read before the events up to date, the attempt counted once", () => {
    const read = [listedRow("a"), listedRow("b")];
    const events = [ev("a", "PROCESSING", "PENDING"), ev("b", "PENDING", "PENDING", { deleted: true })];
    const next = replayEvents(read, events, NO_FILTERS);
    expect(next.map((r) => [r.id, r.status, r.attempts])).toEqual([["a", "PROCESSING", 1]]);
    // the same events again (the read held them already): nothing changes twice
    expect(replayEvents(next, events, NO_FILTERS)).toEqual(next);
  });

  it("skips an event the row as read is past", () => {
    const ended = listedRow("a", {
      status: "SUCCEEDED",
      attempts: 1,
      startedAt: "2026-12-07T10:05:00.000Z",
      finishedAt: "2026-12-07T10:06:00.000Z",
    });
    const late = ev("a", "PROCESSING", "PENDING", { occurredAt: "2026-12-07T10:05:00.000Z" });
    expect(replayEvents([ended], [late], NO_FILTERS)).toEqual([ended]);
  });

  it("skips the claim of an attempt an automatic retry read as SCHEDULED already counts", () => {
    // the retry keeps started_at: the row as read started at the claim's very time
    const retrying = listedRow("a", {
      status: "SCHEDULED",
      attempts: 1,
      startedAt: "2026-12-07T10:05:00.000Z",
      finishedAt: null,
      updatedAt: "2026-12-07T10:05:02.000Z",
    });
    const claim = ev("a", "PROCESSING", "PENDING", { occurredAt: "2026-12-07T10:05:00.000Z" });
    const failed = ev("a", "SCHEDULED", "PROCESSING", { occurredAt: "2026-12-07T10:05:02.000Z" });
    expect(replayEvents([retrying], [claim, failed], NO_FILTERS)).toEqual([retrying]);
    // a claim after the read (the retry's) is played
    const next = ev("a", "PROCESSING", "SCHEDULED", { occurredAt: "2026-12-07T10:05:12.000Z" });
    const [claimed] = replayEvents([retrying], [claim, failed, next], NO_FILTERS);
    expect([claimed.status, claimed.attempts]).toEqual(["PROCESSING", 2]);
  });
});

describe("totalChange", () => {
  const pending = { ...NO_FILTERS, statuses: ["PENDING" as const] };

  it("counts a new matching job on any page, and not one that does not match", () => {
    const created = ev("c", "PENDING", null);
    expect(totalChange(undefined, created, NO_FILTERS)).toBe(1);
    expect(totalChange(undefined, created, { ...NO_FILTERS, after: "cursor" })).toBe(1);
    expect(totalChange(undefined, created, { ...NO_FILTERS, jobType: "other" })).toBe(0);
  });

  it("counts moves into and out of the status filter by the event's statuses", () => {
    // the job has moved on since: its events still add up
    expect(totalChange(undefined, ev("a", "PENDING", null), pending)).toBe(1);
    expect(totalChange(undefined, ev("a", "PROCESSING", "PENDING"), pending)).toBe(-1);
    expect(totalChange(undefined, ev("a", "PROCESSING", "PROCESSING"), pending)).toBe(0);
    expect(totalChange(undefined, ev("a", "SUCCEEDED", "PROCESSING"), NO_FILTERS)).toBe(0);
  });

  it("takes a deleted job off when it was counted, listed or not", () => {
    const deleted = ev("a", "PENDING", "PENDING", { deleted: true });
    expect(totalChange(row("a"), deleted, NO_FILTERS)).toBe(-1);
    expect(totalChange(undefined, deleted, NO_FILTERS)).toBe(-1);
    expect(totalChange(row("a"), { ...deleted, status: "FAILED" }, pending)).toBe(0); // was not counted
  });

  it("cannot tell for a job it does not list under a creation time filter (its creation time is not in the event)", () => {
    const ranged = { ...NO_FILTERS, createdAfter: "2026-12-01T00:00:00.000Z" };
    expect(totalChange(undefined, ev("z", "PENDING", "PENDING", { deleted: true }), ranged)).toBeNull();
    expect(totalChange(row("z"), ev("z", "PENDING", "PENDING", { deleted: true }), ranged)).toBe(-1);
    expect(totalChange(undefined, ev("c", "PENDING", null), ranged)).toBe(1); // new: created at the event's time
  });
});
