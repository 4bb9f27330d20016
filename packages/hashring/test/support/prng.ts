/**
 * A tiny seeded PRNG (Tommy Ettinger's mulberry32) for reproducible property tests and
 * benchmarks: the same seed always gives the same stream.
 */
export class Prng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** The next uniform uint32. */
  nextUint32(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A uniform integer in [0, bound). */
  nextInt(bound: number): number {
    return Math.floor((this.nextUint32() / 2 ** 32) * bound);
  }

  /** `length` uniform random bytes. */
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.nextUint32() & 0xff;
    return out;
  }
}

/** Base64url without padding, as the plz cache names a hash on disk. */
export function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

/** `count` random 20-byte keys (the size of a plz SHA-1 hash) with their base64url strings. */
export function randomKeys(seed: number, count: number): { bytes: Uint8Array[]; strings: string[] } {
  const prng = new Prng(seed);
  const bytes: Uint8Array[] = [];
  const strings: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = prng.bytes(20);
    bytes.push(key);
    strings.push(base64url(key));
  }
  return { bytes, strings };
}
