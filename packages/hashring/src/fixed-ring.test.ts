import { describe, expect, it } from "vitest";
import { Prng } from "../test/support/prng.js";
import { HashRingError } from "./errors.js";
import { FixedRing, MAX_FIXED_RING_SIZE } from "./fixed-ring.js";
import { alternatePoint, HASH_SPACE_MAX, hashPoint } from "./plz-hash.js";

function keyAt(point: number, extra = 0): Uint8Array {
  const key = new Uint8Array(4 + extra);
  new DataView(key.buffer).setUint32(0, point, true);
  return key;
}

/** The definition, by linear search: the slot whose half-open range holds p; the last for 2^32-1. */
function referenceSlot(point: number, n: number): number {
  for (let i = 0; i < n; i++) if (point >= hashPoint(i, n) && point < hashPoint(i + 1, n)) return i;
  return n - 1;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof HashRingError) return error.code;
    throw error;
  }
  return undefined;
}

describe("FixedRing", () => {
  it("splits the space into the plz ranges, as they go on the wire", () => {
    const ring = new FixedRing(3);
    expect(ring.size).toBe(3);
    expect(ring.ranges()).toEqual([
      { begin: 0, end: 1431655765 },
      { begin: 1431655765, end: 2863311530 },
      { begin: 2863311530, end: 4294967295 },
    ]);
  });

  it("gives the point 0xFFFFFFFF to the last slot, which the original gave to no one", () => {
    for (const n of [1, 2, 3, 7, 64, 1000]) {
      const ring = new FixedRing(n);
      expect(ring.slotOf(HASH_SPACE_MAX)).toBe(n - 1);
      expect(ring.owns(n - 1, HASH_SPACE_MAX)).toBe(true);
      expect(ring.range(n - 1).end).toBe(HASH_SPACE_MAX);
      expect(ring.ownerSlot(keyAt(HASH_SPACE_MAX))).toBe(n - 1);
    }
  });

  it("finds the owner of the points at and around every boundary", () => {
    for (const n of [1, 2, 3, 5, 7, 10, 99, 256, 1000]) {
      const ring = new FixedRing(n);
      for (let i = 0; i < n; i++) {
        const begin = hashPoint(i, n);
        expect(ring.slotOf(begin)).toBe(i);
        if (i > 0) expect(ring.slotOf(begin - 1)).toBe(i - 1);
        expect(ring.slotOf(hashPoint(i + 1, n) - 1)).toBe(i);
      }
    }
  });

  it("agrees with the definition on random points for random sizes up to 2^16", () => {
    const prng = new Prng(11);
    for (let round = 0; round < 300; round++) {
      const n = round < 150 ? 1 + prng.nextInt(50) : 1 + prng.nextInt(2 ** 16);
      const ring = new FixedRing(n);
      for (let k = 0; k < 20; k++) {
        const point = prng.nextUint32();
        const slot = ring.slotOf(point);
        if (n <= 50) expect(slot).toBe(referenceSlot(point, n));
        expect(point >= hashPoint(slot, n)).toBe(true);
        expect(point < hashPoint(slot + 1, n) || (slot === n - 1 && point === HASH_SPACE_MAX)).toBe(true);
        expect(ring.owns(slot, point)).toBe(true);
        if (slot > 0) expect(ring.owns(slot - 1, point)).toBe(false);
      }
    }
  });

  it("works at the largest supported size", () => {
    const ring = new FixedRing(MAX_FIXED_RING_SIZE);
    const n = MAX_FIXED_RING_SIZE;
    for (const i of [0, 1, 12345, n >> 1, n - 2, n - 1]) {
      expect(ring.slotOf(hashPoint(i, n))).toBe(i);
      if (i > 0) expect(ring.slotOf(hashPoint(i, n) - 1)).toBe(i - 1);
    }
    expect(ring.slotOf(HASH_SPACE_MAX)).toBe(n - 1);
  });

  it("covers the space with contiguous ranges that do not overlap", () => {
    for (const n of [1, 2, 3, 17, 500]) {
      const ranges = new FixedRing(n).ranges();
      expect(ranges[0]?.begin).toBe(0);
      for (let i = 1; i < n; i++) expect(ranges[i]?.begin).toBe(ranges[i - 1]?.end);
      expect(ranges[n - 1]?.end).toBe(HASH_SPACE_MAX);
    }
  });

  it("routes a key by its first 4 bytes and its replica by the alternate point", () => {
    const ring = new FixedRing(4);
    const prng = new Prng(12);
    for (let i = 0; i < 500; i++) {
      const key = prng.bytes(20);
      const point = new DataView(key.buffer).getUint32(0, true);
      expect(ring.ownerSlot(key)).toBe(ring.slotOf(point));
      expect(ring.alternateSlot(key)).toBe(ring.slotOf(alternatePoint(point)));
    }
    expect(ring.ownerSlot(keyAt(0, 16))).toBe(0);
    expect(ring.alternateSlot(keyAt(0))).toBe(2);
    // hashPoint(2, 4) = 2147483647, so 2^31 is already in slot 2.
    expect(ring.ownerSlot(keyAt(2 ** 31))).toBe(2);
    expect(ring.ownerSlot(keyAt(2 ** 31 - 2))).toBe(1);
    expect(ring.alternateSlot(keyAt(2 ** 31))).toBe(0);
  });

  it("routes the zero-length delete key to slot 0, its alternate to the middle slot", () => {
    const ring = new FixedRing(4);
    expect(ring.ownerSlot(new Uint8Array(0))).toBe(0);
    expect(ring.alternateSlot(new Uint8Array(0))).toBe(2);
    expect(codeOf(() => ring.ownerSlot(new Uint8Array(2)))).toBe("KEY_TOO_SHORT");
  });

  it("replicates to the alternate owner from the owner, and to the owner from anyone else", () => {
    const ring = new FixedRing(4);
    const key = keyAt(100); // owner 0, alternate 2
    expect(ring.replicaSlot(key, 0)).toBe(2);
    expect(ring.replicaSlot(key, 1)).toBe(0);
    expect(ring.replicaSlot(key, 2)).toBe(0);
    expect(new FixedRing(1).replicaSlot(key, 0)).toBe(0);
    expect(codeOf(() => ring.replicaSlot(key, 4))).toBe("INVALID_SLOT");
  });

  it("rejects sizes that are not integers in [1, 2^20] with INVALID_SIZE", () => {
    for (const bad of [0, -1, 1.5, Number.NaN, MAX_FIXED_RING_SIZE + 1]) {
      expect(codeOf(() => new FixedRing(bad))).toBe("INVALID_SIZE");
    }
  });

  it("rejects bad slots with INVALID_SLOT and bad points with INVALID_POINT", () => {
    const ring = new FixedRing(3);
    for (const bad of [-1, 3, 0.5]) {
      expect(codeOf(() => ring.range(bad))).toBe("INVALID_SLOT");
      expect(codeOf(() => ring.owns(bad, 0))).toBe("INVALID_SLOT");
    }
    for (const bad of [-1, 2 ** 32, 1.5, Number.NaN]) {
      expect(codeOf(() => ring.slotOf(bad))).toBe("INVALID_POINT");
      expect(codeOf(() => ring.owns(0, bad))).toBe("INVALID_POINT");
    }
  });
});
