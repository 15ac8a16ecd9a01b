import { act, render } from "@testing-library/react";
import type { Sink } from "graphql-ws";
import { MemoryRouter } from "react-router-dom";
import { Provider, type Client } from "urql";
import { vi } from "vitest";
import type { Clients } from "../lib/client";
import { ConnectionStatus } from "../lib/client";
import { SessionContextProvider } from "../lib/session";
import { DagView } from "./DagView";
import { layered } from "./fixtures";
import type { GraphDoc } from "./graph";
import { FIRST_LOAD_RETRY_MS, useLiveWorkflow, type LiveWorkflow } from "./useLiveWorkflow";

/** The server as the page sees it: graph reads answered when the test says, and the
 * workflowProgress subscription's sink to push events into. */
class FakeServer {
  reads: ((doc: GraphDoc | null) => void)[] = [];
  sinks: Sink[] = [];

  urql = {
    query: vi.fn(() => ({
      toPromise: () =>
        new Promise((resolve) => {
          this.reads.push((doc) =>
            resolve(
              doc === null
                ? { error: new Error("Cannot reach the server") }
                : { data: { workflow: { id: "w1", graph: { json: doc, criticalPath: doc.criticalPath } } } },
            ),
          );
        }),
    })),
  } as unknown as Client;

  ws = {
    subscribe: (_payload: unknown, sink: Sink) => {
      this.sinks.push(sink);
      return () => undefined;
    },
  };

  /** Fail the oldest graph read still waiting (the server cannot be reached). */
  async fail(): Promise<void> {
    await act(async () => {
      this.reads.shift()!(null);
    });
  }

  /** Answer the oldest graph read still waiting. */
  async answer(doc: GraphDoc): Promise<void> {
    await act(async () => {
      this.reads.shift()!(doc);
    });
  }

  event(eventId: string, jobId: string | null, jobStatus: string | null) {
    const stats = { total: 5, completed: 0, completionPercentage: 0, counts: [] };
    this.sinks.at(-1)!.next({ data: { workflowProgress: { eventId, jobId, jobStatus, workflowStatus: "RUNNING", stats } } });
  }
}

let shown: LiveWorkflow | null = null;

function Harness({ pause = false }: { pause?: boolean }) {
  const live = useLiveWorkflow("w1", undefined, { pause });
  shown = live;
  return live.graph ? <DagView graph={live.graph} store={live.store} name="etl" /> : <p>loading</p>;
}

function setup({ pause = false }: { pause?: boolean } = {}) {
  const server = new FakeServer();
  const frames: FrameRequestCallback[] = [];
  vi.stubGlobal("requestAnimationFrame", (fn: FrameRequestCallback) => frames.push(fn));
  vi.stubGlobal("cancelAnimationFrame", () => undefined);
  const clients = { urql: server.urql, ws: server.ws, status: new ConnectionStatus(), dispose: () => undefined } as unknown as Clients;
  const view = render(
    <MemoryRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
      <Provider value={server.urql}>
        <SessionContextProvider value={{ clients, viewer: null, isAdmin: false }}>
          <Harness pause={pause} />
        </SessionContextProvider>
      </Provider>
    </MemoryRouter>,
  );
  const frame = () =>
    act(() => {
      for (const fn of frames.splice(0)) fn(performance.now());
    });
  const status = (id: string) => view.container.querySelector(`[data-job="${id}"]`)?.getAttribute("data-status");
  return { server, frame, status, frames };
}

const DOC = layered({ levels: [1, 3, 1] });

