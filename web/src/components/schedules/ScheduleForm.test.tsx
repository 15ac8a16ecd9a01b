import { fireEvent, screen, waitFor } from "@testing-library/react";
import { mockServer, renderWithSession } from "../../test/mockServer";
import { ScheduleForm } from "./ScheduleForm";

const DEBOUNCE = 120;

function server() {
  return mockServer({
    QueueChoices: () => ({
      data: { queues: { edges: [{ node: { id: "q1", name: "default", isPaused: false } }] } },
    }),
    PreviewSchedule: (v) => {
      if (v.timezone === "Mars/Base") {
        return {
          data: null,
          errors: [{ message: "unknown timezone 'Mars/Base'", extensions: { code: "BAD_USER_INPUT", field: "timezone" } }],
        };
      }
      if (String(v.expression).trim().split(/\s+/).length !== 5) {
        return {
          data: null,
          errors: [
            { message: "cron expression needs 5 or 6 fields, got 4", extensions: { code: "BAD_USER_INPUT", field: "expression" } },
          ],
        };
      }
      return { data: { previewSchedule: ["2026-12-08T02:00:00+00:00", "2026-12-09T02:00:00+00:00"] } };
    },
    CreateSchedule: (v) => ({
      data: { createSchedule: { id: "s-new", name: (v.input as { name: string }).name, status: "ACTIVE", nextRunAt: null } },
    }),
  });
}

function type(label: string, value: string) {
  fireEvent.change(screen.getByLabelText(label), { target: { value } });
}

describe("ScheduleForm's cron preview", () => {
  it("asks once the typing pauses, about the last expression only", async () => {
    const mock = server();
    renderWithSession(<ScheduleForm onSaved={() => undefined} debounceMs={DEBOUNCE} />, { client: mock.client });
    for (const partial of ["0", "0 2", "0 2 *", "0 2 * *", "0 2 * * *"]) type("Expression", partial);
    expect(mock.named("PreviewSchedule")).toHaveLength(0); // nothing while typing
    await screen.findByText(/Dec 8/);
    expect(mock.named("PreviewSchedule").map((c) => c.variables)).toEqual([
      { type: "CRON", expression: "0 2 * * *", timezone: "UTC", count: 5 },
    ]);
    expect(screen.getAllByRole("listitem")).toHaveLength(2);
    expect(screen.getByLabelText("Expression").getAttribute("aria-invalid")).toBeNull();
  });

  it("shows an invalid expression's message under the expression, and clears it once it reads", async () => {
    const mock = server();
    renderWithSession(<ScheduleForm onSaved={() => undefined} debounceMs={DEBOUNCE} />, { client: mock.client });
    type("Expression", "0 2 * *");
    const message = await screen.findByText("cron expression needs 5 or 6 fields, got 4");
    const field = screen.getByLabelText("Expression");
    expect(field.getAttribute("aria-invalid")).toBe("true");
    expect(field.getAttribute("aria-describedby")).toContain(message.id);
    type("Expression", "0 2 * * *");
    await waitFor(() => expect(screen.queryByText("cron expression needs 5 or 6 fields, got 4")).toBeNull());
    expect(await screen.findByText(/Dec 9/)).toBeTruthy();
  });

  it("shows an unknown timezone's message under the timezone", async () => {
    const mock = server();
    renderWithSession(<ScheduleForm onSaved={() => undefined} debounceMs={DEBOUNCE} />, { client: mock.client });
    type("Expression", "0 2 * * *");
    type("Timezone", "Mars/Base");
    await screen.findByText("unknown timezone 'Mars/Base'");
    expect(screen.getByLabelText("Timezone").getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByLabelText("Expression").getAttribute("aria-invalid")).toBeNull();
  });

  it("creates a job schedule on the first queue and reports its id", async () => {
    const mock = server();
    const saved = vi.fn();
    renderWithSession(<ScheduleForm onSaved={saved} debounceMs={DEBOUNCE} />, { client: mock.client });
    await screen.findByRole("option", { name: "default" });
    type("Name", "nightly");
    type("Expression", "0 2 * * *");
    type("Job type", "report");
    fireEvent.click(screen.getByRole("button", { name: "Create schedule" }));
    await waitFor(() => expect(saved).toHaveBeenCalledWith("s-new"));
    expect(mock.named("CreateSchedule")[0].variables.input).toMatchObject({
      name: "nightly",
      expression: "0 2 * * *",
      queueId: "q1",
      jobType: "report",
      payload: {},
    });
  });

  it("says what is wrong with the form before asking the server", async () => {
    const mock = server();
    renderWithSession(<ScheduleForm onSaved={() => undefined} debounceMs={DEBOUNCE} />, { client: mock.client });
    await screen.findByRole("option", { name: "default" });
    type("Name", "nightly");
    type("Expression", "0 2 * * *");
    type("Job type", "report");
    type("Payload (JSON)", "{nope");
    fireEvent.click(screen.getByRole("button", { name: "Create schedule" }));
    expect(await screen.findByText(/The payload is not valid JSON/)).toBeTruthy();
    expect(screen.getByLabelText("Payload (JSON)").getAttribute("aria-invalid")).toBe("true");
    expect(mock.named("CreateSchedule")).toHaveLength(0);
  });
});
