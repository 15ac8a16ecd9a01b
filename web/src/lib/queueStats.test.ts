import { describeConcurrency, describeRateLimit, formatPeriod, queueFigures, workersPerQueue } from "./queueStats";

const stats = {
  waiting: 10_000,
  running: 3,
  scheduled: 0,
  succeededLastHour: 9_999,
  failedLastHour: 12_000,
  oldestWaitingAge: 125,
  countLimit: 10_000,
};

describe("queueFigures", () => {
  it("reads a count at countLimit as 'at least' and the others as they are", () => {
    const figures = queueFigures(stats);
    expect(figures.waiting).toBe("10,000+");
    expect(figures.failedLastHour).toBe("12,000+");
    expect(figures.succeededLastHour).toBe("9,999");
    expect(figures.running).toBe("3");
    expect(figures.scheduled).toBe("0");
    expect(figures.oldestWait).toBe("2 min 5 s");
    expect(figures.capped).toBe(true);
  });

  it("has no oldest wait when nothing waits, and is exact below the limit", () => {
    const figures = queueFigures({ ...stats, waiting: 0, succeededLastHour: 1, failedLastHour: 0, oldestWaitingAge: null });
    expect(figures.oldestWait).toBe("—");
    expect(figures.capped).toBe(false);
  });

  it("follows the server's limit, whatever it is", () => {
    expect(queueFigures({ ...stats, waiting: 500, countLimit: 500 }).waiting).toBe("500+");
  });
});

describe("queue limits in words", () => {
  it("describes concurrency and rate limits, with their key", () => {
    expect(describeConcurrency(null)).toBe("no limit");
    expect(describeConcurrency({ max: 5, key: null, strategy: "QUEUE" })).toBe("5 at a time (others wait)");
    expect(describeConcurrency({ max: 1, key: "payload.customer_id", strategy: "CANCEL_IN_PROGRESS" })).toBe(
      "1 at a time for each payload.customer_id (the oldest is replaced)",
    );
    expect(describeRateLimit(undefined)).toBe("no limit");
    expect(describeRateLimit({ limit: 100, period: 60 })).toBe("100 starts per minute");
    expect(describeRateLimit({ limit: 1_000, period: 7_200, key: "payload.tenant" })).toBe(
      "1,000 starts per 2 h for each payload.tenant",
    );
  });

  it("names periods", () => {
    expect([formatPeriod(45), formatPeriod(60), formatPeriod(90), formatPeriod(3_600), formatPeriod(86_400 * 7)]).toEqual([
      "45 s",
      "minute",
      "90 s",
      "hour",
      "7 d",
    ]);
  });
});

describe("workersPerQueue", () => {
  it("counts online workers with an active assignment", () => {
    const counts = workersPerQueue([
      { status: "ONLINE", queues: [{ queueId: "a", isActive: true }, { queueId: "b", isActive: false }] },
      { status: "ONLINE", queues: [{ queueId: "a", isActive: true }] },
      { status: "DRAINING", queues: [{ queueId: "b", isActive: true }] },
    ]);
    expect(Object.fromEntries(counts)).toEqual({ a: 2 });
  });
});
