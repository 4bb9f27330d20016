/**
 * The plz "fixed" ring (spec §3–4): a cluster of `size` slots fixed at seed time, slot `i`
 * owning the half-open range `[hashPoint(i, size), hashPoint(i + 1, size))` of the 32-bit hash
 * space.
 *
 * One deliberate difference from the original: `hashPoint(size, size)` is 2^32 - 1, so the
 * original's half-open ranges gave the point 0xFFFFFFFF to no slot. Here the last slot owns it
 * too. On the wire its range still reads `[hashPoint(size - 1, size), 4294967295)`, exactly as
 * the original sent it, so plz clients see the same ranges.
 */
import { HashRingError } from "./errors.js";
import { alternatePoint, assertPoint, HASH_SPACE_MAX, hashPointUnchecked, routingHash } from "./plz-hash.js";

/** The largest supported ring size, 2^20 (keeps `slotOf` in exact double arithmetic). */
export const MAX_FIXED_RING_SIZE = 2 ** 20;

/** A slot's range as the plz wire protocol carries it (`Node.hash_begin`, `Node.hash_end`). */
export interface SlotRange {
  /** First point the slot owns. */
  readonly begin: number;
  /**
   * First point past the slot (exclusive). For the last slot this is 4294967295, which that
   * slot nevertheless owns (see {@link FixedRing}).
   */
  readonly end: number;
}

export class FixedRing {
  /** Number of slots, fixed at construction. */
  readonly size: number;

  /**
   * @param size number of slots, an integer in [1, {@link MAX_FIXED_RING_SIZE}]
   * @throws {HashRingError} `INVALID_SIZE` for any other size.
   */
  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1 || size > MAX_FIXED_RING_SIZE) {
      throw new HashRingError(
        "INVALID_SIZE",
        `a fixed ring needs an integer size in [1, ${MAX_FIXED_RING_SIZE}], got ${size}`,
      );
    }
    this.size = size;
  }

  /**
   * The slot that owns `point`: the `i` with `hashPoint(i) <= point < hashPoint(i + 1)`, and
   * the last slot for 0xFFFFFFFF.
   *
   * @throws {HashRingError} `INVALID_POINT` unless `point` is an integer in [0, 2^32 - 1].
   */
  slotOf(point: number): number {
    assertPoint(point);
    const n = this.size;
    // hashPoint(i) <= p  <=>  i * M < (p + 1) * n  <=>  i < (p + 1) * n / M. The estimate is
    // exact (the product stays below 2^53); the loops only guard the rounding of the division.
    let slot = Math.min(n - 1, Math.ceil(((point + 1) * n) / HASH_SPACE_MAX) - 1);
    while (slot > 0 && hashPointUnchecked(slot, n) > point) slot -= 1;
    while (slot < n - 1 && hashPointUnchecked(slot + 1, n) <= point) slot += 1;
    return slot;
  }

  /**
   * The slot that owns the key's point, `slotOf(hash(key))`: where a plz client sends the
   * request. A zero-length key (the plz client's delete key) routes as point 0.
   *
   * @throws {HashRingError} `KEY_TOO_SHORT` for keys of 1 to 3 bytes.
   */
  ownerSlot(key: Uint8Array): number {
    return this.slotOf(routingHash(key));
  }

  /**
   * The slot that owns the key's alternate point, `slotOf(alternateHash(key))`: where the plz
   * cluster keeps the second copy, and where a client retries. With one slot, that is slot 0.
   * A zero-length key routes as point 0 (alternate point 2^31).
   *
   * @throws {HashRingError} `KEY_TOO_SHORT` for keys of 1 to 3 bytes.
   */
  alternateSlot(key: Uint8Array): number {
    return this.slotOf(alternatePoint(routingHash(key)));
  }

  /**
   * Where slot `fromSlot` replicates a key it has just stored (spec §4): to the alternate
   * slot when the key's point is in `fromSlot`'s range, otherwise to the owner slot. The
   * answer can be `fromSlot` itself (one slot, or a slot owning both points); callers skip it.
   *
   * @throws {HashRingError} `INVALID_SLOT` or `KEY_TOO_SHORT`.
   */
  replicaSlot(key: Uint8Array, fromSlot: number): number {
    this.assertSlot(fromSlot);
    const owner = this.ownerSlot(key);
    return owner === fromSlot ? this.alternateSlot(key) : owner;
  }

  /**
   * The slot's range as sent on the wire: `{ begin: hashPoint(slot), end: hashPoint(slot + 1) }`,
   * end exclusive. The last slot also owns `end` (0xFFFFFFFF); use {@link owns} to test points.
   *
   * @throws {HashRingError} `INVALID_SLOT` unless `slot` is an integer in [0, size).
   */
  range(slot: number): SlotRange {
    this.assertSlot(slot);
    return { begin: hashPointUnchecked(slot, this.size), end: hashPointUnchecked(slot + 1, this.size) };
  }

  /** Every slot's {@link range}, in slot order. */
  ranges(): SlotRange[] {
    const out: SlotRange[] = [];
    for (let slot = 0; slot < this.size; slot++) out.push(this.range(slot));
    return out;
  }

  /**
   * Whether `slot` owns `point` (the same answer as `slotOf(point) === slot`).
   *
   * @throws {HashRingError} `INVALID_SLOT` or `INVALID_POINT`.
   */
  owns(slot: number, point: number): boolean {
    this.assertSlot(slot);
    assertPoint(point);
    const { begin, end } = this.range(slot);
    return (point >= begin && point < end) || (point === HASH_SPACE_MAX && slot === this.size - 1);
  }

  private assertSlot(slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.size) {
      throw new HashRingError("INVALID_SLOT", `a slot must be an integer in [0, ${this.size}), got ${slot}`);
    }
  }
}
