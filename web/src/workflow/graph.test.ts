import { mapped } from "./fixtures";
import { buildGraph, edgeKey, parseGraphDoc } from "./graph";

describe("the graph document", () => {
  it("is read from the JSON value, as an object or as text", () => {
    const doc = mapped(2);
    expect(parseGraphDoc(doc).nodes).toHaveLength(5);
    expect(parseGraphDoc(JSON.stringify(doc)).groups?.[0]?.jobs).toEqual(["price[0]", "price[1]"]);
  });

  it("is refused when it is no graph", () => {
    expect(() => parseGraphDoc({ nodes: [] })).toThrow(/not a graph document/);
    expect(() => parseGraphDoc({ nodes: [{ id: "a" }], edges: [], levels: [] })).toThrow(/without id or status/);
  });

  it("is indexed: levels, parents, map groups, critical path and its edges", () => {
    const graph = buildGraph(parseGraphDoc(mapped(2)));
    expect(graph.jobs.get("price")?.level).toBe(1);
    expect(graph.jobs.get("price[1]")).toMatchObject({ group: "price", mapIndex: 1, level: 0 });
    expect(graph.parents.get("price")).toEqual(["extract", "price[0]", "price[1]"]);
    expect([...graph.criticalEdges]).toEqual([edgeKey("extract", "price"), edgeKey("price", "load")]);
    expect(graph.statuses.get("load")).toBe("PENDING");
  });

  it("has the same shape after a reload that changed only statuses, another when jobs came", () => {
    const before = buildGraph(mapped(2));
    expect(buildGraph(mapped(2, "SUCCEEDED")).shape).toBe(before.shape);
    expect(buildGraph(mapped(3)).shape).not.toBe(before.shape);
  });

  it("has the same shape whatever order the server lists jobs and edges in", () => {
    const doc = mapped(3);
    const reordered = { ...doc, nodes: [...doc.nodes].reverse(), edges: [...doc.edges].reverse() };
    expect(buildGraph(reordered).shape).toBe(buildGraph(doc).shape);
    const turned = { ...doc, edges: doc.edges.map((e) => (e.parent === "price" ? { ...e, parent: e.child, child: e.parent } : e)) };
    expect(buildGraph(turned).shape).not.toBe(buildGraph(doc).shape);
  });
});
