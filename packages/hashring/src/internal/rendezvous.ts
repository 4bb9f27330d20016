/**
 * Weighted rendezvous (highest-random-weight) scoring of a node for a bucket.
 *
 * Each node gets a 64-bit seed from its name. For bucket `b`, a 53-bit uniform `u` in (0, 1]
 * is drawn from (seed, b), and the node scores `ln(u) / weight`. The highest score wins; the
 * next highest is the second replica, and so on. With `-ln(u)` exponential, `-ln(u) / w` is
 * exponential with rate `w`, so a node wins a bucket with probability `w / sum(weights)`
 * (Schindelhauer and Schomaker's logarithmic method). Exact ties, which need a 53-bit
 * collision, go to the node whose name sorts first, so the order depends only on the members.
 */
import { fmix32, murmur3String } from "./murmur3.js";

/** Murmur3 seeds for the two 32-bit halves of a node's seed. */
const NODE_SEED_HI = 0x2b7e1516;
const NODE_SEED_LO = 0x28aed2a6;

/** An odd 32-bit constant (2^32 / golden ratio) that spreads consecutive buckets. */
const BUCKET_SPREAD = 0x9e3779b9;

const TWO_POW_21 = 2 ** 21;
const TWO_POW_MINUS_53 = 2 ** -53;

/** The high half of a node's 64-bit seed. */
export function nodeSeedHi(name: string): number {
  return murmur3String(name, NODE_SEED_HI) | 0;
}

/** The low half of a node's 64-bit seed. */
export function nodeSeedLo(name: string): number {
  return murmur3String(name, NODE_SEED_LO) | 0;
}

/** The node's score for `bucket`: in (-Infinity, 0]; higher wins. */
export function rendezvousScore(seedHi: number, seedLo: number, weight: number, bucket: number): number {
  const x = Math.imul(bucket, BUCKET_SPREAD);
  const hi = fmix32(seedHi ^ x);
  const lo = fmix32(seedLo ^ x ^ hi);
  // hi * 2^21 + (lo >>> 11) is an exact integer in [0, 2^53); + 1 keeps u > 0.
  const u = (hi * TWO_POW_21 + (lo >>> 11) + 1) * TWO_POW_MINUS_53;
  return Math.log(u) / weight;
}
