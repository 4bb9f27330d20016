/**
 * What a node of the fixed ring pulls from whom when it rejoins. A node holds two kinds of
 * keys: its primaries (point `hash(h)` in its range), whose copies live on the owners of their
 * alternate points, and its replicas (alternate point in its range), whose primaries live on
 * the owners of their points. The plan lists, per partner slot, the point ranges of both.
 *
 * All ranges are of key points `hash(h)`, the space the store's `scanRange` indexes, half
 * open, with `end` up to 2^32 so the point 0xFFFFFFFF is covered (the last slot owns it).
 */
import type { FixedRing } from "@plz-cache/hashring";

/** One past the largest point: the exclusive end of a range that includes 0xFFFFFFFF. */
export const POINT_SPACE_END = 2 ** 32;
const HALF = 2 ** 31;

export type RepairRole =
  /** Keys this slot owns; the partner holds their second copy. */
  | "primary"
  /** Keys whose second copy this slot holds; the partner owns them. */
  | "replica";

export interface RepairTask {
  /** The slot to pull from. */
  readonly peerSlot: number;
  readonly role: RepairRole;
  /** First key point of the range. */
  readonly begin: number;
  /** Key point past the range (exclusive), at most 2^32. */
  readonly end: number;
  /** The same keys' alternate points: `[alternateBegin, alternateEnd)`, contiguous. */
  readonly alternateBegin: number;
  readonly alternateEnd: number;
}

/** `[begin, end)` of a slot, with the last slot's end at 2^32 (it owns 0xFFFFFFFF). */
export function slotPointRange(ring: FixedRing, slot: number): { begin: number; end: number } {
  const { begin, end } = ring.range(slot);
  return { begin, end: slot === ring.size - 1 ? POINT_SPACE_END : end };
}

/** The alternate of every point of `[begin, end)`, which must lie within one half of the space. */
function alternateOf(begin: number, end: number): [number, number] {
  return begin < HALF ? [begin + HALF, end + HALF] : [begin - HALF, end - HALF];
}

/**
 * The ranges `slot` pulls after a restart, sorted by role, then `begin`. Empty for a 1-slot
 * ring (nothing to pull from). Every key point appears in at most one task of a slot, and a
 * key whose two points belong to different slots appears in exactly one task of each: the
 * owner pulls it as `primary` from the alternate owner, the alternate owner as `replica` from
 * the owner.
 */
export function fixedRepairPlan(ring: FixedRing, slot: number): RepairTask[] {
  const own = slotPointRange(ring, slot);
  const primary: RepairTask[] = [];
  const replica: RepairTask[] = [];
  // Split at 2^31 so each piece's alternate is contiguous.
  const pieces: Array<[number, number]> = [];
  if (own.begin < HALF && own.end > HALF) pieces.push([own.begin, HALF], [HALF, own.end]);
  else pieces.push([own.begin, own.end]);
  for (const [pb, pe] of pieces) {
    const [ab, ae] = alternateOf(pb, pe);
    // Walk the slots that own the alternate piece [ab, ae).
    let point = ab;
    while (point < ae) {
      const peerSlot = ring.slotOf(point);
      const peer = slotPointRange(ring, peerSlot);
      const xe = Math.min(ae, peer.end);
      if (xe <= point) throw new Error(`slot ${peerSlot} does not cover point ${point}`); // cannot happen
      if (peerSlot !== slot) {
        // [point, xe) are alternate points of ours (keys we own; partner holds copies) and
        // key points of the partner's (keys it owns; we hold their copies).
        const [ob, oe] = alternateOf(point, xe);
        primary.push({
          peerSlot,
          role: "primary",
          begin: ob,
          end: oe,
          alternateBegin: point,
          alternateEnd: xe,
        });
        replica.push({
          peerSlot,
          role: "replica",
          begin: point,
          end: xe,
          alternateBegin: ob,
          alternateEnd: oe,
        });
      }
      point = xe;
    }
  }
  const byBegin = (a: RepairTask, b: RepairTask) => a.begin - b.begin;
  return [...primary.sort(byBegin), ...replica.sort(byBegin)];
}
