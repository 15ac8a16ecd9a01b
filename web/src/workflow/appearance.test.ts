import { appearance, countOf, groupTone, jobsText, summarize } from "./appearance";

describe("appearance", () => {
  it("gives each job status a tone, a symbol and a word", () => {
    const table = (["PENDING", "SCHEDULED", "PROCESSING", "SUCCEEDED", "FAILED", "CANCELLED", "SKIPPED"] as const).map((s) => {
      const look = appearance(s);
      return [s, look.tone, look.symbol, look.label, look.className];
    });
    expect(table).toEqual([
      ["PENDING", "waiting", "○", "Pending", "tone-waiting"],
      ["SCHEDULED", "waiting", "◷", "Scheduled", "tone-waiting"],
      ["PROCESSING", "running", "▶", "Processing", "tone-running"],
      ["SUCCEEDED", "success", "✓", "Succeeded", "tone-success"],
      ["FAILED", "danger", "✕", "Failed", "tone-danger"],
      ["CANCELLED", "muted", "⊘", "Cancelled", "tone-muted"],
      ["SKIPPED", "muted", "↷", "Skipped", "tone-muted"],
    ]);
  });

  it("tells states of the same colour apart by symbol", () => {
    expect(appearance("PENDING").symbol).not.toBe(appearance("SCHEDULED").symbol);
    expect(appearance("CANCELLED").symbol).not.toBe(appearance("SKIPPED").symbol);
  });

  it("has a look for a status it does not know yet", () => {
    expect(appearance(undefined)).toMatchObject({ tone: "muted", label: "Unknown" });
    expect(appearance("SOMETHING_NEW")).toMatchObject({ tone: "muted", label: "Something new" });
  });
});

describe("summaries of a group of jobs", () => {
  it("lists the statuses present, failures first", () => {
    expect(summarize({ SUCCEEDED: 1200, PENDING: 800 })).toBe("1,200 succeeded, 800 pending");
    expect(summarize({ PENDING: 1, FAILED: 2, PROCESSING: 3 })).toBe("2 failed, 3 processing, 1 pending");
    expect(summarize({ PENDING: 1, FAILED: 2, PROCESSING: 3 }, 2)).toBe("2 failed, 3 processing, …");
    expect(summarize({})).toBe("none");
    expect(countOf({ PENDING: 1, FAILED: 2 })).toBe(3);
    expect(jobsText(1)).toBe("1 job");
    expect(jobsText(2000)).toBe("2,000 jobs");
  });

  it("colours a group by what matters most in it", () => {
    expect(groupTone({ SUCCEEDED: 5, FAILED: 1, PROCESSING: 2 })).toBe("danger");
    expect(groupTone({ SUCCEEDED: 5, PROCESSING: 2 })).toBe("running");
    expect(groupTone({ SUCCEEDED: 5 })).toBe("success");
    expect(groupTone({ SUCCEEDED: 5, SKIPPED: 1 })).toBe("muted");
    expect(groupTone({ SUCCEEDED: 5, PENDING: 1 })).toBe("waiting");
    expect(groupTone({})).toBe("waiting");
  });
});
