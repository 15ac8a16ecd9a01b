import { render, screen } from "@testing-library/react";
import { StatusBadge, statusLabel, statusTone } from "./StatusBadge";

describe("statusTone", () => {
  it("maps job statuses to the kind of state", () => {
    expect(statusTone("PENDING")).toBe("waiting");
    expect(statusTone("SCHEDULED")).toBe("waiting");
    expect(statusTone("PROCESSING")).toBe("running");
    expect(statusTone("SUCCEEDED")).toBe("success");
    expect(statusTone("FAILED")).toBe("danger");
    expect(statusTone("CANCELLED")).toBe("muted");
    expect(statusTone("SKIPPED")).toBe("muted");
  });

  it("maps the other entities' statuses and falls back to muted", () => {
    expect(statusTone("RUNNING")).toBe("running");
    expect(statusTone("PAUSED")).toBe("warning");
    expect(statusTone("ONLINE")).toBe("success");
    expect(statusTone("DRAINING")).toBe("warning");
    expect(statusTone("SOMETHING_NEW")).toBe("muted");
  });
});

describe("StatusBadge", () => {
  it("says the status in words and carries it for tests and styles", () => {
    render(<StatusBadge status="PROCESSING" />);
    const badge = screen.getByText("Processing");
    expect(badge.className).toContain("badge-running");
    expect(badge.dataset.status).toBe("PROCESSING");
    expect(statusLabel("WAITING_FOR_HANDLER")).toBe("Waiting for handler");
  });
});
