import { describe, expect, it } from "vitest";
import { percentile, summarizeLatencies } from "./latency.js";

describe("latency percentiles", () => {
  it("uses the nearest rank", () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(summarizeLatencies(samples)).toEqual({ p50: 50, p90: 90, p99: 99, max: 100 });
    expect(percentile([7], 99)).toBe(7);
    expect(summarizeLatencies([])).toEqual({ p50: 0, p90: 0, p99: 0, max: 0 });
  });

  it("takes the upper sample when the rank falls between two", () => {
    expect(summarizeLatencies([1, 2, 3]).p50).toBe(2);
    expect(summarizeLatencies([1, 2, 3, 4]).p90).toBe(4);
  });
});
