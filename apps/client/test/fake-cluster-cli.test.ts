/**
 * The CLI against a fake cluster of in-process servers that list each other, where every call
 * each node receives can be counted: the CLI sends a store to the owner alone, and deletes to
 * every node itself (a real cluster would forward them, hiding whether the client did). The
 * same commands against real nodes are in `cluster.test.ts`.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json, plzCache } from "./support/cli.js";
import { FakeCacheServer, FakeCluster } from "./support/fake-cache-server.js";
import { Fleet } from "./support/node-process.js";

const fleet = new Fleet();
let cl: FakeCluster;

beforeAll(async () => {
  cl = await FakeCluster.start(3);
});
afterAll(async () => {
  cl.stop();
  await fleet.stop();
});

describe("plz-cache against a fake cluster", () => {
  it("nodes: prints each node's name, address and range, one a line", async () => {
    const r = await plzCache(["--server", cl.node(1).address, "nodes"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toEqual([
      `node-0  ${cl.node(0).address}  [0, 1431655765)`,
      `node-1  ${cl.node(1).address}  [1431655765, 2863311530)`,
      `node-2  ${cl.node(2).address}  [2863311530, 4294967295)`,
    ]);
    const j = await plzCache(["--server", cl.node(1).address, "--json", "nodes"]);
    expect(json(j)).toEqual({
      server: cl.node(1).address,
      clustered: true,
      nodes: cl.topology().map((n) => ({ ...n })),
    });
  });

  it("store goes to the hash's owner; delete and delete --everything reach every node", async () => {
    const root = fleet.tempDir("plz-cache-cluster-");
    writeFileSync(join(root, "f"), "x");
    const T = ["--package", "p", "--target", "t"];
    // Hash bytes 00 00 00 c0 read little-endian: point 0xc0000000, node-2's.
    const stored = await plzCache([
      "--server",
      cl.node(0).address,
      "store",
      "--hash",
      "000000c0ff",
      ...T,
      "--root",
      root,
      "f",
    ]);
    expect(stored.code, stored.stderr).toBe(0);
    expect(cl.nodes.map((n) => n.count("store"))).toEqual([0, 0, 1]);
    expect((await plzCache(["--server", cl.node(0).address, "delete", ...T])).code).toBe(0);
    expect((await plzCache(["--server", cl.node(0).address, "delete", "--everything"])).code).toBe(0);
    expect(cl.nodes.map((n) => n.count("delete"))).toEqual([2, 2, 2]);
  });

  it("bench: spreads its load over the cluster and says how many nodes it ran against", async () => {
    const r = await plzCache([
      "--server",
      cl.node(0).address,
      "bench",
      "--count",
      "60",
      "--size",
      "1K",
      "--read-ratio",
      "0.3",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\(3 nodes\): 60 ops/);
    for (const n of cl.nodes) expect(n.count("store")).toBeGreaterThan(0);
  });
});

describe("--timeout", () => {
  it("bounds every call: a server slower than the deadline gives exit 3 with DEADLINE_EXCEEDED", async () => {
    const slow = await FakeCacheServer.start("slow");
    try {
      slow.delayMs = 5_000;
      const started = Date.now();
      const r = await plzCache([
        "--server",
        slow.address,
        "--timeout",
        "300ms",
        "retrieve",
        "--hash",
        "00112233",
        "--package",
        "p",
        "--target",
        "t",
        "f",
      ]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain("DEADLINE_EXCEEDED");
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      slow.stop();
    }
  });
});
