// The events that came while reads were on their way. A read answers with the server's
// rows as they were when it ran; an event received after the read went out may be newer
// than that answer (its change was committed after the read, or reached the client
// before the answer did). Replacing rows with the answer would undo it, and nothing
// would bring it back until the job's next event. So each read takes a mark when it goes
// out, and on its answer the events received since the mark are played again onto the
// rows it brought. Events are kept only while some read is out, and at most `limit` of
// them: past that the oldest are dropped, and `push` says so (the reads out can no longer
// be replayed in full: the view must be read again).

/** How many events a log keeps at most while reads are out. */
export const EVENT_LOG_LIMIT = 10_000;

export class EventLog<E> {
  constructor(private readonly limit: number = EVENT_LOG_LIMIT) {}

  private seq = 0;
  private entries: { seq: number; event: E }[] = [];
  /** The marks of the reads still out, and how many reads hold each. */
  private open = new Map<number, number>();

  /** A read goes out: the events from now on are kept for it. */
  mark(): number {
    this.open.set(this.seq, (this.open.get(this.seq) ?? 0) + 1);
    return this.seq;
  }

  /** An event came. False if the log was full and dropped its oldest event: the reads
   * out will miss it (the caller reads again, after `clear`). */
  push(event: E): boolean {
    this.seq += 1;
    if (!this.open.size) return true;
    this.entries.push({ seq: this.seq, event });
    if (this.entries.length <= this.limit) return true;
    this.entries.splice(0, this.entries.length - this.limit);
    return false;
  }

  /** How many events are kept (for the reads out). */
  get size(): number {
    return this.entries.length;
  }

  /** The events received since `mark`, the read staying out (an answer that is not its
   * last, e.g. from a cache). */
  since(mark: number): E[] {
    return this.entries.filter((entry) => entry.seq > mark).map((entry) => entry.event);
  }

  /** The read marked `mark` answered: the events received since it went out, oldest
   * first. The mark is closed; events no open read needs are dropped. */
  settle(mark: number): E[] {
    const since = this.since(mark);
    const holders = this.open.get(mark) ?? 0;
    if (holders > 1) this.open.set(mark, holders - 1);
    else this.open.delete(mark);
    const oldest = Math.min(...this.open.keys());
    this.entries = this.open.size ? this.entries.filter((entry) => entry.seq > oldest) : [];
    return since;
  }

  /** Every open read is void (the view starts again): nothing is kept. */
  clear(): void {
    this.open.clear();
    this.entries = [];
  }
}
