/**
 * The plz hash space, bit for bit (spec §3). Clients and servers must agree on these functions
 * exactly: a plz client routes a request to the node whose range holds `hash(key)` and retries
 * on the owner of `alternateHash(key)`.
 */
import { HashRingError } from "./errors.js";

/** The largest point of the hash space, 2^32 - 1 (Go's `math.MaxUint32`). */
export const HASH_SPACE_MAX = 0xffffffff;

/** Half of the hash space, 2^31: the distance between a key's point and its alternate point. */
export const HALF_HASH_SPACE = 0x80000000;

/** Number of leading key bytes that make up a key's point. */
export const HASH_KEY_BYTES = 4;

/** `hashPoint` stays in exact double arithmetic up to this `n` (then `i * (2^32 - 1) < 2^53`). */
const EXACT_DOUBLE_LIMIT = 2 ** 21;

/**
 * The point of a key: its first 4 bytes read as a little-endian uint32 (Go's
 * `binary.LittleEndian.Uint32`). Bytes past the fourth are ignored.
 *
 * @throws {HashRingError} `KEY_TOO_SHORT` when the key has fewer than 4 bytes (where Go would
 *   panic). Route a zero-length delete key with {@link routingHash} instead.
 */
export function hash(key: Uint8Array): number {
  if (key.length < HASH_KEY_BYTES) {
    throw new HashRingError(
      "KEY_TOO_SHORT",
      `a plz hash key needs at least ${HASH_KEY_BYTES} bytes, got ${key.length}`,
    );
  }
  return (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0;
}

/**
 * Like {@link hash}, but a zero-length key, which the plz client sends with deletes, routes as
 * the all-zero key (point 0), the same as {@link zeroKey}. Keys of 1 to 3 bytes still throw.
 */
export function routingHash(key: Uint8Array): number {
  return key.length === 0 ? 0 : hash(key);
}

/** A fresh all-zero 4-byte key: the key a plz client routes deletes with. Its point is 0. */
export function zeroKey(): Uint8Array {
  return new Uint8Array(HASH_KEY_BYTES);
}

/**
 * `floor(i * (2^32 - 1) / n)`, exactly, as a uint32: the first point of node `i` of `n`
 * (Go's `HashPoint`, computed there in 64-bit integers). `hashPoint(n, n)` is 2^32 - 1.
 *
 * @param i a slot index, an integer in [0, n]
 * @param n the ring size, an integer in [1, 2^53 - 1]
 * @throws {HashRingError} `INVALID_SIZE` for any other argument.
 */
export function hashPoint(i: number, n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new HashRingError("INVALID_SIZE", `hashPoint needs an integer n >= 1, got ${n}`);
  }
  if (!Number.isSafeInteger(i) || i < 0 || i > n) {
    throw new HashRingError("INVALID_SIZE", `hashPoint needs an integer i in [0, ${n}], got ${i}`);
  }
  return hashPointUnchecked(i, n);
}

/** {@link hashPoint} without argument checks, for callers that have validated `i` and `n`. */
export function hashPointUnchecked(i: number, n: number): number {
  if (n <= EXACT_DOUBLE_LIMIT) {
    // i <= n <= 2^21, so the product is an exact integer below 2^53; the quotient is correctly
    // rounded, and the two checks below make the floor exact whatever the rounding did.
    const product = i * HASH_SPACE_MAX;
    let q = Math.floor(product / n);
    if (q * n > product) q -= 1;
    else if ((q + 1) * n <= product) q += 1;
    return q;
  }
  return Number((BigInt(i) * BigInt(HASH_SPACE_MAX)) / BigInt(n));
}

/**
 * The alternate point of a point: `p - 2^31` when `p > 2^31`, otherwise `(p + 2^31) mod 2^32`,
 * so 2^31 itself maps to 0 (Go's `AlternateHash`, on a point instead of a key).
 *
 * @throws {HashRingError} `INVALID_POINT` when `point` is not an integer in [0, 2^32 - 1].
 */
export function alternatePoint(point: number): number {
  assertPoint(point);
  return point > HALF_HASH_SPACE ? point - HALF_HASH_SPACE : (point + HALF_HASH_SPACE) % 2 ** 32;
}

/**
 * The alternate point of a key, where the plz cluster keeps its second copy:
 * `alternatePoint(hash(key))`.
 *
 * @throws {HashRingError} `KEY_TOO_SHORT` when the key has fewer than 4 bytes.
 */
export function alternateHash(key: Uint8Array): number {
  return alternatePoint(hash(key));
}

/** @throws {HashRingError} `INVALID_POINT` unless `point` is an integer in [0, 2^32 - 1]. */
export function assertPoint(point: number): void {
  if (!Number.isInteger(point) || point < 0 || point > HASH_SPACE_MAX) {
    throw new HashRingError("INVALID_POINT", `a point must be an integer in [0, 2^32 - 1], got ${point}`);
  }
}
