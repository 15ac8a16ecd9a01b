import dagre from "@dagrejs/dagre";
import { act, fireEvent, render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { vi } from "vitest";
import { DagView } from "./DagView";
import { layered } from "./fixtures";
import { buildGraph, type GraphDoc } from "./graph";
import { StatusStore } from "./live";

function show(doc: GraphDoc) {
  const graph = buildGraph(doc);
  const store = new StatusStore();
  store.load(graph.statuses);
  const view = render(
    <MemoryRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
      <DagView graph={graph} store={store} name="etl" />
    </MemoryRouter>,
  );
  return { graph, store, view, node: (id: string) => view.container.querySelector(`[data-job="${id}"]`)! };
}

describe("DagView", () => {
  it("draws an SVG with a name, and each job as a link named by its status", () => {
    const { node } = show(layered({ levels: [1, 3, 1] }));
    const svg = screen.getByRole("group", { name: "Dependency graph of etl: 5 jobs" });
    expect(svg.tagName.toLowerCase()).toBe("svg");
    expect(svg.querySelector("desc")?.textContent).toBe("Critical path: L0-0 → L1-0 → L2-0.");
    expect(node("L0-0").getAttribute("href")).toBe("/jobs/L0-0");
    expect(node("L0-0").getAttribute("aria-label")).toBe("L0-0: Pending, on the critical path");
    expect(node("L1-1").getAttribute("aria-label")).toBe("L1-1: Pending");
    expect(node("L1-1").textContent).toContain("○ Pending"); // the status in words, not colour alone
    expect(svg.querySelectorAll("path.dag-edge.critical")).toHaveLength(2);
  });

  it("links a workflow job to its child run, beside the job's own link", () => {
    const doc = layered({ levels: [1, 1] });
    doc.nodes[1]!.childWorkflowId = "w-child";
    const { view, node } = show(doc);
    const child = view.container.querySelector('a[href="/workflows/w-child"]')!;
    expect(child.getAttribute("aria-label")).toBe("Child run of L1-0");
    expect(node("L1-0").contains(child)).toBe(false);
  });

  it("recolours a node in place on a status change, without laying out again", () => {
    const { store, node } = show(layered({ levels: [1, 3, 1] }));
    const before = node("L1-1");
    const place = before.querySelector("g")!.getAttribute("transform");
    const layout = vi.spyOn(dagre, "layout");
    act(() => {
      store.apply([{ jobId: "L1-1", status: "FAILED" }]);
    });
    const after = node("L1-1");
    expect(after).toBe(before); // the same element
    expect(after.getAttribute("data-status")).toBe("FAILED");
    expect(after.getAttribute("class")).toContain("tone-danger");
    expect(after.getAttribute("aria-label")).toBe("L1-1: Failed");
    expect(after.querySelector("g")!.getAttribute("transform")).toBe(place);
    expect(node("L1-0").getAttribute("data-status")).toBe("PENDING");
    expect(layout).not.toHaveBeenCalled();
  });

  it("shows a large level as a count node that opens on click, a page at a time, and closes", () => {
    const { store, view, node } = show(layered({ levels: [1, 400, 1] }));
    const count = screen.getByRole("button", { name: "Level 2: 400 jobs, 400 pending. Show the first 100. On the critical path" });
    act(() => {
      store.apply([
        { jobId: "L1-7", status: "SUCCEEDED" },
        { jobId: "L1-8", status: "FAILED" },
      ]);
    });
    expect(count.getAttribute("aria-label")).toMatch(/^Level 2: 400 jobs, 1 failed, 1 succeeded, 398 pending\./);
    expect(count.getAttribute("class")).toContain("tone-danger");
    expect(view.container.querySelectorAll("[data-job]")).toHaveLength(2);

    fireEvent.click(count);
    expect(view.container.querySelectorAll("[data-job]")).toHaveLength(102);
    expect(node("L1-8").getAttribute("data-status")).toBe("FAILED");
    const more = screen.getByRole("button", { name: "+ 300 jobs more: 300 pending. Show 100 more of Level 2" });
    fireEvent.keyDown(more, { key: "Enter" });
    expect(view.container.querySelectorAll("[data-job]")).toHaveLength(202);

    fireEvent.click(screen.getByRole("button", { name: "Collapse Level 2" }));
    expect(view.container.querySelectorAll("[data-job]")).toHaveLength(2);
    expect(screen.getByRole("button", { name: /^Level 2: 400 jobs/ })).toBeTruthy();
  });
});
