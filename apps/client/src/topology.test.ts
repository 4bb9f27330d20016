import { alternateHash, HASH_SPACE_MAX, hashPoint } from "@plz-cache/hashring";
import { describe, expect, it } from "vitest";
import { Topology } from "./topology.js";
import type { NodeInfo } from "./types.js";

function ring(n: number): NodeInfo[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `node-${i}`,
    address: `10.0.0.${i}:7677`,
    hashBegin: hashPoint(i, n),
    hashEnd: hashPoint(i + 1, n),
  }));
}

function key(point: number): Uint8Array {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(point, 0);
  return b;
}

describe("Topology", () => {
  it("routes every key to the one server when the list is empty", () => {
    const t = Topology.fromNodes("cache:7677", []);
    expect(t.clustered).toBe(false);
    expect(t.route(key(12345)).map((n) => n.address)).toEqual(["cache:7677"]);
    expect(t.addresses()).toEqual(["cache:7677"]);
  });

  it("finds the owner of each range's first point, last point, and the points around them", () => {
    const t = Topology.fromNodes("seed:1", ring(3));
    expect(t.ownerOf(0)?.name).toBe("node-0");
    expect(t.ownerOf(1431655764)?.name).toBe("node-0");
    expect(t.ownerOf(1431655765)?.name).toBe("node-1");
    expect(t.ownerOf(2863311529)?.name).toBe("node-1");
    expect(t.ownerOf(2863311530)?.name).toBe("node-2");
    expect(t.ownerOf(4294967294)?.name).toBe("node-2");
  });

  it("gives 0xFFFFFFFF to the node with the last range, which the original gave to nobody", () => {
    const t = Topology.fromNodes("seed:1", ring(3));
    expect(t.ownerOf(HASH_SPACE_MAX)?.name).toBe("node-2");
    // Whatever order the server listed them in.
    const shuffled = Topology.fromNodes("seed:1", [ring(3)[2]!, ring(3)[0]!, ring(3)[1]!]);
    expect(shuffled.ownerOf(HASH_SPACE_MAX)?.name).toBe("node-2");
  });

  it("leaves points in a gap (a slot whose node has not joined) without an owner", () => {
    const nodes = ring(3);
    const t = Topology.fromNodes("seed:1", [nodes[0]!, nodes[2]!]);
    expect(t.ownerOf(1431655765)).toBeUndefined();
    expect(t.ownerOf(2863311529)).toBeUndefined();
    expect(t.ownerOf(2863311530)?.name).toBe("node-2");
    // Without the last slot, 0xFFFFFFFF has no owner either.
    const noLast = Topology.fromNodes("seed:1", [nodes[0]!, nodes[1]!]);
    expect(noLast.ownerOf(HASH_SPACE_MAX)).toBeUndefined();
  });

  it("routes to the owner first and then the owner of the alternate point", () => {
    const t = Topology.fromNodes("seed:1", ring(3));
    const k = key(100); // node-0; alternate 100 + 2^31 is in node-1's range
    expect(alternateHash(k)).toBe(100 + 2 ** 31);
    expect(t.route(k).map((n) => n.name)).toEqual(["node-0", "node-1"]);
    const high = key(4000000000); // node-2; alternate 4000000000 - 2^31 = 1852516352, node-1
    expect(t.route(high).map((n) => n.name)).toEqual(["node-2", "node-1"]);
    expect(t.route(key(HASH_SPACE_MAX)).map((n) => n.name)).toEqual(["node-2", "node-1"]);
  });

  it("does not repeat a node that owns both points, and skips a missing alternate", () => {
    const one = Topology.fromNodes("seed:1", ring(1));
    expect(one.route(key(5)).map((n) => n.name)).toEqual(["node-0"]);
    const nodes = ring(2);
    const gap = Topology.fromNodes("seed:1", [nodes[0]!]);
    expect(gap.route(key(5)).map((n) => n.name)).toEqual(["node-0"]);
    expect(gap.route(key(2 ** 31 + 5)).map((n) => n.name)).toEqual(["node-0"]);
  });

  it("drops nodes without an address or with an empty range", () => {
    const t = Topology.fromNodes("seed:1", [
      { name: "a", address: "", hashBegin: 0, hashEnd: 10 },
      { name: "b", address: "b:1", hashBegin: 5, hashEnd: 5 },
    ]);
    expect(t.clustered).toBe(false);
  });

  it("compares topologies by what they route", () => {
    const a = Topology.fromNodes("seed:1", ring(3));
    expect(a.equals(Topology.fromNodes("seed:1", ring(3)))).toBe(true);
    const moved = ring(3).map((n, i) => (i === 1 ? { ...n, address: "10.0.0.9:7677" } : n));
    expect(a.equals(Topology.fromNodes("seed:1", moved))).toBe(false);
    expect(a.equals(Topology.unclustered("seed:1"))).toBe(false);
  });

  it("lists each address once when a node appears with several ranges", () => {
    const t = Topology.fromNodes("seed:1", [
      { name: "a", address: "a:1", hashBegin: 0, hashEnd: 100 },
      { name: "a", address: "a:1", hashBegin: 200, hashEnd: 300 },
      { name: "b", address: "b:1", hashBegin: 100, hashEnd: 200 },
    ]);
    expect(t.addresses()).toEqual(["a:1", "b:1"]);
    expect(t.ownerOf(250)?.address).toBe("a:1");
    expect(t.ownerOf(150)?.address).toBe("b:1");
  });
});
