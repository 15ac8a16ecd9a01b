// What of a workflow's graph is drawn: every job of a small graph; above COLLAPSE_ABOVE
// jobs each level (and each map group) becomes one count node ("Level 3: 2,000 jobs —
// 1,200 succeeded, 800 pending") that opens on click, a page of PAGE jobs at a time, so
// that a 10,000-job workflow never has 10,000 nodes laid out at once.
//
// A job belongs to one unit: the mapped children of a template (map_over) to their
// template's group, every other job to its topological level. A unit is shown as a
// count node (collapsed), as its jobs one by one (a small level, fully open), or as a
// block: a frame holding its open jobs in a grid, plus a "more" cell for the rest.
// Edges are drawn between what is shown (a job, a count node, a block), once each.
import { edgeKey, type WorkflowGraph } from "./graph";

/** Graphs with more jobs than this open collapsed. */
export const COLLAPSE_ABOVE = 300;
/** A map group with more children than this opens collapsed, whatever the graph's size. */
export const GROUP_OPEN_UP_TO = 12;
/** Jobs a click on a collapsed unit (or on its "more" cell) shows. */
export const PAGE = 100;
/** Above this many shown nodes, open units are drawn as blocks (a grid inside one node
 * of the layout): the layout stays a small graph whatever is open. */
export const SINGLE_NODE_LIMIT = 150;

export interface Unit {
  key: string;
  kind: "level" | "group";
  /** "Level 3", or the template's name for a map group. */
  title: string;
  members: readonly string[];
  level: number;
  /** A map group's template job. */
  templateId: string | null;
}

/** The user's choices: how many of a unit's jobs are shown (0: collapsed). Units not in
 * the map show their default. */
export type Expansion = ReadonlyMap<string, number>;

export function unitsOf(graph: WorkflowGraph): Unit[] {
  const mapped = new Map<string, { id: string; index: number }[]>();
  for (const job of graph.jobs.values()) {
    if (job.group === null || !graph.jobs.has(job.group)) continue;
    const list = mapped.get(job.group) ?? [];
    list.push({ id: job.id, index: job.mapIndex ?? Number.MAX_SAFE_INTEGER });
    mapped.set(job.group, list);
  }
  const inGroup = new Set<string>();
  for (const list of mapped.values()) for (const m of list) inGroup.add(m.id);

  const units: Unit[] = [];
  graph.levels.forEach((level, i) => {
    const members = level.filter((id) => graph.jobs.has(id) && !inGroup.has(id));
    if (members.length === 0) return;
    units.push({ key: `level:${i}`, kind: "level", title: `Level ${i + 1}`, members, level: i, templateId: null });
  });
  for (const [template, list] of mapped) {
    list.sort((a, b) => a.index - b.index);
    const name = graph.jobs.get(template)!.label;
    units.push({
      key: `group:${template}`,
      kind: "group",
      title: `${name} (map)`,
      members: list.map((m) => m.id),
      level: graph.jobs.get(template)!.level,
      templateId: template,
    });
  }
  return units;
}

export function defaultShown(unit: Unit, totalJobs: number): number {
  const size = unit.members.length;
  if (unit.kind === "group") return size <= GROUP_OPEN_UP_TO && totalJobs <= COLLAPSE_ABOVE ? size : 0;
  if (totalJobs <= COLLAPSE_ABOVE || size === 1) return size;
  return 0;
}

export function shownOf(unit: Unit, totalJobs: number, expansion: Expansion): number {
  const chosen = expansion.get(unit.key);
  const shown = chosen ?? defaultShown(unit, totalJobs);
  return Math.max(0, Math.min(unit.members.length, shown));
}

/** Open a collapsed unit: its first PAGE jobs. */
export function expand(expansion: Expansion, unit: Unit): Expansion {
  return new Map(expansion).set(unit.key, Math.min(unit.members.length, PAGE));
}

/** PAGE more of an open unit's jobs. */
export function showMore(expansion: Expansion, unit: Unit, totalJobs: number): Expansion {
  const now = shownOf(unit, totalJobs, expansion);
  return new Map(expansion).set(unit.key, Math.min(unit.members.length, now + PAGE));
}

export function collapse(expansion: Expansion, unit: Unit): Expansion {
  return new Map(expansion).set(unit.key, 0);
}

export interface VisibleJob {
  kind: "job";
  id: string;
  critical: boolean;
}

export interface VisibleCount {
  kind: "count";
  id: string;
  unit: Unit;
  /** Its jobs' statuses are tallied under this id (the node's own). */
  tally: string;
  size: number;
  critical: boolean;
}

