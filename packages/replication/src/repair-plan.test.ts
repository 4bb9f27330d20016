import { FixedRing } from "@plz-cache/hashring";
import { describe, expect, it } from "vitest";
import { interestingPoints, refAlternate, refOwner } from "../test/support/points.js";
import { fixedRepairPlan, POINT_SPACE_END, type RepairTask } from "./repair-plan.js";

/** Who should pull point p from whom (brute force from the reference functions). */
function expectedPulls(p: number, n: number): Map<number, { peerSlot: number; role: string }> {
  const owner = refOwner(p, n);
  const alternate = refOwner(refAlternate(p), n);
  const out = new Map<number, { peerSlot: number; role: string }>();
  if (owner !== alternate) {
    out.set(owner, { peerSlot: alternate, role: "primary" });
    out.set(alternate, { peerSlot: owner, role: "replica" });
  }
  return out;
}

describe("fixedRepairPlan", () => {
  it("pulls each key point from exactly the slot brute force says, for ring sizes 1 to 7", () => {
    let checked = 0;
    for (let n = 1; n <= 7; n++) {
      const ring = new FixedRing(n);
      const plans = Array.from({ length: n }, (_, slot) => fixedRepairPlan(ring, slot));
      for (const p of interestingPoints(n, 500)) {
        const expected = expectedPulls(p, n);
        for (let slot = 0; slot < n; slot++) {
          const hits = plans[slot]!.filter((t) => t.begin <= p && p < t.end);
          const want = expected.get(slot);
          expect(
            hits.map((t) => ({ peerSlot: t.peerSlot, role: t.role })),
            `n=${n} slot=${slot} p=${p}`,
          ).toEqual(want === undefined ? [] : [want]);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(10000);
  });

  it("gives each task the alternate range of its keys, contiguous", () => {
    for (let n = 1; n <= 7; n++) {
      const ring = new FixedRing(n);
      for (let slot = 0; slot < n; slot++) {
        for (const t of fixedRepairPlan(ring, slot)) {
          expect(t.end).toBeGreaterThan(t.begin);
          expect(t.alternateEnd - t.alternateBegin).toBe(t.end - t.begin);
          expect(t.alternateBegin).toBe(refAlternate(t.begin));
          expect(t.alternateEnd - 1).toBe(refAlternate(t.end - 1));
          // The alternate points of a primary task belong to the partner; of a replica task, to us.
          const altOwner = refOwner(t.alternateBegin, n);
          expect(altOwner).toBe(refOwner(t.alternateEnd - 1, n));
          expect(altOwner).toBe(t.role === "primary" ? t.peerSlot : slot);
        }
      }
    }
  });

  it("covers our whole range and every key we hold a copy of, and nothing else", () => {
    for (let n = 2; n <= 7; n++) {
      const ring = new FixedRing(n);
      for (let slot = 0; slot < n; slot++) {
        const plan = fixedRepairPlan(ring, slot);
        const size = (tasks: RepairTask[]) => tasks.reduce((s, t) => s + (t.end - t.begin), 0);
        const begin = ring.range(slot).begin;
        const end = slot === n - 1 ? POINT_SPACE_END : ring.range(slot).end;
        // Our range, less the points whose alternate is also ours.
        const selfPaired = countSelfPaired(begin, end, n, slot);
        expect(size(plan.filter((t) => t.role === "primary"))).toBe(end - begin - selfPaired);
        expect(size(plan.filter((t) => t.role === "replica"))).toBe(end - begin - selfPaired);
        // Disjoint within a role.
        for (const role of ["primary", "replica"] as const) {
          const tasks = plan.filter((t) => t.role === role).sort((a, b) => a.begin - b.begin);
          for (let i = 1; i < tasks.length; i++)
            expect(tasks[i]!.begin).toBeGreaterThanOrEqual(tasks[i - 1]!.end);
        }
      }
    }
  });

  it("includes the point 0xFFFFFFFF in the last slot's pulls", () => {
    for (let n = 2; n <= 7; n++) {
      const plan = fixedRepairPlan(new FixedRing(n), n - 1);
      const alternateOwner = refOwner(0x7fffffff, n);
      const hits = plan.filter((t) => t.begin <= 0xffffffff && 0xffffffff < t.end);
      expect(hits.map((t) => t.peerSlot)).toEqual(alternateOwner === n - 1 ? [] : [alternateOwner]);
    }
  });

  it("has nothing to pull on a one-slot ring", () => {
    expect(fixedRepairPlan(new FixedRing(1), 0)).toEqual([]);
  });
});

/** Points of [begin, end) whose alternate is owned by `slot` too (the range is at most a half). */
function countSelfPaired(begin: number, end: number, n: number, slot: number): number {
  // The alternate of [begin, end) is at most two contiguous runs; intersect them with our range.
  const half = 2 ** 31;
  const runs: Array<[number, number]> = [];
  const pieces: Array<[number, number]> =
    begin < half && end > half
      ? [
          [begin, half],
          [half, end],
        ]
      : [[begin, end]];
  for (const [b, e] of pieces) runs.push(b < half ? [b + half, e + half] : [b - half, e - half]);
  let count = 0;
  for (const [b, e] of runs) count += Math.max(0, Math.min(e, end) - Math.max(b, begin));
  expect(refOwner(begin, n)).toBe(slot);
  return count;
}