describe("useLiveWorkflow", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("applies the events received while the graph was read on top of its answer", async () => {
    const { server, frame, status } = setup();
    act(() => server.event("10", "L0-0", "PROCESSING"));
    act(() => server.event("11", "L0-0", "SUCCEEDED"));
    frame(); // nothing to draw yet: the read is in flight
    await server.answer(DOC); // read before event 11: L0-0 still PENDING there
    expect(status("L0-0")).toBe("SUCCEEDED");
    expect(status("L1-0")).toBe("PENDING");
  });

  it("reads the graph again, ever more slowly, when the first read failed", async () => {
    vi.useFakeTimers();
    try {
      const { server, status } = setup();
      await server.fail();
      act(() => vi.advanceTimersByTime(FIRST_LOAD_RETRY_MS));
      expect(server.urql.query).toHaveBeenCalledTimes(2);
      await server.fail();
      act(() => vi.advanceTimersByTime(FIRST_LOAD_RETRY_MS));
      expect(server.urql.query).toHaveBeenCalledTimes(2); // the second wait is twice as long
      act(() => vi.advanceTimersByTime(FIRST_LOAD_RETRY_MS));
      expect(server.urql.query).toHaveBeenCalledTimes(3);
      await server.answer(DOC);
      expect(status("L0-0")).toBe("PENDING");
      act(() => vi.advanceTimersByTime(60_000));
      expect(server.urql.query).toHaveBeenCalledTimes(3); // drawn: no more reads
    } finally {
      vi.useRealTimers();
    }
  });

  it("recolours in one batch per animation frame", async () => {
    const { server, frame, status, frames } = setup();
    await server.answer(DOC);
    act(() => {
      server.event("20", "L1-0", "PROCESSING");
      server.event("21", "L1-1", "PROCESSING");
      server.event("22", "L1-0", "FAILED");
    });
    expect(frames).toHaveLength(1); // one frame asked for three events
    expect(status("L1-0")).toBe("PENDING"); // not before the frame
    frame();
    expect(status("L1-0")).toBe("FAILED");
    expect(status("L1-1")).toBe("PROCESSING");
    expect(server.urql.query).toHaveBeenCalledTimes(1);
  });

  it("reads the graph again when an event names a job it does not hold", async () => {
    const { server, frame, status } = setup();
    await server.answer(DOC);
    act(() => server.event("30", "spawned", "PENDING"));
    frame();
    expect(server.urql.query).toHaveBeenCalledTimes(2);
    const grown: GraphDoc = {
      ...DOC,
      nodes: [...DOC.nodes, { id: "spawned", label: "spawned", status: "PENDING", jobType: "noop" }],
      levels: [[...DOC.levels[0]!, "spawned"], ...DOC.levels.slice(1)],
    };
    await server.answer(grown);
    expect(status("spawned")).toBe("PENDING");
  });

  it("reads the graph again when the subscription's cursor expired (RESYNC_REQUIRED)", async () => {
    const { server } = setup();
    await server.answer(DOC);
    act(() => server.sinks.at(-1)!.next({ errors: [{ message: "gone", extensions: { code: "RESYNC_REQUIRED" } }] } as never));
    expect(server.urql.query).toHaveBeenCalledTimes(2);
  });

  it("reads the graph again once for figures it disagrees with, not on every check of the same figures", async () => {
    vi.useFakeTimers();
    try {
      const { server } = setup();
      await server.answer(DOC); // five jobs, all PENDING
      // figures a read cannot match (a pruned workflow keeps the stats it had)
      const frozen = { total: 9, completed: 9, completionPercentage: 100, counts: [{ status: "SUCCEEDED" as const, count: 9 }] };
      act(() => shown!.verify(frozen));
      act(() => vi.advanceTimersByTime(1_000));
      expect(server.urql.query).toHaveBeenCalledTimes(2);
      await server.answer(DOC);
      for (let i = 0; i < 5; i++) {
        act(() => shown!.verify(frozen)); // the header read every 15 s says the same
        act(() => vi.advanceTimersByTime(15_000));
      }
      expect(server.urql.query).toHaveBeenCalledTimes(2);
      // new figures are a new reason
      act(() => shown!.verify({ ...frozen, counts: [{ status: "SUCCEEDED" as const, count: 10 }] }));
      act(() => vi.advanceTimersByTime(1_000));
      expect(server.urql.query).toHaveBeenCalledTimes(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it("reads the graph again for figures it read for once, after the counts agreed in between", async () => {
    vi.useFakeTimers();
    try {
      const { server } = setup();
      await server.answer(DOC); // five jobs, all PENDING
      const ahead = { total: 5, completed: 0, completionPercentage: 0, counts: [{ status: "PROCESSING" as const, count: 5 }] };
      const same = { total: 5, completed: 0, completionPercentage: 0, counts: [{ status: "PENDING" as const, count: 5 }] };
      act(() => shown!.verify(ahead));
      act(() => vi.advanceTimersByTime(1_000));
      expect(server.urql.query).toHaveBeenCalledTimes(2);
      await server.answer(DOC);
      act(() => shown!.verify(same)); // the counts agree: the earlier read is done with
      act(() => vi.advanceTimersByTime(1_000));
      expect(server.urql.query).toHaveBeenCalledTimes(2);
      act(() => shown!.verify(ahead)); // the same figures as before, a new disagreement
      act(() => vi.advanceTimersByTime(1_000));
      expect(server.urql.query).toHaveBeenCalledTimes(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it("reads nothing and listens to nothing while paused", () => {
    const { server } = setup({ pause: true });
    expect(server.urql.query).not.toHaveBeenCalled();
    expect(server.sinks).toHaveLength(0);
  });
});
