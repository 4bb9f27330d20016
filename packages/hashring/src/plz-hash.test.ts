import { describe, expect, it } from "vitest";
import { Prng } from "../test/support/prng.js";
import { HashRingError } from "./errors.js";
import {
  alternateHash,
  alternatePoint,
  HALF_HASH_SPACE,
  HASH_SPACE_MAX,
  hash,
  hashPoint,
  routingHash,
  zeroKey,
} from "./plz-hash.js";

/** A 4-byte key whose point is `point` (little-endian). */
function keyAt(point: number): Uint8Array {
  const key = new Uint8Array(4);
  new DataView(key.buffer).setUint32(0, point, true);
  return key;
}

/** The definition, in BigInt: floor(i * (2^32 - 1) / n). */
function referenceHashPoint(i: number, n: number): number {
  return Number((BigInt(i) * 4294967295n) / BigInt(n));
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

describe("hash", () => {
  it("reads the first 4 bytes as a little-endian uint32", () => {
    expect(hash(Uint8Array.of(0, 0, 0, 0))).toBe(0);
    expect(hash(Uint8Array.of(1, 0, 0, 0))).toBe(1);
    expect(hash(Uint8Array.of(0, 0, 0, 1))).toBe(16777216);
    expect(hash(Uint8Array.of(0x78, 0x56, 0x34, 0x12))).toBe(0x12345678);
    expect(hash(Uint8Array.of(0xff, 0xff, 0xff, 0xff))).toBe(4294967295);
    expect(hash(Uint8Array.of(0x00, 0x00, 0x00, 0x80))).toBe(2147483648);
  });

  it("ignores the bytes past the fourth", () => {
    expect(hash(Uint8Array.of(0xef, 0xbe, 0xad, 0xde, 1, 2, 3))).toBe(0xdeadbeef);
    const sha1 = Uint8Array.from(Buffer.from("2fd4e1c67a2d28fced849ee1bb76e7391b93eb12", "hex"));
    expect(hash(sha1)).toBe(0xc6e1d42f);
  });

  it("agrees with DataView.getUint32(0, true) on random keys and on subarray views", () => {
    const prng = new Prng(1);
    for (let i = 0; i < 1000; i++) {
      const bytes = prng.bytes(4 + (i % 30));
      const view = new DataView(bytes.buffer);
      expect(hash(bytes)).toBe(view.getUint32(0, true));
      if (bytes.length >= 8) expect(hash(bytes.subarray(3))).toBe(view.getUint32(3, true));
    }
  });

  it("throws KEY_TOO_SHORT for keys of fewer than 4 bytes, including the empty key", () => {
    for (const length of [0, 1, 2, 3]) {
      expect(codeOf(() => hash(new Uint8Array(length)))).toBe("KEY_TOO_SHORT");
      expect(codeOf(() => alternateHash(new Uint8Array(length)))).toBe("KEY_TOO_SHORT");
    }
    expect(() => hash(new Uint8Array(2))).toThrow(/at least 4 bytes, got 2/);
  });
});

describe("routingHash and zeroKey", () => {
  it("routes the zero-length delete key as the all-zero key, to point 0", () => {
    expect(routingHash(new Uint8Array(0))).toBe(0);
    expect(zeroKey()).toEqual(new Uint8Array(4));
    expect(hash(zeroKey())).toBe(0);
    expect(routingHash(Uint8Array.of(9, 0, 0, 0, 5))).toBe(9);
  });

  it("still rejects keys of 1 to 3 bytes", () => {
    expect(codeOf(() => routingHash(new Uint8Array(3)))).toBe("KEY_TOO_SHORT");
  });

  it("returns a fresh key each time, so callers cannot corrupt it", () => {
    const a = zeroKey();
    a[0] = 7;
    expect(zeroKey()[0]).toBe(0);
  });
});

describe("hashPoint", () => {
  it("gives the values of the plz original", () => {
    expect(hashPoint(0, 3)).toBe(0);
    expect(hashPoint(1, 3)).toBe(1431655765);
    expect(hashPoint(2, 3)).toBe(2863311530);
    expect(hashPoint(3, 3)).toBe(4294967295);
    expect(hashPoint(1, 2)).toBe(2147483647);
    expect(hashPoint(1, 1)).toBe(4294967295);
  });

  it("equals floor(i * (2^32 - 1) / n) exactly for every i <= n, n <= 300", () => {
    for (let n = 1; n <= 300; n++) {
      for (let i = 0; i <= n; i++) {
        if (hashPoint(i, n) !== referenceHashPoint(i, n)) expect.fail(`hashPoint(${i}, ${n})`);
      }
    }
  });

  it("equals the 64-bit integer result for random n up to 2^16 and beyond 2^21", () => {
    const prng = new Prng(2);
    for (let round = 0; round < 20000; round++) {
      const n = round % 2 === 0 ? 1 + prng.nextInt(2 ** 16) : 2 ** 21 + prng.nextInt(2 ** 30);
      const i = prng.nextInt(n + 1);
      expect(hashPoint(i, n)).toBe(referenceHashPoint(i, n));
    }
    for (const n of [2 ** 16, 2 ** 16 - 1, 2 ** 21, 2 ** 21 + 1]) {
      for (const i of [0, 1, n >> 1, n - 1, n]) expect(hashPoint(i, n)).toBe(referenceHashPoint(i, n));
    }
  });

  it("ends every ring at 4294967295 and grows with i", () => {
    for (const n of [1, 2, 3, 10, 1000, 65536]) {
      expect(hashPoint(n, n)).toBe(HASH_SPACE_MAX);
      for (let i = 1; i <= Math.min(n, 2000); i++)
        expect(hashPoint(i, n)).toBeGreaterThan(hashPoint(i - 1, n));
    }
  });

  it("rejects n < 1, i outside [0, n] and non-integers with INVALID_SIZE", () => {
    expect(codeOf(() => hashPoint(0, 0))).toBe("INVALID_SIZE");
    expect(codeOf(() => hashPoint(4, 3))).toBe("INVALID_SIZE");
    expect(codeOf(() => hashPoint(-1, 3))).toBe("INVALID_SIZE");
    expect(codeOf(() => hashPoint(1.5, 3))).toBe("INVALID_SIZE");
    expect(codeOf(() => hashPoint(1, Number.NaN))).toBe("INVALID_SIZE");
  });
});

describe("alternateHash", () => {
  it("moves a point half way round the space, mapping 2^31 to 0", () => {
    const cases: [number, number][] = [
      [0, 2 ** 31],
      [1, 2 ** 31 + 1],
      [2 ** 31 - 1, 2 ** 32 - 1],
      [2 ** 31, 0],
      [2 ** 31 + 1, 1],
      [2 ** 32 - 1, 2 ** 31 - 1],
    ];
    for (const [point, alternate] of cases) {
      expect(alternateHash(keyAt(point)), `point ${point}`).toBe(alternate);
      expect(alternatePoint(point), `point ${point}`).toBe(alternate);
    }
  });

  it("follows the definition on random points", () => {
    const prng = new Prng(3);
    for (let i = 0; i < 1000; i++) {
      const p = prng.nextUint32();
      const expected = p > HALF_HASH_SPACE ? p - HALF_HASH_SPACE : (p + HALF_HASH_SPACE) % 2 ** 32;
      expect(alternateHash(keyAt(p))).toBe(expected);
    }
  });

  it("rejects points outside [0, 2^32 - 1] with INVALID_POINT", () => {
    for (const bad of [-1, 2 ** 32, 0.5, Number.NaN])
      expect(codeOf(() => alternatePoint(bad))).toBe("INVALID_POINT");
  });
});

describe("HashRingError", () => {
  it("carries a stable code, its name and an optional cause", () => {
    const cause = new Error("inner");
    const error = new HashRingError("INVALID_NODE", "bad", { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("HashRingError");
    expect(error.code).toBe("INVALID_NODE");
    expect(error.cause).toBe(cause);
    expect(new HashRingError("INVALID_NODE", "bad").cause).toBeUndefined();
  });
});
