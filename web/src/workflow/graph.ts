// A workflow's dependency graph as the page holds it: read from `graph { json }` (the
// cheap way to load a big graph: one JSON value instead of an object per node and edge)
// and indexed once, so that everything after (units, visible graph, live updates)
// looks jobs up by id.
import type { JobStatus } from "../gql/graphql";

/** One node of the `graph.json` document (see taskforge/domain/dag.py `json_document`). */
export interface GraphNodeDoc {
  id: string;
  label: string;
  status: JobStatus;
  jobType: string;
  /** A mapped job's template (the job with map_over that made it). */
  group?: string | null;
  mapIndex?: number | null;
  /** A workflow job's latest child run. */
  childWorkflowId?: string | null;
}

export interface GraphEdgeDoc {
  parent: string;
  child: string;
  type: string;
  condition: string;
  status: string;
}

export interface GraphGroupDoc {
  template: string;
  label: string;
  count: number;
  jobs: string[];
}

export interface GraphDoc {
  nodes: GraphNodeDoc[];
  edges: GraphEdgeDoc[];
  roots: string[];
  leaves: string[];
  levels: string[][];
  criticalPath: string[];
  groups?: GraphGroupDoc[];
}

export interface JobNode {
  id: string;
  label: string;
  jobType: string;
  /** Topological level (0: the roots), as the server computed it. */
  level: number;
  group: string | null;
  mapIndex: number | null;
  childWorkflowId: string | null;
}

export interface WorkflowGraph {
  /** Every job, in the document's order. */
  jobs: ReadonlyMap<string, JobNode>;
  /** Each edge once, parent first. */
  edges: ReadonlyArray<readonly [string, string]>;
  parents: ReadonlyMap<string, readonly string[]>;
  levels: ReadonlyArray<readonly string[]>;
  groups: readonly GraphGroupDoc[];
  /** The critical path, first job first. */
  criticalPath: readonly string[];
  critical: ReadonlySet<string>;
  /** `edgeKey(parent, child)` of each step along the critical path. */
  criticalEdges: ReadonlySet<string>;
  /** The statuses the document was read with. */
  statuses: ReadonlyMap<string, JobStatus>;
  /** Same value for two graphs with the same jobs and edges (statuses aside). */
  shape: string;
}

export function edgeKey(parent: string, child: string): string {
  return `${parent}>${child}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function strings(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw new Error(`graph.json: ${field} is not a list of ids`);
  }
  return value as string[];
}

/** The `graph { json }` value, checked for the fields the page reads. */
export function parseGraphDoc(value: unknown): GraphDoc {
  const doc = typeof value === "string" ? (JSON.parse(value) as unknown) : value;
  if (!isObject(doc) || !Array.isArray(doc.nodes) || !Array.isArray(doc.edges) || !Array.isArray(doc.levels)) {
    throw new Error("graph.json: not a graph document");
  }
  for (const node of doc.nodes as unknown[]) {
    if (!isObject(node) || typeof node.id !== "string" || typeof node.status !== "string") {
      throw new Error("graph.json: a node without id or status");
    }
  }
  for (const edge of doc.edges as unknown[]) {
    if (!isObject(edge) || typeof edge.parent !== "string" || typeof edge.child !== "string") {
      throw new Error("graph.json: an edge without parent or child");
    }
  }
  return {
    nodes: doc.nodes as GraphNodeDoc[],
    edges: doc.edges as GraphEdgeDoc[],
    roots: strings(doc.roots ?? [], "roots"),
    leaves: strings(doc.leaves ?? [], "leaves"),
    levels: (doc.levels as unknown[]).map((level, i) => strings(level, `levels[${i}]`)),
    criticalPath: strings(doc.criticalPath ?? [], "criticalPath"),
    groups: Array.isArray(doc.groups) ? (doc.groups as GraphGroupDoc[]) : [],
  };
}

/** The graph of a document; `criticalPath` (the weighted one of `graph { criticalPath }`)
 * replaces the document's, which counts every job as 1. */
export function buildGraph(doc: GraphDoc, criticalPath?: readonly string[] | null): WorkflowGraph {
  const levelOf = new Map<string, number>();
  doc.levels.forEach((level, i) => {
    for (const id of level) levelOf.set(id, i);
  });
  const jobs = new Map<string, JobNode>();
  const statuses = new Map<string, JobStatus>();
  for (const node of doc.nodes) {
    jobs.set(node.id, {
      id: node.id,
      label: node.label || node.jobType || node.id,
      jobType: node.jobType,
      level: levelOf.get(node.id) ?? 0,
      group: node.group ?? null,
      mapIndex: node.mapIndex ?? null,
      childWorkflowId: node.childWorkflowId ?? null,
    });
    statuses.set(node.id, node.status);
  }
  const seen = new Set<string>();
  const edges: (readonly [string, string])[] = [];
  const parents = new Map<string, string[]>();
  for (const { parent, child } of doc.edges) {
    const key = edgeKey(parent, child);
    if (seen.has(key) || !jobs.has(parent) || !jobs.has(child)) continue;
    seen.add(key);
    edges.push([parent, child]);
    const list = parents.get(child);
    if (list) list.push(parent);
    else parents.set(child, [parent]);
  }
  const path = (criticalPath ?? doc.criticalPath).filter((id) => jobs.has(id));
  const criticalEdges = new Set<string>();
  for (let i = 1; i < path.length; i++) criticalEdges.add(edgeKey(path[i - 1]!, path[i]!));
  return {
    jobs,
    edges,
    parents,
    levels: doc.levels,
    groups: (doc.groups ?? []).filter((g) => jobs.has(g.template)),
    criticalPath: path,
    critical: new Set(path),
    criticalEdges,
    statuses,
    shape: shapeOf(jobs.keys(), edges),
  };
}

/** A short fingerprint of the jobs and edges, whatever their order (the server lists
 * them in no fixed order): the sum of an FNV-1a hash per job and per edge. It tells
 * whether a reload changed the graph's structure or only its statuses. */
function shapeOf(ids: Iterable<string>, edges: ReadonlyArray<readonly [string, string]>): string {
  const hash = (text: string, seed: number) => {
    let h = seed;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    return h >>> 0;
  };
  let sum = 0;
  let count = 0;
  for (const id of ids) {
    sum = (sum + hash(id, 0x811c9dc5)) >>> 0;
    count += 1;
  }
  for (const [p, c] of edges) sum = (sum + hash(c, hash(p, 0x811c9dc5) ^ 0x3e)) >>> 0;
  return `${count}:${edges.length}:${sum.toString(16)}`;
}
