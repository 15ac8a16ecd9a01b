// Live statuses of a workflow's jobs, kept apart from the layout: an event recolours the
// one node (or count node) it concerns and nothing else is laid out or re-rendered.
//
// - StatusStore: each job's status, the per-status tallies of the count nodes, and one
//   listener list per node, for React's useSyncExternalStore.
// - FrameQueue: events arrive one by one (100 a second and more); they are applied in
//   one batch per animation frame.
// - Journal: a reload of the graph answers with the statuses as of some moment while it
//   was in flight; the events received since it was sent are applied again on top of
//   its answer. Events come in order and each sets a job's status, so the last one of
//   a job wins and the result is the same as if the reload had been instant.
import type { JobStatus } from "../gql/graphql";
import { STATUS_ORDER, type Counts } from "./appearance";

export interface StatusEvent {
  jobId: string | null | undefined;
  status: JobStatus | null | undefined;
}

export interface ApplyResult {
  /** Node and tally ids whose look changed. */
  changed: Set<string>;
  /** Jobs the graph does not hold (added since it was read: reload it). */
  unknown: string[];
}

type Listener = () => void;

const EMPTY: Counts = Object.freeze({});

export class StatusStore {
  private statuses = new Map<string, JobStatus>();
  private tallyOf = new Map<string, string>();
  private tallies = new Map<string, Counts>();
  private listeners = new Map<string, Set<Listener>>();
  private totals: Partial<Record<JobStatus, number>> = {};

  status(jobId: string): JobStatus | undefined {
    return this.statuses.get(jobId);
  }

  /** A tally's counts; the same object until one of its jobs changes. */
  counts(tally: string): Counts {
    return this.tallies.get(tally) ?? EMPTY;
  }

  /** Jobs per status over the whole graph. */
  total(): Counts {
    return { ...this.totals };
  }

  get size(): number {
    return this.statuses.size;
  }

  /** `fn` when the node (job id) or tally changes; returns the unsubscribe. */
  subscribe(key: string, fn: Listener): () => void {
    let set = this.listeners.get(key);
    if (!set) {
      set = new Set();
      this.listeners.set(key, set);
    }
    set.add(fn);
    return () => {
      set!.delete(fn);
      if (set!.size === 0 && this.listeners.get(key) === set) this.listeners.delete(key);
    };
  }

  /** Every status anew (a graph read): returns what changed, and tells its listeners. */
  load(statuses: ReadonlyMap<string, JobStatus>): Set<string> {
    const changed = new Set<string>();
    for (const [id, status] of statuses) {
      if (this.statuses.get(id) !== status) changed.add(id);
    }
    for (const id of this.statuses.keys()) if (!statuses.has(id)) changed.add(id);
    this.statuses = new Map(statuses);
    this.totals = {};
    for (const status of this.statuses.values()) this.totals[status] = (this.totals[status] ?? 0) + 1;
    for (const [tally, members] of this.membersByTally()) {
      if (members.some((m) => changed.has(m))) {
        this.tallies.set(tally, this.tally(members));
        changed.add(tally);
      }
    }
    this.notify(changed);
    return changed;
  }

  /** Which jobs each count node (or "more" cell) stands for; recounts them. Called while
   * a drawing renders, so it tells no one: `touch` the tallies once it is committed. */
  setTallies(tallies: ReadonlyMap<string, readonly string[]>): void {
    this.tallyOf = new Map();
    const next = new Map<string, Counts>();
    for (const [tally, members] of tallies) {
      for (const m of members) this.tallyOf.set(m, tally);
      next.set(tally, this.tally(members));
    }
    this.tallies = next;
  }

  /** Tell the listeners of these keys to read again. */
  touch(keys: Iterable<string>): void {
    this.notify(keys);
  }

