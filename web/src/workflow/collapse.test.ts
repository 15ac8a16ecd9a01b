import { COLLAPSE_ABOVE, collapse, expand, GROUP_OPEN_UP_TO, PAGE, showMore, SINGLE_NODE_LIMIT, unitsOf, visibleGraph } from "./collapse";
import { layered, mapped } from "./fixtures";
import { buildGraph } from "./graph";

describe("units", () => {
  it("puts each job in one unit: its level, or its template's map group", () => {
    const graph = buildGraph(mapped(5));
    const units = unitsOf(graph);
    expect(units.map((u) => [u.key, u.members.length])).toEqual([
      ["level:0", 1],
      ["level:1", 1],
      ["level:2", 1],
      ["group:price", 5],
    ]);
    const group = units.find((u) => u.kind === "group")!;
    expect(group.members).toEqual(["price[0]", "price[1]", "price[2]", "price[3]", "price[4]"]);
    expect(group.templateId).toBe("price");
    expect(group.title).toBe("price (map)");
  });
});

describe("a small graph", () => {
  it("is drawn job by job, nothing collapsed", () => {
    const graph = buildGraph(layered({ levels: [1, 3, 1] }));
    const visible = visibleGraph(graph, unitsOf(graph), new Map());
    expect(visible.nodes.map((n) => n.kind)).toEqual(["job", "job", "job", "job", "job"]);
    expect(visible.jobsShown).toBe(5);
    expect(visible.tallies.size).toBe(0);
    expect(visible.edges.map((e) => e.id)).toEqual(["L0-0>L1-0", "L0-0>L1-1", "L0-0>L1-2", "L1-0>L2-0"]);
  });

  it("shows a small map group open in a block, a large one as a count node", () => {
    const small = buildGraph(mapped(GROUP_OPEN_UP_TO));
    const block = visibleGraph(small, unitsOf(small), new Map()).nodes.find((n) => n.kind === "block");
    expect(block?.kind === "block" && block.cells.length).toBe(GROUP_OPEN_UP_TO);

    const large = buildGraph(mapped(GROUP_OPEN_UP_TO + 1));
    const visible = visibleGraph(large, unitsOf(large), new Map());
    const count = visible.nodes.find((n) => n.kind === "count");
    expect(count?.id).toBe("count:group:price");
    expect(visible.tallies.get("count:group:price")).toHaveLength(GROUP_OPEN_UP_TO + 1);
  });

  it("draws a map group's edges once, from the group to its template, and lays it out after the template's parents", () => {
    const graph = buildGraph(mapped(20));
    const visible = visibleGraph(graph, unitsOf(graph), new Map());
    const drawn = visible.edges.filter((e) => !e.hint).map((e) => e.id);
    expect(drawn).toEqual(["extract>price", "price>load", "count:group:price>price"]);
    expect(visible.edges.filter((e) => e.hint).map((e) => e.id)).toEqual(["extract>count:group:price"]);
  });
});

