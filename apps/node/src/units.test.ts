import { describe, expect, it } from "vitest";
import { parseDuration, parseSize } from "./units.js";

describe("parseSize", () => {
  it("reads the original's size suffixes as go-humanize does", () => {
    expect(parseSize("18G")).toBe(18e9);
    expect(parseSize("20G")).toBe(20e9);
    expect(parseSize("512M")).toBe(512e6);
    expect(parseSize("1K")).toBe(1000);
    expect(parseSize("2T")).toBe(2e12);
    expect(parseSize("1GiB")).toBe(2 ** 30);
    expect(parseSize("100")).toBe(100);
    expect(parseSize("1.5kb")).toBe(1500);
  });
  it("rejects what is not a size", () => {
    for (const bad of ["", "G", "12Q", "-1G", "1 2G"]) expect(() => parseSize(bad)).toThrow(/invalid size/);
  });
});

describe("parseDuration", () => {
  it("reads Go-style durations in milliseconds", () => {
    expect(parseDuration("10m")).toBe(600_000);
    expect(parseDuration("720h")).toBe(720 * 3_600_000);
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("0")).toBe(0);
  });
  it("rejects what is not a duration", () => {
    for (const bad of ["", "10", "m", "10x", "10m5"])
      expect(() => parseDuration(bad)).toThrow(/invalid duration/);
  });
});
