import { render, screen } from "@testing-library/react";
import { UsageMeter } from "../components/admin/UsagePanel";
import { describeUsage, usageLevel, usagePercent } from "./usage";

describe("usage against the tier's limits", () => {
  it("is a share of the limit, rounded down, and none without a limit", () => {
    expect(usagePercent(0, 1_000)).toBe(0);
    expect(usagePercent(125, 1_000)).toBe(12);
    expect(usagePercent(996, 1_000)).toBe(99); // not shown as full before it is
    expect(usagePercent(1_000, 1_000)).toBe(100);
    expect(usagePercent(1_500, 1_000)).toBe(150);
    expect(usagePercent(5, null)).toBeNull();
    expect(usagePercent(0, 0)).toBe(0);
    expect(usagePercent(1, 0)).toBe(100);
  });

  it("turns high from 80% and full at the limit", () => {
    expect(usageLevel(79, 100)).toBe("ok");
    expect(usageLevel(80, 100)).toBe("high");
    expect(usageLevel(99, 100)).toBe("high");
    expect(usageLevel(100, 100)).toBe("full");
    expect(usageLevel(1_000_000, null)).toBe("ok");
  });

  it("says it in words", () => {
    expect(describeUsage(1_234, 10_000)).toBe("1,234 of 10,000 (12%)");
    expect(describeUsage(1_234, null)).toBe("1,234 (no limit)");
  });

  it("draws a meter capped at 100% and says when the limit is reached", () => {
    render(<UsageMeter label="Workers" used={12} limit={10} />);
    const meter = screen.getByRole("progressbar", { name: "Workers: 120% of the limit" }) as HTMLProgressElement;
    expect(meter.value).toBe(100);
    expect(screen.getByText("Limit reached: new ones are refused.")).toBeTruthy();
  });

  it("draws no meter without a limit", () => {
    render(<UsageMeter label="Jobs this period" used={42} limit={null} />);
    expect(screen.queryByRole("progressbar")).toBeNull();
    expect(screen.getByText("42 (no limit)")).toBeTruthy();
  });
});