describe("a large graph", () => {
  const graph = buildGraph(layered({ levels: [1, 2_000, 400, 1] }));
  const units = unitsOf(graph);
  const level1 = units.find((u) => u.key === "level:1")!;

  it(`collapses each level of more than one job above ${COLLAPSE_ABOVE} jobs`, () => {
    const visible = visibleGraph(graph, units, new Map());
    expect(visible.nodes.map((n) => `${n.kind}:${n.id}`)).toEqual([
      "job:L0-0",
      "count:count:level:1",
      "count:count:level:2",
      "job:L3-0",
    ]);
    expect(visible.jobsShown).toBe(2);
    expect(visible.tallies.get("count:level:1")).toHaveLength(2_000);
    // edges between what is drawn, once each
    expect(visible.edges.map((e) => e.id)).toEqual([
      "L0-0>count:level:1",
      "count:level:1>count:level:2",
      "count:level:2>L3-0",
    ]);
  });

  it("opens a level a page at a time, the rest in a 'more' cell, and closes it again", () => {
    let expansion = expand(new Map(), level1);
    let visible = visibleGraph(graph, units, expansion);
    const block = visible.nodes.find((n) => n.id === "block:level:1");
    expect(block?.kind).toBe("block");
    if (block?.kind !== "block") return;
    expect(block.cells).toHaveLength(PAGE);
    expect(block.cells[0]).toBe("L1-0");
    expect(block.more).toEqual({ tally: "more:level:1", size: 2_000 - PAGE });
    expect(visible.tallies.get("more:level:1")).toHaveLength(2_000 - PAGE);
    expect(visible.placeOf.get("L1-150")).toBe("block:level:1");
    expect(visible.jobsShown).toBe(2 + PAGE);

    expansion = showMore(expansion, level1, graph.jobs.size);
    visible = visibleGraph(graph, units, expansion);
    const bigger = visible.nodes.find((n) => n.id === "block:level:1");
    expect(bigger?.kind === "block" && bigger.cells.length).toBe(2 * PAGE);

    expansion = collapse(expansion, level1);
    visible = visibleGraph(graph, units, expansion);
    expect(visible.nodes.some((n) => n.id === "count:level:1")).toBe(true);
    expect(visible.jobsShown).toBe(2);
  });

  it("adds one page per click and stops at the unit's size", () => {
    const g = buildGraph(layered({ levels: [1, 150, 200] }));
    const unit = unitsOf(g).find((u) => u.key === "level:1")!;
    let expansion = expand(new Map(), unit);
    expect(expansion.get("level:1")).toBe(PAGE);
    expansion = showMore(expansion, unit, g.jobs.size);
    expect(expansion.get("level:1")).toBe(150);
    expansion = showMore(expansion, unit, g.jobs.size);
    expect(expansion.get("level:1")).toBe(150);
    const block = visibleGraph(g, unitsOf(g), expansion).nodes.find((n) => n.id === "block:level:1");
    expect(block?.kind === "block" && block.more).toBeNull();
  });

  it("draws open units as blocks once too many nodes are shown one by one", () => {
    const wide = buildGraph(layered({ levels: [1, 120, 120, 1] }));
    const wideUnits = unitsOf(wide);
    // under the collapse threshold: everything open, but 242 nodes are over the limit
    expect(wide.jobs.size).toBeLessThanOrEqual(COLLAPSE_ABOVE);
    expect(242).toBeGreaterThan(SINGLE_NODE_LIMIT);
    const visible = visibleGraph(wide, wideUnits, new Map());
    expect(visible.nodes.map((n) => n.kind)).toEqual(["job", "block", "block", "job"]);
    expect(visible.jobsShown).toBe(242);
  });
});

describe("the critical path", () => {
  it("marks the jobs on it, the units holding one, and the edges along it", () => {
    const small = buildGraph(layered({ levels: [1, 3, 1] }));
    const visible = visibleGraph(small, unitsOf(small), new Map());
    const critical = visible.nodes.filter((n) => n.critical).map((n) => n.id);
    expect(critical).toEqual(["L0-0", "L1-0", "L2-0"]);
    expect(visible.edges.filter((e) => e.critical).map((e) => e.id)).toEqual(["L0-0>L1-0", "L1-0>L2-0"]);

    const large = buildGraph(layered({ levels: [1, 400, 1] }));
    const collapsed = visibleGraph(large, unitsOf(large), new Map());
    expect(collapsed.nodes.every((n) => n.critical)).toBe(true);
    expect(collapsed.edges.every((e) => e.critical)).toBe(true);
  });

  it("follows the weighted path the server gives over the document's", () => {
    const graph = buildGraph(layered({ levels: [1, 3, 1] }), ["L0-0", "L1-2", "L2-0"]);
    const visible = visibleGraph(graph, unitsOf(graph), new Map());
    expect(visible.nodes.filter((n) => n.critical).map((n) => n.id)).toEqual(["L0-0", "L1-2", "L2-0"]);
    // L1-2 -> L2-0 is no edge of the graph: only the first step is drawn marked
    expect(visible.edges.filter((e) => e.critical).map((e) => e.id)).toEqual(["L0-0>L1-2"]);
  });
});
