import { describe, expect, it } from "vitest";
import { VirtualClock } from "./virtual-clock.js";

describe("VirtualClock", () => {
  it("runs timers in time order, ties in the order they were set", () => {
    const c = new VirtualClock();
    const order: string[] = [];
    c.setTimeout(() => order.push("b@20"), 20);
    c.setTimeout(() => order.push("a@10"), 10);
    c.setTimeout(() => order.push("c@20"), 20);
    c.setTimeout(() => {
      order.push("d@5");
      c.setTimeout(() => order.push("e@5+0"), 0);
    }, 5);
    c.advance(15);
    expect(order).toEqual(["d@5", "e@5+0", "a@10"]);
    expect(c.now()).toBe(15);
    c.advance(5);
    expect(order).toEqual(["d@5", "e@5+0", "a@10", "b@20", "c@20"]);
  });

  it("does not run cancelled timers, and counts pending ones", () => {
    const c = new VirtualClock();
    let ran = false;
    const t = c.setTimeout(() => {
      ran = true;
    }, 10);
    expect(c.pending).toBe(1);
    t.cancel();
    t.cancel();
    expect(c.pending).toBe(0);
    c.advance(100);
    expect(ran).toBe(false);
  });

  it("runUntil stops as soon as the predicate holds, or at the timeout", () => {
    const c = new VirtualClock();
    let x = 0;
    c.setTimeout(() => {
      x = 1;
    }, 250);
    expect(c.runUntil(() => x === 1, 10_000, 100)).toBe(true);
    expect(c.now()).toBe(300);
    expect(c.runUntil(() => false, 1_000)).toBe(false);
    expect(c.now()).toBe(1_300);
  });
});
