/**
 * A source of uniform random numbers in [0, 1), like `Math.random`. Used for every random
 * choice the protocol makes (probe order, gossip targets, timer stagger, join backoff jitter).
 * Cryptographic nonces do not use it: they always come from `node:crypto`.
 */
export type Rng = () => number;

/** `Math.random`, the default {@link Rng} of a real deployment. */
export const systemRng: Rng = () => Math.random();

/**
 * A fast seeded generator (sfc32, seeded through splitmix32) for simulations and tests: the
 * same seed always gives the same sequence.
 */
export function createSeededRng(seed: number): Rng {
  let s = seed >>> 0;
  const split = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}