  /** Apply a batch of events; tell the listeners of what changed, once each. */
  apply(events: readonly StatusEvent[]): ApplyResult {
    const changed = new Set<string>();
    const unknown: string[] = [];
    const copied = new Set<string>(); // tallies already copied in this batch
    for (const { jobId, status } of events) {
      if (!jobId || !status) continue;
      const before = this.statuses.get(jobId);
      if (before === undefined) {
        unknown.push(jobId);
        continue;
      }
      if (before === status) continue;
      this.statuses.set(jobId, status);
      this.totals[before] = (this.totals[before] ?? 1) - 1;
      this.totals[status] = (this.totals[status] ?? 0) + 1;
      const tally = this.tallyOf.get(jobId);
      if (tally === undefined) {
        changed.add(jobId);
        continue;
      }
      let counts = this.tallies.get(tally) as Partial<Record<JobStatus, number>> | undefined;
      if (!copied.has(tally)) {
        counts = { ...counts }; // a new object: useSyncExternalStore sees the change
        this.tallies.set(tally, counts);
        copied.add(tally);
      }
      counts![before] = (counts![before] ?? 1) - 1;
      counts![status] = (counts![status] ?? 0) + 1;
      changed.add(tally);
    }
    this.notify(changed);
    return { changed, unknown };
  }

  private tally(members: readonly string[]): Counts {
    const counts: Partial<Record<JobStatus, number>> = {};
    for (const m of members) {
      const s = this.statuses.get(m);
      if (s) counts[s] = (counts[s] ?? 0) + 1;
    }
    return counts;
  }

  private membersByTally(): Map<string, string[]> {
    const members = new Map<string, string[]>();
    for (const [job, tally] of this.tallyOf) {
      const list = members.get(tally);
      if (list) list.push(job);
      else members.set(tally, [job]);
    }
    return members;
  }

  private notify(keys: Iterable<string>): void {
    for (const key of keys) {
      const set = this.listeners.get(key);
      if (set) for (const fn of [...set]) fn();
    }
  }
}

/** Whether the store's totals agree with the server's stats (`WorkflowStats.counts`). */
export function countsAgree(local: Counts, remote: readonly { status: JobStatus; count: number }[]): boolean {
  const theirs: Partial<Record<JobStatus, number>> = {};
  for (const { status, count } of remote) theirs[status] = count;
  return STATUS_ORDER.every((s) => (local[s] ?? 0) === (theirs[s] ?? 0));
}

type Schedule = (fn: () => void) => unknown;
type Cancel = (handle: unknown) => void;

/** How often a hidden page (no animation frames) hands over what waits. */
export const HIDDEN_FLUSH_MS = 1_000;

const pageHidden = () => typeof document !== "undefined" && document.visibilityState === "hidden";

/** Items pushed during a frame, handed over together at the next one; on a hidden page,
 * where the browser runs no animation frame, every HIDDEN_FLUSH_MS instead (else the
 * items would pile up for as long as the tab stays in the background). */
export class FrameQueue<T> {
  private items: T[] = [];
  private handle: unknown = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly flush: (batch: T[]) => void,
    private readonly schedule: Schedule = (fn) => requestAnimationFrame(fn),
    private readonly cancel: Cancel = (h) => cancelAnimationFrame(h as number),
  ) {}

  push(item: T): void {
    this.items.push(item);
    if (pageHidden()) {
      if (this.timer === null) this.timer = setTimeout(() => this.run(), HIDDEN_FLUSH_MS);
    } else if (this.handle === null) {
      this.handle = this.schedule(() => this.run());
    }
  }

  /** Hand over what waits now (e.g. before a reload's answer is applied). */
  run(): void {
    this.stopTimers();
    if (this.items.length === 0) return;
    const batch = this.items;
    this.items = [];
    this.flush(batch);
  }

  dispose(): void {
    this.stopTimers();
    this.items = [];
  }

  private stopTimers(): void {
    if (this.handle !== null) this.cancel(this.handle);
    this.handle = null;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** The events received while at least one reload is in flight. */
export class Journal<T> {
  private open = 0;
  private events: T[] = [];

  begin(): void {
    this.open += 1;
  }

  record(event: T): void {
    if (this.open > 0) this.events.push(event);
  }

  /** A reload answered: the events to apply again on top of its answer. */
  end(): T[] {
    const replay = this.events.slice();
    this.open = Math.max(0, this.open - 1);
    if (this.open === 0) this.events = [];
    return replay;
  }
}
