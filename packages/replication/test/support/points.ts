/**
 * Independent reference implementations of the plz hash space (spec §3), for brute-force
 * checks: written from the spec, not from @plz-cache/hashring.
 */
const M = 0xffffffffn;

/** Point of a request hash: first 4 bytes, little-endian. */
export function refHash(key: Uint8Array): number {
  return ((key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0) as number;
}

/** `p - 2^31` if `p > 2^31`, else `(p + 2^31) mod 2^32`. */
export function refAlternate(p: number): number {
  const half = 2 ** 31;
  return p > half ? p - half : (p + half) % 2 ** 32;
}

/** `floor(i * 4294967295 / n)` in integer arithmetic. */
export function refHashPoint(i: number, n: number): number {
  return Number((BigInt(i) * M) / BigInt(n));
}

/** The slot owning point `p` in a ring of `n`: half-open ranges, and the last slot owns 0xFFFFFFFF. */
export function refOwner(p: number, n: number): number {
  for (let i = 0; i < n; i++) {
    if (p >= refHashPoint(i, n) && p < refHashPoint(i + 1, n)) return i;
  }
  return n - 1;
}

/** A 20-byte request hash whose point is `p`. */
export function keyAt(p: number, salt = 0): Uint8Array {
  const key = new Uint8Array(20);
  new DataView(key.buffer).setUint32(0, p >>> 0, true);
  key[7] = salt & 0xff;
  return key;
}

/** mulberry32: a small seeded PRNG, so property checks reproduce. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Points worth checking for a ring of `n`: every range boundary and its neighbours, their
 * alternates and neighbours, the ends and middle of the space, and `random` seeded extras.
 */
export function interestingPoints(n: number, random = 200, seed = n): number[] {
  const out = new Set<number>();
  const add = (p: number) => {
    for (const d of [-1, 0, 1]) {
      const q = p + d;
      if (q >= 0 && q <= 0xffffffff) out.add(q);
    }
  };
  for (let i = 0; i <= n; i++) {
    const b = refHashPoint(i, n);
    add(b);
    add(refAlternate(Math.min(b, 0xffffffff)));
  }
  for (const p of [0, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, 0xfffffffe, 0xffffffff]) add(p);
  const rnd = seededRandom(seed);
  for (let i = 0; i < random; i++) out.add(Math.floor(rnd() * 2 ** 32));
  return [...out].sort((a, b) => a - b);
}
