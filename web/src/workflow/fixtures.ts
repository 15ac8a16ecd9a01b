// Graph documents for the tests: layered graphs of any size, and map groups, shaped as
// the server's `graph { json }` (ids are short names here, UUIDs there).
import type { JobStatus } from "../gql/graphql";
import type { GraphDoc, GraphEdgeDoc, GraphNodeDoc } from "./graph";

export interface LayeredOptions {
  /** Jobs per level, e.g. [1, 3, 1]. */
  levels: number[];
  status?: JobStatus;
  /** Each job of a level depends on this many jobs of the level before (the first ones). */
  fanIn?: number;
}

const edge = (parent: string, child: string): GraphEdgeDoc => ({
  parent,
  child,
  type: "SEQUENTIAL",
  condition: "SUCCEEDED",
  status: "PENDING",
});

/** Jobs named `L<level>-<index>`; each depends on the first `fanIn` jobs of the level
 * before; the critical path runs through the first job of each level. */
export function layered({ levels, status = "PENDING", fanIn = 1 }: LayeredOptions): GraphDoc {
  const nodes: GraphNodeDoc[] = [];
  const edges: GraphEdgeDoc[] = [];
  const ids: string[][] = [];
  levels.forEach((count, level) => {
    const row: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = `L${level}-${i}`;
      row.push(id);
      nodes.push({ id, label: id, status, jobType: "noop" });
      if (level > 0) {
        const before = ids[level - 1]!;
        for (let k = 0; k < Math.min(fanIn, before.length); k++) edges.push(edge(before[k]!, id));
      }
    }
    ids.push(row);
  });
  return {
    nodes,
    edges,
    roots: ids[0] ?? [],
    leaves: ids[ids.length - 1] ?? [],
    levels: ids,
    criticalPath: ids.map((row) => row[0]!),
  };
}

/** extract -> price (a template with `count` mapped children) -> load, as the server
 * sends it: the children are roots (level 0) with an edge into the template. */
export function mapped(count: number, status: JobStatus = "PENDING"): GraphDoc {
  const children = Array.from({ length: count }, (_, i) => `price[${i}]`);
  const nodes: GraphNodeDoc[] = [
    { id: "extract", label: "extract", status, jobType: "extract" },
    { id: "price", label: "price", status, jobType: "price" },
    { id: "load", label: "load", status, jobType: "load" },
    ...children.map((id, i) => ({ id, label: id, status, jobType: "price", group: "price", mapIndex: i })),
  ];
  const edges = [edge("extract", "price"), edge("price", "load"), ...children.map((c) => edge(c, "price"))];
  return {
    nodes,
    edges,
    roots: ["extract", ...children],
    leaves: ["load"],
    levels: [["extract", ...children], ["price"], ["load"]],
    criticalPath: ["extract", "price", "load"],
    groups: [{ template: "price", label: "price", count, jobs: children }],
  };
}
