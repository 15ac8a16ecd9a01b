import { act, screen, waitFor } from "@testing-library/react";
import { mockServer, mockSocket, renderWithSession } from "../test/mockServer";
import { RingBuffer } from "../lib/ringBuffer";
import { LogStream, newLinesStatus } from "./LogStream";

/** Animation frames the test runs by hand. */
function frames() {
  const queued = new Map<number, FrameRequestCallback>();
  let next = 0;
  vi.stubGlobal("requestAnimationFrame", (cb: FrameRequestCallback) => {
    queued.set(++next, cb);
    return next;
  });
  vi.stubGlobal("cancelAnimationFrame", (id: number) => queued.delete(id));
  return {
    get pending() {
      return queued.size;
    },
    run: () =>
      act(() => {
        const due = [...queued.values()];
        queued.clear();
        for (const cb of due) cb(performance.now());
      }),
  };
}

function setup(max?: number) {
  const frame = frames();
  const socket = mockSocket();
  const { client } = mockServer({});
  renderWithSession(<LogStream executionId="e1" max={max} />, { client, ws: socket.ws });
  let n = 0;
  const line = (message = `line ${n + 1}`) =>
    act(() =>
      socket.push("executionLogs", {
        cursor: `c${++n}`,
        node: { id: `l${n}`, level: "INFO", message, loggedAt: "2026-12-07T10:00:00Z" },
      }),
    );
  return { frame, socket, line };
}

const shownLines = () => screen.getByRole("list", { name: "Log entries" }).querySelectorAll("li[class^=level-INFO]").length;

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("LogStream", () => {
  it("paints the lines that came in one animation frame together", async () => {
    const { frame, socket, line } = setup();
    await waitFor(() => expect(socket.subscribed("executionLogs")).toBe(true));
    for (let i = 0; i < 50; i++) line();
    expect(shownLines()).toBe(0); // nothing painted before the frame
    expect(frame.pending).toBe(1); // one frame asked for, not one per line
    frame.run();
    expect(shownLines()).toBe(50);
    line();
    frame.run();
    expect(shownLines()).toBe(51);
  });

  it("keeps only the newest lines, however many come", async () => {
    const { frame, socket, line } = setup(100);
    await waitFor(() => expect(socket.subscribed("executionLogs")).toBe(true));
    for (let i = 0; i < 250; i++) line();
    frame.run();
    expect(shownLines()).toBe(100);
    const items = screen.getByRole("list", { name: "Log entries" }).querySelectorAll("li");
    expect(items[0].textContent).toContain("line 151");
    expect(items[99].textContent).toContain("line 250");
    expect(screen.getByText("Showing the last 100 entries.")).toBeTruthy();
  });

  it("holds at most the ring's size of lines while no frame runs (a hidden tab)", async () => {
    const pushes = vi.spyOn(RingBuffer.prototype, "push");
    try {
      const { frame, socket, line } = setup(100);
      await waitFor(() => expect(socket.subscribed("executionLogs")).toBe(true));
      for (let i = 0; i < 250; i++) line(); // no frame runs meanwhile
      frame.run();
      expect(pushes).toHaveBeenCalledTimes(1);
      expect([...(pushes.mock.calls[0][0] as unknown[])]).toHaveLength(100); // the older ones were dropped
      const items = screen.getByRole("list", { name: "Log entries" }).querySelectorAll("li");
      expect(items[0].textContent).toContain("line 151");
      expect(items[99].textContent).toContain("line 250");
      expect(screen.getByText("Showing the last 100 entries.")).toBeTruthy();
    } finally {
      pushes.mockRestore();
    }
  });

  it("tells screen readers how many lines came in a short status, not the log", async () => {
    const { frame, socket, line } = setup();
    await waitFor(() => expect(socket.subscribed("executionLogs")).toBe(true));
    for (let i = 0; i < 12; i++) line();
    frame.run();
    const status = screen.getByRole("status");
    expect(status.textContent).toBe("12 new lines");
    expect(status.getAttribute("aria-live")).toBe("polite");
    const list = screen.getByRole("list", { name: "Log entries" });
    expect(list.getAttribute("aria-live")).toBeNull();
    expect(list.closest("[aria-live]")).toBeNull();
  });

  it("words the status", () => {
    expect(newLinesStatus(1)).toBe("1 new line");
    expect(newLinesStatus(1200)).toBe("1,200 new lines");
  });
});
