import { COLLAPSE_ABOVE, expand, unitsOf, visibleGraph } from "./collapse";
import { layered } from "./fixtures";
import { buildGraph } from "./graph";
import { blockColumns, layoutGraph, LayoutCache, NODE, pathThrough } from "./layout";

describe("layout", () => {
  it("places every node apart, ranks left to right, and routes the edges", () => {
    const graph = buildGraph(layered({ levels: [1, 3, 1] }));
    const visible = visibleGraph(graph, unitsOf(graph), new Map());
    const layout = layoutGraph(visible);
    const boxes = visible.nodes.map((n) => layout.boxes.get(n.id)!);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!;
        const b = boxes[j]!;
        const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
        expect(apart).toBe(true);
      }
    }
    expect(layout.boxes.get("L0-0")!.x).toBeLessThan(layout.boxes.get("L1-0")!.x);
    expect(layout.boxes.get("L1-0")!.x).toBeLessThan(layout.boxes.get("L2-0")!.x);
    expect(layout.paths.get("L0-0>L1-0")).toMatch(/^M[\d.]+,[\d.]+ .*L[\d.]+,[\d.]+$/);
    expect(layout.width).toBeGreaterThan(3 * NODE.width);
  });

  it("puts a block's jobs in a grid inside it, and its 'more' cell last", () => {
    const graph = buildGraph(layered({ levels: [1, COLLAPSE_ABOVE, 1] }));
    const units = unitsOf(graph);
    const visible = visibleGraph(graph, units, expand(new Map(), units[1]!));
    const layout = layoutGraph(visible);
    const block = layout.boxes.get("block:level:1")!;
    const columns = blockColumns(100);
    expect(columns).toBe(5);
    const first = layout.cells.get("L1-0")!;
    const sixth = layout.cells.get("L1-5")!;
    expect(sixth.x).toBe(first.x); // next row, same column
    expect(sixth.y).toBeGreaterThan(first.y);
    const more = layout.more.get("more:level:1")!;
    for (const box of [first, sixth, more]) {
      expect(box.x).toBeGreaterThanOrEqual(block.x);
      expect(box.y + box.height).toBeLessThanOrEqual(block.y + block.height);
    }
    expect(more.y).toBeGreaterThan(layout.cells.get("L1-99")!.y);
  });

  it("is computed once per drawing", () => {
    let runs = 0;
    const cache = new LayoutCache(2, (visible) => {
      runs += 1;
      return layoutGraph(visible);
    });
    const graph = buildGraph(layered({ levels: [1, 400, 1] }));
    const units = unitsOf(graph);
    const collapsed = visibleGraph(graph, units, new Map());
    const open = visibleGraph(graph, units, expand(new Map(), units[1]!));
    const first = cache.get(collapsed);
    cache.get(open);
    expect(cache.get(visibleGraph(graph, units, new Map()))).toBe(first); // closed again: no layout
    expect(runs).toBe(2);
    // a reload with new statuses draws the same: same key
    const again = buildGraph(layered({ levels: [1, 400, 1], status: "SUCCEEDED" }));
    expect(cache.get(visibleGraph(again, unitsOf(again), new Map()))).toBe(first);
    // and so does one that lists the edges in another order
    const doc = layered({ levels: [1, 400, 1] });
    const shuffled = buildGraph({ ...doc, edges: [...doc.edges].reverse() });
    expect(cache.get(visibleGraph(shuffled, unitsOf(shuffled), new Map()))).toBe(first);
    expect(runs).toBe(2);
  });

  it("draws a smooth path through the bend points", () => {
    expect(pathThrough([{ x: 0, y: 0 }, { x: 10, y: 10 }, { x: 20, y: 10 }])).toBe("M0,0 Q10,10 15,10 L20,10");
    expect(pathThrough([])).toBe("");
  });
});
