// Positions for what collapse.ts decided to draw, by dagre (left to right, one column
// per rank). dagre takes about 1 ms a node here, so it only ever sees the visible graph
// (at most SINGLE_NODE_LIMIT nodes, blocks counting as one) and each result is cached by
// the drawing's key: opening and closing a unit again, or a reload that changed only
// statuses, costs no layout. Status changes never reach this module.
import dagre from "@dagrejs/dagre";
import type { VisibleBlock, VisibleGraph, VisibleNode } from "./collapse";

export const NODE = { width: 196, height: 46 } as const;
export const COUNT = { width: 240, height: 80 } as const;
export const BLOCK = { header: 32, padding: 10, gap: 8 } as const;

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Layout {
  width: number;
  height: number;
  /** Each visible node's box (top-left corner and size). */
  boxes: ReadonlyMap<string, Box>;
  /** Each block cell's box (a job drawn inside a block), absolute. */
  cells: ReadonlyMap<string, Box>;
  /** Each block's "more" cell, by its tally id, absolute. */
  more: ReadonlyMap<string, Box>;
  /** Each drawn edge's SVG path. */
  paths: ReadonlyMap<string, string>;
  /** How long dagre took. */
  millis: number;
}

/** Columns of a block's grid: tall rather than wide, as ranks run left to right. */
export function blockColumns(cells: number): number {
  return Math.max(1, Math.ceil(Math.sqrt(cells / 4)));
}

function blockSize(block: VisibleBlock): { width: number; height: number } {
  const columns = blockColumns(block.cells.length);
  const rows = Math.ceil(block.cells.length / columns) + (block.more ? 1 : 0);
  return {
    width: BLOCK.padding * 2 + columns * NODE.width + (columns - 1) * BLOCK.gap,
    height: BLOCK.header + BLOCK.padding + rows * NODE.height + (rows - 1) * BLOCK.gap + BLOCK.padding,
  };
}

function sizeOf(node: VisibleNode): { width: number; height: number } {
  if (node.kind === "job") return NODE;
  if (node.kind === "count") return COUNT;
  return blockSize(node);
}

/** A smooth path through dagre's bend points. */
export function pathThrough(points: readonly { x: number; y: number }[]): string {
  if (points.length === 0) return "";
  const f = (n: number) => Math.round(n * 10) / 10;
  let d = `M${f(points[0]!.x)},${f(points[0]!.y)}`;
  for (let i = 1; i < points.length - 1; i++) {
    const p = points[i]!;
    const q = points[i + 1]!;
    d += ` Q${f(p.x)},${f(p.y)} ${f((p.x + q.x) / 2)},${f((p.y + q.y) / 2)}`;
  }
  const last = points[points.length - 1]!;
  return `${d} L${f(last.x)},${f(last.y)}`;
}

export function layoutGraph(visible: VisibleGraph, now: () => number = () => performance.now()): Layout {
  const started = now();
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 14, ranksep: 64, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of visible.nodes) g.setNode(node.id, { ...sizeOf(node) });
  for (const edge of visible.edges) {
    // the critical path pulls harder, so that it tends to run straight
    g.setEdge(edge.from, edge.to, { weight: edge.critical ? 4 : 1, minlen: 1 });
  }
  dagre.layout(g, { disableOptimalOrderHeuristic: visible.nodes.length > 60 });

  const boxes = new Map<string, Box>();
  const cells = new Map<string, Box>();
  const more = new Map<string, Box>();
  for (const node of visible.nodes) {
    const placed = g.node(node.id) as { x: number; y: number; width: number; height: number };
    const box = { x: placed.x - placed.width / 2, y: placed.y - placed.height / 2, width: placed.width, height: placed.height };
    boxes.set(node.id, box);
    if (node.kind !== "block") continue;
    const columns = blockColumns(node.cells.length);
    node.cells.forEach((id, i) => {
      const column = i % columns;
      const row = Math.floor(i / columns);
      cells.set(id, {
        x: box.x + BLOCK.padding + column * (NODE.width + BLOCK.gap),
        y: box.y + BLOCK.header + row * (NODE.height + BLOCK.gap),
        width: NODE.width,
        height: NODE.height,
      });
    });
    if (node.more) {
      const rows = Math.ceil(node.cells.length / columns);
      more.set(node.more.tally, {
        x: box.x + BLOCK.padding,
        y: box.y + BLOCK.header + rows * (NODE.height + BLOCK.gap),
        width: box.width - BLOCK.padding * 2,
        height: NODE.height,
      });
    }
  }
  const paths = new Map<string, string>();
  for (const edge of visible.edges) {
    if (edge.hint) continue;
    const placed = g.edge(edge.from, edge.to) as { points?: { x: number; y: number }[] } | undefined;
    if (placed?.points) paths.set(edge.id, pathThrough(placed.points));
  }
  const graph = g.graph() as { width?: number; height?: number };
  return {
    width: Math.ceil(graph.width ?? 0),
    height: Math.ceil(graph.height ?? 0),
    boxes,
    cells,
    more,
    paths,
    millis: now() - started,
  };
}

/** Layouts by drawing key, the most recently used kept (a page keeps one cache). */
export class LayoutCache {
  private entries = new Map<string, Layout>();
  constructor(
    private readonly size = 12,
    private readonly compute: (visible: VisibleGraph) => Layout = layoutGraph,
  ) {}

  get(visible: VisibleGraph): Layout {
    const hit = this.entries.get(visible.key);
    if (hit) {
      this.entries.delete(visible.key); // most recent last
      this.entries.set(visible.key, hit);
      return hit;
    }
    const layout = this.compute(visible);
    this.entries.set(visible.key, layout);
    if (this.entries.size > this.size) this.entries.delete(this.entries.keys().next().value!);
    return layout;
  }
}
