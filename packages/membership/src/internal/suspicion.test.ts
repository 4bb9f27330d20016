import { describe, expect, it } from "vitest";
import { VirtualClock } from "../virtual-clock.js";
import { remainingSuspicionTime, Suspicion, suspicionTimeout } from "./suspicion.js";

describe("suspicionTimeout", () => {
  it("is suspicionMult probe intervals for clusters up to 10 nodes", () => {
    expect(suspicionTimeout(4, 1, 1000)).toBe(4000);
    expect(suspicionTimeout(4, 5, 1000)).toBe(4000);
    expect(suspicionTimeout(4, 10, 1000)).toBe(4000);
  });

  it("grows with log10 of the cluster size", () => {
    expect(suspicionTimeout(4, 100, 1000)).toBe(8000);
    expect(suspicionTimeout(4, 1000, 1000)).toBe(12000);
    expect(suspicionTimeout(3, 1000, 100)).toBe(900);
  });
});

describe("remainingSuspicionTime (memberlist's table)", () => {
  it("starts at max, reaches min with k confirmations, and never goes below min", () => {
    expect(remainingSuspicionTime(0, 3, 0, 2000, 30000)).toBe(30000);
    expect(remainingSuspicionTime(1, 3, 2000, 2000, 30000)).toBe(14000);
    expect(remainingSuspicionTime(2, 3, 3000, 2000, 30000)).toBe(4810);
    expect(remainingSuspicionTime(3, 3, 4000, 2000, 30000)).toBe(-2000);
    expect(remainingSuspicionTime(4, 3, 5000, 2000, 30000)).toBe(-3000);
    expect(remainingSuspicionTime(5, 3, 10000, 2000, 30000)).toBe(-8000);
  });
});

describe("Suspicion", () => {
  it("fires after max with no confirmations", () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    new Suspicion(clock, "a", 3, 2000, 30000, (n) => fired.push(clock.now(), n));
    clock.advance(29_999);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([30000, 0]);
  });

  it("shrinks as independent peers confirm, ignoring duplicates and the first accuser", () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    const s = new Suspicion(clock, "a", 3, 2000, 30000, (n) => fired.push(clock.now(), n));
    expect(s.confirm("a")).toBe(false);
    clock.advance(1000);
    expect(s.confirm("b")).toBe(true);
    expect(s.confirm("b")).toBe(false);
    clock.advance(1000);
    expect(s.confirm("c")).toBe(true);
    // Two of three confirmations: 30000 - 28000 * log(3)/log(4) = 7810 ms from the start.
    clock.advance(5809);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([7810, 2]);
  });

  it("fires at once when a confirmation makes the timeout already past", () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    const s = new Suspicion(clock, "a", 2, 2000, 30000, (n) => fired.push(clock.now(), n));
    clock.advance(5000);
    s.confirm("b");
    s.confirm("c");
    clock.advance(0);
    expect(fired).toEqual([5000, 2]);
    expect(s.confirm("d")).toBe(false);
  });

  it("with k = 0 waits the full max and takes no confirmations", () => {
    const clock = new VirtualClock();
    let fired = -1;
    const s = new Suspicion(clock, "a", 0, 4000, 24000, () => {
      fired = clock.now();
    });
    expect(s.confirm("b")).toBe(false);
    clock.advance(30000);
    expect(fired).toBe(24000);
  });

  it("never fires once cancelled", () => {
    const clock = new VirtualClock();
    let fired = false;
    const s = new Suspicion(clock, "a", 3, 100, 600, () => {
      fired = true;
    });
    s.cancel();
    clock.advance(1000);
    expect(fired).toBe(false);
  });
});
