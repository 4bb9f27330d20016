import { describe, expect, it } from "vitest";
import {
  parseDuration,
  parseHash,
  parseMode,
  parsePositiveInt,
  parseRatio,
  parseSize,
  parseSizes,
} from "./parse.js";

describe("command-line parsers", () => {
  it("parses durations with Go-style units, or plain milliseconds", () => {
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("1.5h")).toBe(5_400_000);
    expect(parseDuration("2500")).toBe(2500);
    for (const bad of ["", "0", "0s", "3x", "s", "10 s", "-1s", "1s2"]) {
      expect(() => parseDuration(bad), bad).toThrow(
        expect.objectContaining({ code: "commander.invalidArgument" }),
      );
    }
  });

  it("parses sizes with binary suffixes", () => {
    expect(parseSize("512")).toBe(512);
    expect(parseSize("64K")).toBe(65536);
    expect(parseSize("1.5M")).toBe(1572864);
    expect(parseSize("2GiB")).toBe(2 * 2 ** 30);
    expect(parseSizes("1K,1m")).toEqual([1024, 1048576]);
    expect(() => parseSize("big")).toThrow();
  });

  it("parses hashes of at least 4 bytes in hex", () => {
    expect(parseHash("00112233")).toEqual(Buffer.from([0, 0x11, 0x22, 0x33]));
    expect(parseHash("ABCDEF0123")).toEqual(Buffer.from("abcdef0123", "hex"));
    for (const bad of ["", "001122", "0011223", "zz112233"]) expect(() => parseHash(bad), bad).toThrow();
  });

  it("parses counts, ratios and modes", () => {
    expect(parsePositiveInt("8")).toBe(8);
    expect(() => parsePositiveInt("0")).toThrow();
    expect(() => parsePositiveInt("1.5")).toThrow();
    expect(parseRatio("0.25")).toBe(0.25);
    expect(() => parseRatio("1.5")).toThrow();
    expect(parseMode("755")).toBe(0o755);
    expect(parseMode("0644")).toBe(0o644);
    expect(() => parseMode("999")).toThrow();
  });
});
