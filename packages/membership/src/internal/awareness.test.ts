import { describe, expect, it } from "vitest";
import { Awareness } from "./awareness.js";

describe("Awareness", () => {
  it("clamps the score to 0..max-1 and scales timeouts by score + 1", () => {
    const a = new Awareness(8);
    expect(a.scale(1000)).toBe(1000);
    a.apply(-5);
    expect(a.score).toBe(0);
    a.apply(3);
    expect(a.score).toBe(3);
    expect(a.scale(1000)).toBe(4000);
    a.apply(100);
    expect(a.score).toBe(7);
    expect(a.scale(500)).toBe(4000);
    a.apply(-1);
    expect(a.score).toBe(6);
  });

  it("stays at 0 when Lifeguard is disabled", () => {
    const a = new Awareness(8, false);
    a.apply(5);
    expect(a.score).toBe(0);
    expect(a.scale(1000)).toBe(1000);
  });
});
