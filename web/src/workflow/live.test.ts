import { countsAgree, FrameQueue, HIDDEN_FLUSH_MS, Journal, StatusStore, type StatusEvent } from "./live";

function storeWith(statuses: Record<string, "PENDING" | "PROCESSING" | "SUCCEEDED" | "FAILED">) {
  const store = new StatusStore();
  store.load(new Map(Object.entries(statuses)));
  return store;
}

describe("StatusStore", () => {
  it("applies a batch of events: each job ends in its last status, and each changed node is told once", () => {
    const store = storeWith({ a: "PENDING", b: "PENDING", c: "PENDING" });
    const told: string[] = [];
    for (const id of ["a", "b", "c"]) store.subscribe(id, () => told.push(id));
    const result = store.apply([
      { jobId: "a", status: "PROCESSING" },
      { jobId: "b", status: "PROCESSING" },
      { jobId: "a", status: "SUCCEEDED" },
      { jobId: "c", status: "PENDING" }, // no change
    ]);
    expect(store.status("a")).toBe("SUCCEEDED");
    expect(store.status("b")).toBe("PROCESSING");
    expect([...result.changed].sort()).toEqual(["a", "b"]);
    expect(told.sort()).toEqual(["a", "b"]);
    expect(store.total()).toEqual({ PENDING: 1, PROCESSING: 1, SUCCEEDED: 1 });
  });

  it("recounts a collapsed group instead of telling its jobs", () => {
    const store = storeWith({ a: "PENDING", b: "PENDING", c: "PENDING", d: "PENDING" });
    store.setTallies(new Map([["count:level:1", ["a", "b", "c"]]]));
    const before = store.counts("count:level:1");
    expect(before).toEqual({ PENDING: 3 });
    const told: string[] = [];
    store.subscribe("count:level:1", () => told.push("count"));
    store.subscribe("a", () => told.push("a"));
    const result = store.apply([
      { jobId: "a", status: "PROCESSING" },
      { jobId: "b", status: "PROCESSING" },
      { jobId: "a", status: "SUCCEEDED" },
      { jobId: "d", status: "FAILED" },
    ]);
    expect(told).toEqual(["count"]); // once for the batch; job a is not drawn
    expect([...result.changed].sort()).toEqual(["count:level:1", "d"]);
    const after = store.counts("count:level:1");
    expect(after).toEqual({ PENDING: 1, PROCESSING: 1, SUCCEEDED: 1 });
    expect(after).not.toBe(before); // a new object: React sees the change
    expect(before).toEqual({ PENDING: 3 }); // and the old one is untouched
  });

  it("names the jobs it does not hold (added since the graph was read)", () => {
    const store = storeWith({ a: "PENDING" });
    const result = store.apply([
      { jobId: "new", status: "PENDING" },
      { jobId: null, status: null }, // the workflow's own event
    ]);
    expect(result.unknown).toEqual(["new"]);
    expect(result.changed.size).toBe(0);
  });

  it("reloads: tells only what changed, recounts the groups", () => {
    const store = storeWith({ a: "PENDING", b: "PENDING" });
    store.setTallies(new Map([["t", ["a", "b"]]]));
    const changed = store.load(new Map([["a", "PENDING"], ["b", "SUCCEEDED"]]));
    expect([...changed].sort()).toEqual(["b", "t"]);
    expect(store.counts("t")).toEqual({ PENDING: 1, SUCCEEDED: 1 });
  });

  it("compares its totals with the server's figures", () => {
    const store = storeWith({ a: "PENDING", b: "SUCCEEDED" });
    expect(countsAgree(store.total(), [{ status: "PENDING", count: 1 }, { status: "SUCCEEDED", count: 1 }])).toBe(true);
    expect(countsAgree(store.total(), [{ status: "SUCCEEDED", count: 2 }])).toBe(false);
    expect(countsAgree(store.total(), [{ status: "PENDING", count: 1 }, { status: "SUCCEEDED", count: 1 }, { status: "FAILED", count: 0 }])).toBe(true);
  });
});

describe("a reload in flight", () => {
  it("ends as if it were instant: events received meanwhile are applied again on its answer", () => {
    const store = storeWith({ a: "PENDING", b: "PENDING" });
    const journal = new Journal<StatusEvent>();
    journal.begin();
    // while in flight: a starts and ends; the server read the graph between the two
    const events: StatusEvent[] = [
      { jobId: "a", status: "PROCESSING" },
      { jobId: "a", status: "SUCCEEDED" },
    ];
    for (const e of events) {
      journal.record(e);
      store.apply([e]);
    }
    const answer = new Map([
      ["a", "PROCESSING"],
      ["b", "PENDING"],
    ] as const);
    store.load(answer);
    expect(store.status("a")).toBe("PROCESSING"); // older than what the page had
    store.apply(journal.end());
    expect(store.status("a")).toBe("SUCCEEDED");
    journal.record({ jobId: "b", status: "FAILED" }); // no reload in flight: not kept
    journal.begin();
    expect(journal.end()).toEqual([]);
  });
});

describe("FrameQueue", () => {
  it("hands over everything pushed during a frame in one batch", () => {
    const frames: (() => void)[] = [];
    const batches: number[][] = [];
    const queue = new FrameQueue<number>(
      (batch) => batches.push(batch),
      (fn) => frames.push(fn),
      () => undefined,
    );
    for (let i = 0; i < 100; i++) queue.push(i);
    expect(frames).toHaveLength(1); // one frame asked for 100 events
    frames.shift()!();
    expect(batches).toEqual([Array.from({ length: 100 }, (_, i) => i)]);
    queue.push(100);
    queue.run(); // at once, e.g. before a reload
    expect(batches[1]).toEqual([100]);
    queue.dispose();
  });

  it("hands over on a timer while the page is hidden (no animation frame runs there)", () => {
    vi.useFakeTimers();
    const visibility = vi.spyOn(document, "visibilityState", "get").mockReturnValue("hidden");
    try {
      const frames: (() => void)[] = [];
      const batches: number[][] = [];
      const queue = new FrameQueue<number>(
        (batch) => batches.push(batch),
        (fn) => frames.push(fn),
        () => undefined,
      );
      queue.push(1);
      queue.push(2);
      vi.advanceTimersByTime(HIDDEN_FLUSH_MS);
      expect(batches).toEqual([[1, 2]]);
      expect(frames).toHaveLength(0);
      queue.push(3);
      queue.dispose();
      vi.advanceTimersByTime(HIDDEN_FLUSH_MS);
      expect(batches).toHaveLength(1);
    } finally {
      visibility.mockRestore();
      vi.useRealTimers();
    }
  });
});

describe("a reload of the graph", () => {
  it("keeps the graph read before when only statuses changed, its jobs when the critical path moved", async () => {
    const { reuse } = await import("./useLiveWorkflow");
    const { buildGraph } = await import("./graph");
    const { layered } = await import("./fixtures");
    const before = buildGraph(layered({ levels: [1, 3, 1] }));
    expect(reuse(before, buildGraph(layered({ levels: [1, 3, 1], status: "SUCCEEDED" })))).toBe(before);
    const moved = reuse(before, buildGraph(layered({ levels: [1, 3, 1] }), ["L0-0", "L1-2"]));
    expect(moved).not.toBe(before);
    expect(moved.jobs).toBe(before.jobs);
    expect(moved.criticalPath).toEqual(["L0-0", "L1-2"]);
    const grown = buildGraph(layered({ levels: [1, 4, 1] }));
    expect(reuse(before, grown)).toBe(grown);
    expect(reuse(null, grown)).toBe(grown);
  });
});
