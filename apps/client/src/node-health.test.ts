import { describe, expect, it } from "vitest";
import { NodeHealth } from "./node-health.js";

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("NodeHealth", () => {
  it("skips a failed node until its backoff has passed, then lets it be tried again", () => {
    const c = clock();
    const h = new NodeHealth({ backoffMs: 100, maxBackoffMs: 1000, now: c.now, random: () => 0.5 });
    expect(h.isAvailable("a")).toBe(true);
    expect(h.recordFailure("a")).toBe(100);
    expect(h.isAvailable("a")).toBe(false);
    expect(h.isAvailable("b")).toBe(true);
    c.advance(99);
    expect(h.isAvailable("a")).toBe(false);
    expect(h.retryInMs("a")).toBe(1);
    c.advance(1);
    expect(h.isAvailable("a")).toBe(true);
  });

  it("doubles the backoff per consecutive failure, up to the cap", () => {
    const h = new NodeHealth({ backoffMs: 100, maxBackoffMs: 1000, random: () => 0.5 });
    expect([1, 2, 3, 4, 5, 6].map(() => h.recordFailure("a"))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(h.failures("a")).toBe(6);
  });

  it("forgets the failures after one success", () => {
    const h = new NodeHealth({ backoffMs: 100, random: () => 0.5 });
    h.recordFailure("a");
    h.recordFailure("a");
    h.recordSuccess("a");
    expect(h.isAvailable("a")).toBe(true);
    expect(h.failures("a")).toBe(0);
    expect(h.recordFailure("a")).toBe(100);
  });

  it("jitters each backoff by at most 20 %", () => {
    const low = new NodeHealth({ backoffMs: 1000, random: () => 0 });
    const high = new NodeHealth({ backoffMs: 1000, random: () => 0.999999 });
    expect(low.recordFailure("a")).toBe(800);
    expect(high.recordFailure("a")).toBe(1200);
  });
});
