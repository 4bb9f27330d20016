import { FixedRing, HashRing } from "@plz-cache/hashring";
import { describe, expect, it } from "vitest";
import { interestingPoints, keyAt, refAlternate, refHash, refOwner } from "../test/support/points.js";
import { ElasticPlacement, FixedPlacement } from "./placement.js";

const name = (slot: number) => `node-${slot}`;

function fixed(size: number, self: number, nodeAt: (slot: number) => string | undefined = name) {
  return new FixedPlacement({ ring: new FixedRing(size), self, nodeAt });
}

/** The spec §4 rule, from the reference hash functions (plus: on neither, both). */
function expectedTargets(key: Uint8Array, n: number, self: number): string[] {
  const p = refHash(key);
  const owner = refOwner(p, n);
  const alternate = refOwner(refAlternate(p), n);
  const out: number[] = [];
  if (owner === self) {
    if (alternate !== self) out.push(alternate);
  } else if (alternate === self) {
    out.push(owner);
  } else {
    out.push(owner);
    if (alternate !== owner) out.push(alternate);
  }
  return out.map(name);
}

describe("FixedPlacement", () => {
  it("matches the owner/alternate rule at every boundary point, for ring sizes 2 to 7 and every slot", () => {
    let checked = 0;
    for (let n = 2; n <= 7; n++) {
      const points = interestingPoints(n);
      for (let self = 0; self < n; self++) {
        const placement = fixed(n, self);
        for (const p of points) {
          const key = keyAt(p);
          expect(placement.replicaTargets(key), `n=${n} self=${self} p=${p}`).toEqual(
            expectedTargets(key, n, self),
          );
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(5000);
  });

  it("sends a store that arrived at the owner to the owner of the alternate point", () => {
    // n=4: slot 0 owns [0, 1073741823); the alternate of point 5 is 2^31 + 5, in slot 2.
    expect(fixed(4, 0).replicaTargets(keyAt(5))).toEqual(["node-2"]);
  });

  it("sends a store that arrived at the alternate owner back to the owner", () => {
    expect(fixed(4, 2).replicaTargets(keyAt(5))).toEqual(["node-0"]);
  });

  it("sends a store that arrived at neither holder to both", () => {
    expect(fixed(4, 1).replicaTargets(keyAt(5))).toEqual(["node-0", "node-2"]);
  });

  it("places the point 0xFFFFFFFF on the last slot for every ring size", () => {
    for (let n = 2; n <= 7; n++) {
      const alternateOwner = refOwner(0x7fffffff, n);
      const fromLast = fixed(n, n - 1).replicaTargets(keyAt(0xffffffff));
      expect(fromLast).toEqual(alternateOwner === n - 1 ? [] : [name(alternateOwner)]);
      // Arriving at the alternate owner, the store goes to the last slot, the point's owner.
      if (alternateOwner !== n - 1) {
        expect(fixed(n, alternateOwner).replicaTargets(keyAt(0xffffffff))).toEqual([name(n - 1)]);
      }
    }
  });

  it("returns no target on a one-slot ring", () => {
    const placement = fixed(1, 0);
    for (const p of interestingPoints(1, 50)) expect(placement.replicaTargets(keyAt(p))).toEqual([]);
    expect(placement.deleteTargets()).toEqual([]);
  });

  it("returns no target for a key whose point and alternate point are both ours", () => {
    // n=2: slot 1 owns [2147483647, 2^32); point 0x7FFFFFFF and its alternate 0xFFFFFFFF are both in it.
    expect(fixed(2, 1).replicaTargets(keyAt(0x7fffffff))).toEqual([]);
    expect(fixed(2, 0).replicaTargets(keyAt(0x7fffffff))).toEqual(["node-1"]);
  });

  it("skips a slot no node holds yet", () => {
    const placement = fixed(4, 0, (slot) => (slot === 2 ? undefined : name(slot)));
    expect(placement.replicaTargets(keyAt(5))).toEqual([]);
    expect(placement.deleteTargets()).toEqual(["node-1", "node-3"]);
  });

  it("follows slot changes made after construction", () => {
    const names = new Map([
      [0, "a"],
      [1, "b"],
    ]);
    const placement = new FixedPlacement({ ring: new FixedRing(2), self: 0, nodeAt: (s) => names.get(s) });
    expect(placement.replicaTargets(keyAt(5))).toEqual(["b"]);
    names.set(1, "b2");
    expect(placement.replicaTargets(keyAt(5))).toEqual(["b2"]);
  });

  it("forwards deletes to every other member", () => {
    for (let n = 2; n <= 7; n++) {
      for (let self = 0; self < n; self++) {
        const others = Array.from({ length: n }, (_, i) => i)
          .filter((i) => i !== self)
          .map(name);
        expect(fixed(n, self).deleteTargets()).toEqual(others);
      }
    }
  });

  it("rejects a slot outside the ring", () => {
    expect(() => fixed(3, 3)).toThrow(RangeError);
    expect(() => fixed(3, -1)).toThrow(RangeError);
  });
});

describe("ElasticPlacement", () => {
  const nodes = ["a", "b", "c", "d", "e"];

  it("targets the key's replicas on the ring, without this node", () => {
    const ring = new HashRing(nodes);
    for (const replicas of [1, 2, 3]) {
      for (const self of nodes) {
        const placement = new ElasticPlacement({ ring, self, replicas });
        for (let i = 0; i < 200; i++) {
          const key = keyAt(i * 7919, i);
          const holders = ring.locate(key, replicas);
          const targets = placement.replicaTargets(key);
          expect(targets).toEqual(holders.filter((n) => n !== self));
          expect(targets.length).toBe(holders.includes(self) ? replicas - 1 : replicas);
        }
      }
    }
  });

  it("defaults to two copies", () => {
    const ring = new HashRing(nodes);
    const placement = new ElasticPlacement({ ring, self: "a" });
    expect(placement.replicas).toBe(2);
    const key = keyAt(123456789);
    expect(placement.replicaTargets(key)).toEqual(ring.locate(key, 2).filter((n) => n !== "a"));
  });

  it("forwards deletes to every other member, following ring changes", () => {
    const ring = new HashRing(nodes);
    const placement = new ElasticPlacement({ ring, self: "c" });
    expect(placement.deleteTargets()).toEqual(["a", "b", "d", "e"]);
    ring.add("f");
    ring.remove("a");
    expect(placement.deleteTargets()).toEqual(["b", "d", "e", "f"]);
  });

  it("rejects a replica count below one", () => {
    expect(() => new ElasticPlacement({ ring: new HashRing(), self: "a", replicas: 0 })).toThrow(RangeError);
  });
});
