import { fireEvent, render, screen } from "@testing-library/react";
import { canCancel, canRetry } from "../pages/JobPage";
import { parsePayload } from "./EnqueueForm";
import { Pager } from "./Pager";
import { Sparkline, sumThroughput } from "./Sparkline";
import { formatCount, formatDuration } from "../lib/format";
import { retryDelay } from "../lib/client";

describe("Sparkline", () => {
  const a = [
    { minute: "2026-12-07T10:01:00Z", succeeded: 2, failed: 0 },
    { minute: "2026-12-07T10:00:00Z", succeeded: 1, failed: 1 },
  ];
  const b = [{ minute: "2026-12-07T10:00:00Z", succeeded: 3, failed: 0 }];

  it("adds queues up minute by minute, oldest first", () => {
    expect(sumThroughput([a, b])).toEqual([
      { minute: "2026-12-07T10:00:00Z", succeeded: 4, failed: 1 },
      { minute: "2026-12-07T10:01:00Z", succeeded: 2, failed: 0 },
    ]);
  });

  it("draws a bar per non-zero series and says the totals", () => {
    const { container } = render(<Sparkline points={sumThroughput([a])} label="emails" />);
    expect(container.querySelectorAll("rect.bar-succeeded")).toHaveLength(2);
    expect(container.querySelectorAll("rect.bar-failed")).toHaveLength(1);
    expect(screen.getByRole("img").getAttribute("aria-label")).toBe(
      "emails: 3 succeeded, 1 failed in the last 2 minutes",
    );
  });
});

describe("Pager", () => {
  it("follows endCursor and goes back to the first page", () => {
    const onPage = vi.fn();
    render(<Pager pageInfo={{ hasNextPage: true, endCursor: "c2" }} after="c1" onPage={onPage} total={120} shown={50} />);
    fireEvent.click(screen.getByText("Next page"));
    fireEvent.click(screen.getByText("First page"));
    expect(onPage.mock.calls).toEqual([["c2"], [null]]);
    expect(screen.getByText(/50 shown of 120/)).toBeTruthy();
  });

  it("has nothing to follow on the last page", () => {
    render(<Pager pageInfo={{ hasNextPage: false, endCursor: "c2" }} after={null} onPage={() => undefined} />);
    expect((screen.getByText("Next page") as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByText("First page") as HTMLButtonElement).disabled).toBe(true);
  });
});

describe("job actions", () => {
  it("offers cancel while the job may still run and retry once it ended badly", () => {
    expect(["PENDING", "SCHEDULED", "PROCESSING"].every((s) => canCancel(s as never))).toBe(true);
    expect(canCancel("SUCCEEDED")).toBe(false);
    expect(canRetry("FAILED") && canRetry("CANCELLED") && canRetry("SKIPPED")).toBe(true);
    expect(canRetry("SUCCEEDED") || canRetry("PROCESSING")).toBe(false);
  });
});

describe("parsePayload", () => {
  it("takes a JSON object, or nothing as {}", () => {
    expect(parsePayload('{"to": "ada@example.com"}')).toEqual({ value: { to: "ada@example.com" } });
    expect(parsePayload("  ")).toEqual({ value: {} });
  });

  it("says why anything else is refused", () => {
    expect(parsePayload("[1]")).toHaveProperty("error", expect.stringContaining("JSON object"));
    expect(parsePayload("{to:")).toHaveProperty("error", expect.stringContaining("not valid JSON"));
  });
});

describe("formatting", () => {
  it("marks counts at the server's limit as 'at least'", () => {
    expect(formatCount(10_000, 10_000)).toBe(`${(10_000).toLocaleString()}+`);
    expect(formatCount(12, 10_000)).toBe("12");
  });

  it("reads durations at a glance", () => {
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(1.234)).toBe("1.2 s");
    expect(formatDuration(125)).toBe("2 min 5 s");
    expect(formatDuration(7_500)).toBe("2 h 5 min");
  });
});

describe("retryDelay", () => {
  it("doubles from half a second up to 8 s, plus up to 1 s of jitter", () => {
    expect(retryDelay(0, 0)).toBe(500);
    expect(retryDelay(1, 0)).toBe(1_000);
    expect(retryDelay(4, 0)).toBe(8_000);
    expect(retryDelay(50, 0.999)).toBe(8_999);
  });
});
