import { EventLog } from "./eventLog";

describe("EventLog", () => {
  it("gives a read the events received after it went out, and keeps none when no read is out", () => {
    const log = new EventLog<string>();
    log.push("before any read");
    const first = log.mark();
    log.push("a");
    const second = log.mark();
    log.push("b");
    expect(log.settle(second)).toEqual(["b"]);
    expect(log.settle(first)).toEqual(["a", "b"]);
    log.push("no read out");
    const third = log.mark();
    expect(log.settle(third)).toEqual([]);
  });

  it("keeps the events of two reads that went out together until both answered", () => {
    const log = new EventLog<string>();
    const one = log.mark();
    const two = log.mark();
    log.push("a");
    expect(log.settle(one)).toEqual(["a"]);
    log.push("b");
    expect(log.settle(two)).toEqual(["a", "b"]);
  });

  it("forgets everything when cleared", () => {
    const log = new EventLog<string>();
    const mark = log.mark();
    log.push("a");
    log.clear();
    log.push("b");
    expect(log.settle(mark)).toEqual([]);
  });

  it("keeps at most its limit, dropping the oldest and saying so", () => {
    const log = new EventLog<string>(2);
    const mark = log.mark();
    expect(log.push("a")).toBe(true);
    expect(log.push("b")).toBe(true);
    expect(log.push("c")).toBe(false);
    expect(log.size).toBe(2);
    expect(log.settle(mark)).toEqual(["b", "c"]);
    expect(log.size).toBe(0);
  });
});
