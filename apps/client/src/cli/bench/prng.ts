/** A small seeded PRNG (mulberry32), so a benchmark's mix of operations can be reproduced. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` pseudo-random bytes from `random`. */
export function randomBytes(n: number, random: () => number): Buffer {
  const buf = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i += 4) {
    const v = (random() * 4294967296) >>> 0;
    for (let j = 0; j < 4 && i + j < n; j++) buf[i + j] = (v >>> (8 * j)) & 0xff;
  }
  return buf;
}