export interface VisibleBlock {
  kind: "block";
  id: string;
  unit: Unit;
  /** The jobs shown in it, in order. */
  cells: readonly string[];
  /** The rest of the unit's jobs, tallied under `tally`. */
  more: { tally: string; size: number } | null;
  critical: boolean;
}

export type VisibleNode = VisibleJob | VisibleCount | VisibleBlock;

export interface VisibleEdge {
  id: string;
  from: string;
  to: string;
  critical: boolean;
  /** Only for the layout (a map group's place after its template's parents): not drawn. */
  hint: boolean;
}

export interface VisibleGraph {
  nodes: VisibleNode[];
  edges: VisibleEdge[];
  /** Each job: the id of what shows it (itself, its block or its count node). */
  placeOf: ReadonlyMap<string, string>;
  /** Each count node's (and each "more" cell's) tally id: its jobs. */
  tallies: ReadonlyMap<string, readonly string[]>;
  /** Jobs drawn one by one (nodes or block cells). */
  jobsShown: number;
  /** Same value for the same drawing: the layout's cache key. */
  key: string;
}

export function visibleGraph(graph: WorkflowGraph, units: readonly Unit[], expansion: Expansion): VisibleGraph {
  const total = graph.jobs.size;
  const shown = units.map((unit) => shownOf(unit, total, expansion));
  let drawn = 0; // nodes the layout would get with open units drawn job by job
  units.forEach((unit, i) => {
    const s = shown[i]!;
    drawn += s === 0 ? 1 : s + (s < unit.members.length ? 1 : 0);
  });
  const blocks = drawn > SINGLE_NODE_LIMIT;

  const nodes: VisibleNode[] = [];
  const placeOf = new Map<string, string>();
  const tallies = new Map<string, readonly string[]>();
  const hasCritical = (ids: readonly string[]) => ids.some((id) => graph.critical.has(id));
  let jobsShown = 0;
  units.forEach((unit, i) => {
    const s = shown[i]!;
    const size = unit.members.length;
    if (s === 0) {
      const id = `count:${unit.key}`;
      for (const m of unit.members) placeOf.set(m, id);
      tallies.set(id, unit.members);
      nodes.push({ kind: "count", id, unit, tally: id, size, critical: hasCritical(unit.members) });
    } else if (unit.kind === "level" && s === size && (!blocks || size === 1)) {
      for (const m of unit.members) {
        placeOf.set(m, m);
        nodes.push({ kind: "job", id: m, critical: graph.critical.has(m) });
      }
      jobsShown += size;
    } else {
      const id = `block:${unit.key}`;
      for (const m of unit.members) placeOf.set(m, id);
      const cells = unit.members.slice(0, s);
      const rest = unit.members.slice(s);
      let more: VisibleBlock["more"] = null;
      if (rest.length > 0) {
        more = { tally: `more:${unit.key}`, size: rest.length };
        tallies.set(more.tally, rest);
      }
      nodes.push({ kind: "block", id, unit, cells, more, critical: hasCritical(unit.members) });
      jobsShown += cells.length;
    }
  });

  const edges = new Map<string, VisibleEdge>();
  for (const [parent, child] of graph.edges) {
    const from = placeOf.get(parent)!;
    const to = placeOf.get(child)!;
    if (from === to) continue;
    const id = `${from}>${to}`;
    let edge = edges.get(id);
    if (!edge) {
      edge = { id, from, to, critical: false, hint: false };
      edges.set(id, edge);
    }
    if (graph.criticalEdges.has(edgeKey(parent, child))) edge.critical = true;
  }
  // A template's children are roots of the graph (they wait for nothing), though they
  // are made once the template's parents have ended: laid out after those parents.
  for (const unit of units) {
    if (unit.kind !== "group" || unit.templateId === null) continue;
    const to = placeOf.get(unit.members[0]!)!;
    for (const parent of graph.parents.get(unit.templateId) ?? []) {
      const from = placeOf.get(parent)!;
      const id = `${from}>${to}`;
      if (from !== to && !edges.has(id)) edges.set(id, { id, from, to, critical: false, hint: true });
    }
  }

  const edgeList = [...edges.values()];
  const key = [
    nodes.map((n) => (n.kind === "block" ? `${n.id}#${n.cells.length}` : n.id)).join(","),
    // sorted: the server lists edges in no fixed order, and a reload must hit the cache
    edgeList
      .map((e) => e.id)
      .sort()
      .join(","),
  ].join("|");
  return { nodes, edges: edgeList, placeOf, tallies, jobsShown, key };
}
