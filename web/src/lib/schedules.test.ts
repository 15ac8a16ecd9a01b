import {
  canPause,
  canResume,
  describeTarget,
  formatInZone,
  FormProblem,
  formFromSchedule,
  NEW_SCHEDULE,
  previewProblem,
  scheduleFiltersFromSearch,
  scheduleFiltersToSearch,
  scheduleInput,
  type EditableSchedule,
} from "./schedules";

const jobSchedule: EditableSchedule = {
  name: "nightly",
  type: "CRON",
  expression: "0 2 * * *",
  timezone: "Europe/Paris",
  queueId: "q1",
  jobType: "report",
  payload: { kind: "daily" },
  priority: 5,
  maxAttempts: null,
  projectId: "p1",
  workflowDefinition: null,
  workflowTemplate: null,
  input: null,
  misfirePolicy: "FIRE_ONCE",
  overlapPolicy: "ALLOW_ALL",
  jitter: 0,
  maxRuns: null,
  pauseAfterFailures: 3,
};

describe("schedule filters in the URL", () => {
  it("reads known values only and writes them back", () => {
    const filters = scheduleFiltersFromSearch(new URLSearchParams("status=paused&type=NOPE&after=c9"));
    expect(filters).toEqual({ status: "PAUSED", type: null, after: "c9" });
    expect(scheduleFiltersToSearch({ status: "ACTIVE", type: "CRON", after: null }).toString()).toBe(
      "status=ACTIVE&type=CRON",
    );
  });
});

describe("schedule actions", () => {
  it("pauses an active schedule and resumes a paused one; an ended one neither", () => {
    expect([canPause("ACTIVE"), canResume("ACTIVE")]).toEqual([true, false]);
    expect([canPause("PAUSED"), canResume("PAUSED")]).toEqual([false, true]);
    for (const ended of ["COMPLETED", "FAILED"] as const) {
      expect([canPause(ended), canResume(ended)]).toEqual([false, false]);
    }
  });
});

describe("scheduleInput", () => {
  it("sends everything of a new job schedule, numbers as numbers and the payload parsed", () => {
    const input = scheduleInput({
      ...NEW_SCHEDULE,
      name: " nightly ",
      expression: "0 2 * * *",
      queueId: "q1",
      jobType: "report",
      payload: '{"kind": "daily"}',
      maxRuns: "10",
    });
    expect(input).toMatchObject({
      name: "nightly",
      type: "CRON",
      expression: "0 2 * * *",
      timezone: "UTC",
      queueId: "q1",
      jobType: "report",
      payload: { kind: "daily" },
      priority: 5,
      maxRuns: 10,
      maxAttempts: null,
      jitter: 0,
    });
    expect(input).not.toHaveProperty("overlapPolicy"); // the server's default for a job target
    expect(input).not.toHaveProperty("workflowDefinition");
  });

  it("sends a workflow definition that is not JSON as text (YAML) and a JSON one as an object", () => {
    const base = { ...NEW_SCHEDULE, name: "etl", expression: "1h", type: "RECURRING" as const, target: "workflow" as const, projectId: "p1" };
    expect(scheduleInput({ ...base, workflowDefinition: "name: etl\njobs: []" }).workflowDefinition).toBe(
      "name: etl\njobs: []",
    );
    expect(scheduleInput({ ...base, workflowDefinition: '{"name": "etl", "jobs": []}' }).workflowDefinition).toEqual({
      name: "etl",
      jobs: [],
    });
  });

  it("refuses bad text with the field it is about", () => {
    const bad = { ...NEW_SCHEDULE, name: "x", expression: "5m", queueId: "q1", jobType: "t", payload: "{oops" };
    expect(() => scheduleInput(bad)).toThrow(FormProblem);
    try {
      scheduleInput(bad);
    } catch (error) {
      expect((error as FormProblem).field).toBe("payload");
    }
    expect(() => scheduleInput({ ...bad, payload: "[1]" })).toThrow(/JSON object/);
    expect(() => scheduleInput({ ...bad, payload: "{}", maxRuns: "2.5" })).toThrow(/whole number/);
  });

  it("on an edit sends only what changed", () => {
    const original = formFromSchedule(jobSchedule);
    expect(original.payload).toBe('{\n  "kind": "daily"\n}');
    expect(original.pauseAfterFailures).toBe("3");
    // nothing changed, or the payload only reformatted: nothing to send
    expect(scheduleInput(original, original)).toEqual({});
    expect(scheduleInput({ ...original, payload: '{"kind":"daily"}' }, original)).toEqual({});
    // a new expression alone: the timetable re-anchors, the rest is untouched
    expect(scheduleInput({ ...original, expression: "0 3 * * *" }, original)).toEqual({ expression: "0 3 * * *" });
    // clearing a limit sends null (the server turns it off)
    expect(scheduleInput({ ...original, pauseAfterFailures: "", name: "nightly-2" }, original)).toEqual({
      pauseAfterFailures: null,
      name: "nightly-2",
    });
  });

  it("reads a stored YAML definition back as its text", () => {
    const form = formFromSchedule({ ...jobSchedule, queueId: null, jobType: null, workflowDefinition: { source: "name: etl" } });
    expect(form.target).toBe("workflow");
    expect(form.workflowDefinition).toBe("name: etl");
  });
});

describe("previewProblem", () => {
  it("puts the message under the field the server names", () => {
    expect(
      previewProblem([{ message: "unknown timezone 'Mars/Base'", extensions: { code: "BAD_USER_INPUT", field: "timezone" } }]),
    ).toEqual({ field: "timezone", message: "unknown timezone 'Mars/Base'" });
    expect(previewProblem([{ message: "cron expression needs 5 or 6 fields, got 4", extensions: { field: "expression" } }])).toEqual({
      field: "expression",
      message: "cron expression needs 5 or 6 fields, got 4",
    });
    expect(previewProblem([])).toBeNull();
  });
});

describe("formatInZone", () => {
  it("reads the time in the schedule's timezone, with the year only when it is not this one", () => {
    const now = new Date("2026-12-07T12:00:00Z");
    const paris = formatInZone("2026-12-08T01:00:00Z", "Europe/Paris", now);
    expect(paris).toContain("02:00:00");
    expect(paris).not.toContain("2026");
    expect(formatInZone("2027-01-04T01:00:00Z", "UTC", now)).toContain("2027");
    // an unknown zone falls back to the browser's rather than failing
    expect(formatInZone("2026-12-08T01:00:00Z", "Mars/Base", now)).toMatch(/\d\d:\d\d:\d\d/);
  });
});

describe("describeTarget", () => {
  it("names the job type, the workflow or the template", () => {
    expect(describeTarget({ jobType: "report" })).toBe("job report");
    expect(describeTarget({ workflowDefinition: { name: "etl" } })).toBe("workflow etl");
    expect(describeTarget({ workflowTemplate: { name: "etl", version: null } })).toBe("workflow template etl (latest)");
    expect(describeTarget({ workflowTemplate: { name: "etl", version: 2 } })).toBe("workflow template etl (v2)");
  });
});
