// A bounded buffer of the newest items: once full, each item pushed takes the place of
// the oldest (no array grows or shifts). What a live log keeps on screen.

export class RingBuffer<T> {
  private readonly slots: (T | undefined)[];
  private start = 0;
  private count = 0;
  /** How many items were pushed out to make room, since the last clear. */
  dropped = 0;

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new RangeError("a ring buffer holds at least one item");
    this.slots = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(items: Iterable<T>): void {
    for (const item of items) {
      const end = (this.start + this.count) % this.capacity;
      this.slots[end] = item;
      if (this.count < this.capacity) this.count++;
      else {
        this.start = (this.start + 1) % this.capacity;
        this.dropped++;
      }
    }
  }

  /** The items, oldest first (a new array). */
  toArray(): T[] {
    const out = new Array<T>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.slots[(this.start + i) % this.capacity] as T;
    return out;
  }

  clear(): void {
    this.slots.fill(undefined);
    this.start = this.count = this.dropped = 0;
  }
}
