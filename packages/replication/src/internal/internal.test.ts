import { describe, expect, it } from "vitest";
import { deleteOp, storeOp } from "../../test/support/ops.js";
import { backoffDelay } from "./backoff.js";
import { crc32 } from "./crc32.js";
import { decodeOp, encodeOp } from "./op-codec.js";
import { OrderedLane } from "./ordered-lane.js";

describe("backoffDelay", () => {
  const policy = { initialMs: 500, maxMs: 60_000, jitter: 0.5 };

  it("doubles from initialMs per failure and stops at maxMs", () => {
    const waits = Array.from({ length: 12 }, (_, i) => backoffDelay(i + 1, policy, () => 0));
    expect(waits).toEqual([500, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000, 60000, 60000]);
    expect(backoffDelay(5000, policy, () => 0)).toBe(60_000);
  });

  it("takes off at most the jitter fraction", () => {
    expect(backoffDelay(1, policy, () => 0.999999)).toBeCloseTo(250, 2);
    expect(backoffDelay(1, { ...policy, jitter: 0 }, () => 0.7)).toBe(500);
    expect(backoffDelay(20, policy, () => 0.5)).toBe(45_000);
  });
});

describe("crc32", () => {
  it("matches the IEEE check value", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array())).toBe(0);
  });
});

describe("op codec", () => {
  it("round-trips stores and deletes through JSON", () => {
    for (const op of [storeOp(1, 0xffffffff), deleteOp("t"), deleteOp("", true)]) {
      expect(decodeOp(JSON.parse(JSON.stringify(encodeOp(op))))).toEqual(op);
    }
  });

  it("rejects records that are not ops", () => {
    for (const bad of [
      null,
      1,
      {},
      { k: "s", os: "l", arch: "a", a: [] },
      { k: "d", os: "l", arch: "a", e: 1, a: [] },
    ]) {
      expect(decodeOp(bad)).toBeUndefined();
    }
    expect(decodeOp({ k: "s", os: "l", arch: "a", h: "AAAA", host: "h", a: [["p", "t"]] })).toBeUndefined();
  });
});

describe("OrderedLane", () => {
  it("runs shared holders together, an exclusive one alone, in arrival order", async () => {
    const lane = new OrderedLane();
    const log: string[] = [];
    const s1 = await lane.acquire("shared");
    const s2 = await lane.acquire("shared");
    const x = lane.acquire("exclusive").then((release) => {
      log.push("x");
      return release;
    });
    const s3 = lane.acquire("shared").then((release) => {
      log.push("s3");
      return release;
    });
    await Promise.resolve();
    expect(log).toEqual([]);
    s1();
    await Promise.resolve();
    expect(log).toEqual([]);
    s2();
    const releaseX = await x;
    expect(log).toEqual(["x"]);
    releaseX();
    (await s3)();
    expect(log).toEqual(["x", "s3"]);
    expect(lane.idle).toBe(true);
  });
});
