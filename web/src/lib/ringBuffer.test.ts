import { RingBuffer } from "./ringBuffer";

describe("RingBuffer", () => {
  it("keeps the newest items, oldest first, and counts what it pushed out", () => {
    const ring = new RingBuffer<number>(3);
    ring.push([1, 2]);
    expect(ring.toArray()).toEqual([1, 2]);
    ring.push([3, 4, 5]);
    expect(ring.toArray()).toEqual([3, 4, 5]);
    expect(ring.size).toBe(3);
    expect(ring.dropped).toBe(2);
    ring.push(Array.from({ length: 10 }, (_, i) => 10 + i));
    expect(ring.toArray()).toEqual([17, 18, 19]);
    ring.clear();
    expect([ring.toArray(), ring.size, ring.dropped]).toEqual([[], 0, 0]);
  });

  it("refuses no room at all", () => {
    expect(() => new RingBuffer(0)).toThrow(RangeError);
  });
});
