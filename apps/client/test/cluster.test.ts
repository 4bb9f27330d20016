/**
 * The CLI and the library against a real three-node fixed-mode cluster of `plz-cache-node`
 * processes: every command; keys in every range (0xFFFFFFFF included) stored on their owner and
 * copied by the cluster to the alternate owner; a directory tree byte for byte; retrieval through
 * the replica once the owner is SIGKILLed; the library following that node to its new port after
 * it restarts. One cluster serves the whole file and the tests run in order: the last two kill
 * and restart slot 0.
 *
 * "Which node took a store" is read from each node's `stored_count` counter, which counts client
 * `Store` calls only (not replication); "what a node holds" is asked of that node directly.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { hashPoint } from "@plz-cache/hashring";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CacheClient } from "../src/cache-client.js";
import { type CliResult, json, plzCache } from "./support/cli.js";
import {
  alternatePoint,
  type DirectTarget,
  holds,
  restartNode,
  retrieveFrom,
  slotOf,
  startCluster,
  until,
  untilListed,
} from "./support/cluster.js";
import { hashAt } from "./support/fake-cache-server.js";
import { Fleet, type NodeProcess } from "./support/node-process.js";
import { expectSameTree, makeTree, TREE_ENTRIES } from "./support/tree.js";

const OS = "linux";
const ARCH = "amd64";
const PLATFORM = ["--os", OS, "--arch", ARCH];

const fleet = new Fleet();
/** By slot: `nodes[i]` owns `[hashPoint(i, 3), hashPoint(i + 1, 3))`. */
let nodes: NodeProcess[];
let work: string;

beforeAll(async () => {
  nodes = await startCluster(fleet, "cc", 3);
  work = fleet.tempDir("plz-cache-cluster-");
  makeTree(join(work, "src"));
}, 60_000);
afterAll(() => fleet.stop());

function cli(via: NodeProcess, ...args: string[]): Promise<CliResult> {
  return plzCache(["--server", via.address, "--timeout", "10s", ...args]);
}

function targetArgs(t: DirectTarget): string[] {
  return ["--package", t.package, "--target", t.target, "--os", t.os, "--arch", t.arch];
}

/** Each node's `stored_count`, by slot. */
function storedCounts(): Promise<number[]> {
  return Promise.all(nodes.map((n) => n.counter("stored_count", ARCH)));
}

const hex = (b: Buffer) => b.toString("hex");

describe("plz-cache against a real three-node cluster", () => {
  it("nodes: lists the three nodes, at their addresses, with the spec's ranges, asked of any node", async () => {
    for (const via of nodes) {
      const text = await cli(via, "nodes");
      expect(text.code, text.stderr).toBe(0);
      expect(
        text.stdout
          .trimEnd()
          .split("\n")
          .map((l) => l.split(/ {2,}/)),
      ).toEqual(nodes.map((n, i) => [n.name, n.address, `[${hashPoint(i, 3)}, ${hashPoint(i + 1, 3)})`]));
    }
    const j = await cli(nodes[1]!, "--json", "nodes");
    expect(json(j)).toEqual({
      server: nodes[1]!.address,
      clustered: true,
      nodes: nodes.map((n, i) => ({
        name: n.name,
        address: n.address,
        hashBegin: hashPoint(i, 3),
        hashEnd: hashPoint(i + 1, 3),
      })),
    });
    expect(json<{ nodes: { hashEnd: number }[] }>(j).nodes[2]!.hashEnd).toBe(4294967295);
  });

  it("store sends each key to its owner, in every range and at 0xFFFFFFFF; the cluster copies it to the alternate owner; retrieve finds it from any node", async () => {
    const t: DirectTarget = { package: "cluster/keys", target: "k", os: OS, arch: ARCH };
    // Both ends of every range; 0 and 0xFFFFFFFF (which the original gave to nobody).
    const points = [0, 1431655764, 1431655765, 2863311529, 2863311530, 0xffffffff];
    const root = join(work, "keys");
    const keys = points.map((point, i) => ({
      point,
      file: `key-${i}`,
      hash: hashAt(point, i + 1),
      owner: slotOf(point),
      alt: slotOf(alternatePoint(point)),
    }));
    mkdirSync(root);
    for (const k of keys) {
      writeFileSync(join(root, k.file), `the key at ${k.point}`);
      expect(k.owner, `${k.point}`).not.toBe(k.alt);
      const before = await storedCounts();
      // Through a node that does not own the key: the client routes, the node does not forward.
      const r = await cli(
        nodes[(k.owner + 1) % 3]!,
        "store",
        "--hash",
        hex(k.hash),
        ...targetArgs(t),
        "--root",
        root,
        k.file,
      );
      expect(r.code, r.stderr).toBe(0);
      const after = await storedCounts();
      expect(
        after.map((n, s) => n - before[s]!),
        `stores counted by each slot for point ${k.point}`,
      ).toEqual([0, 1, 2].map((s) => (s === k.owner ? 1 : 0)));
      await until(`slot ${k.alt} holds its copy of point ${k.point}`, () =>
        holds(nodes[k.alt]!, t, k.hash, [k.file]),
      );
      expect(await holds(nodes[3 - k.owner - k.alt]!, t, k.hash, [k.file])).toBe(false);
    }
    const out = join(work, "keys-out");
    const got = await Promise.all(
      keys.map((k, i) =>
        cli(
          nodes[i % 3]!,
          "--json",
          "retrieve",
          "--hash",
          hex(k.hash),
          ...targetArgs(t),
          "--out",
          out,
          k.file,
        ),
      ),
    );
    for (const [i, k] of keys.entries()) {
      expect(got[i]!.code, got[i]!.stderr).toBe(0);
      expect(json(got[i]!)).toMatchObject({ hit: true, files: [k.file] });
      expect(await readFile(join(out, k.file), "utf8")).toBe(`the key at ${k.point}`);
    }
  });
  it("delete removes every hash of a target from every node and keeps other targets; delete --everything empties every node", async () => {
    const doomed: DirectTarget = { package: "cluster/del", target: "doomed", os: OS, arch: ARCH };
    const kept: DirectTarget = { package: "cluster/del", target: "kept", os: OS, arch: ARCH };
    const root = join(work, "del");
    mkdirSync(root);
    writeFileSync(join(root, "f"), "delete me");
    // Two hashes of the doomed target on different owners, and one of another target.
    const stored = [
      { t: doomed, hash: hashAt(10, 1) },
      { t: doomed, hash: hashAt(3_000_000_000, 2) },
      { t: kept, hash: hashAt(1_500_000_000, 3) },
    ];
    for (const { t, hash } of stored) {
      const r = await cli(nodes[0]!, "store", "--hash", hex(hash), ...targetArgs(t), "--root", root, "f");
      expect(r.code, r.stderr).toBe(0);
    }
    for (const { t, hash } of stored) {
      const point = hash.readUInt32LE(0);
      for (const slot of [slotOf(point), slotOf(alternatePoint(point))]) {
        await until(`slot ${slot} holds ${hex(hash)}`, () => holds(nodes[slot]!, t, hash, ["f"]));
      }
    }

    const del = await cli(nodes[1]!, "delete", "--package", "cluster/del", "--target", "doomed", ...PLATFORM);
    expect(del, del.stderr).toMatchObject({
      code: 0,
      stdout: `deleted //cluster/del:doomed (${OS}_${ARCH})\n`,
    });
    for (const n of nodes) {
      for (const { hash } of stored.slice(0, 2)) expect(await holds(n, doomed, hash, ["f"])).toBe(false);
    }
    const keptHash = stored[2]!.hash;
    const keptPoint = keptHash.readUInt32LE(0);
    for (const slot of [slotOf(keptPoint), slotOf(alternatePoint(keptPoint))]) {
      expect(await holds(nodes[slot]!, kept, keptHash, ["f"])).toBe(true);
    }

    const all = await cli(nodes[2]!, "--json", "delete", "--everything");
    expect(all.code, all.stderr).toBe(0);
    expect(json(all)).toEqual({ deleted: "everything" });
    for (const n of nodes) {
      expect(await holds(n, kept, keptHash, ["f"])).toBe(false);
      // The keys of the test before, too: each node is empty.
      await until(`${n.name} holds no file`, async () => /^store_files 0$/m.test(await n.http("/metrics")));
    }
    // Every node also forwarded the deletes to the others: let those land before the next test
    // stores anything, or a late "delete everything" would remove what it stored.
    for (const n of nodes) {
      await until(`${n.name} has no replication pending`, async () => {
        const metrics = await n.http("/metrics");
        return /^replication_queue_depth 0$/m.test(metrics) && /^replication_in_flight 0$/m.test(metrics);
      });
    }
  });

  it("bench: a bounded run spreads its stores over every node, with no errors or misses", async () => {
    const before = await storedCounts();
    const r = await cli(
      nodes[0]!,
      "--json",
      "bench",
      "--count",
      "60",
      "--duration",
      "30s",
      "--concurrency",
      "4",
      "--size",
      "1K,4K",
      "--read-ratio",
      "0.4",
      ...PLATFORM,
    );
    expect(r.code, r.stderr).toBe(0);
    const report = json<{
      nodes: number;
      total: { ops: number; errors: number };
      store: { ops: number };
      retrieve: { ops: number; misses: number };
    }>(r);
    expect(report.nodes).toBe(3);
    expect(report.total).toMatchObject({ ops: 60, errors: 0 });
    expect(report.retrieve.ops).toBeGreaterThan(0);
    expect(report.retrieve.misses).toBe(0);
    const deltas = (await storedCounts()).map((n, s) => n - before[s]!);
    for (const d of deltas) expect(d).toBeGreaterThan(0);
    expect(deltas.reduce((a, b) => a + b, 0)).toBe(report.store.ops);
  });

  // Slot 0 owns the tree's hash, and slot 1 keeps its copy: the next test kills slot 0.
  const tree: DirectTarget = { package: "cluster/tree", target: "tree", os: OS, arch: ARCH };
  const treeHash = hashAt(100, 0xaa);

  it("round-trips a directory tree with nested files and symlinks through the cluster, byte for byte, and onto the replica", async () => {
    expect([slotOf(100), slotOf(alternatePoint(100))]).toEqual([0, 1]);
    const src = join(work, "src");
    const stored = await cli(
      nodes[2]!,
      "store",
      "--hash",
      hex(treeHash),
      ...targetArgs(tree),
      "--root",
      src,
      "tree",
      "solo.txt",
    );
    expect(stored.code, stored.stderr).toBe(0);
    expect(stored.stdout).toMatch(new RegExp(`^stored ${TREE_ENTRIES} files `));
    const out = join(work, "tree-out");
    const got = await cli(
      nodes[1]!,
      "retrieve",
      "--hash",
      hex(treeHash),
      ...targetArgs(tree),
      "--out",
      out,
      "tree",
      "solo.txt",
    );
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout).toMatch(new RegExp(`^retrieved ${TREE_ENTRIES} files `));
    expectSameTree(src, out);
    // The alternate owner, asked directly, has every file of it.
    await until("slot 1 holds the whole tree", async () => {
      const r = await retrieveFrom(nodes[1]!, tree, treeHash, ["tree", "solo.txt"]);
      return r.success && r.artifacts.length === TREE_ENTRIES;
    });
  });

  const t: DirectTarget = { package: "cluster/failover", target: "f", os: OS, arch: ARCH };

  it("retrieve still succeeds through the replica once the owner is SIGKILLed, and store falls back to it", async () => {
    const root = join(work, "failover");
    mkdirSync(root);
    writeFileSync(join(root, "f"), "survives");
    const hash = hashAt(200, 7); // slot 0's; its copy lives on slot 1
    const stored = await cli(nodes[2]!, "store", "--hash", hex(hash), ...targetArgs(t), "--root", root, "f");
    expect(stored.code, stored.stderr).toBe(0);
    await until("slot 1 holds the copy", () => holds(nodes[1]!, t, hash, ["f"]));

    await nodes[0]!.kill(); // SIGKILL
    const out = join(work, "failover-out");
    const got = await cli(nodes[2]!, "retrieve", "--hash", hex(hash), ...targetArgs(t), "--out", out, "f");
    expect(got.code, got.stderr).toBe(0);
    expect(await readFile(join(out, "f"), "utf8")).toBe("survives");
    const treeOut = join(work, "tree-after-kill");
    const gotTree = await cli(
      nodes[1]!,
      "retrieve",
      "--hash",
      hex(treeHash),
      ...targetArgs(tree),
      "--out",
      treeOut,
      "tree",
      "solo.txt",
    );
    expect(gotTree.code, gotTree.stderr).toBe(0);
    expectSameTree(join(work, "src"), treeOut);

    // A store of slot 0's goes to slot 1, synchronously.
    const whileDown = hashAt(300, 8);
    const r = await cli(nodes[2]!, "store", "--hash", hex(whileDown), ...targetArgs(t), "--root", root, "f");
    expect(r.code, r.stderr).toBe(0);
    expect(await holds(nodes[1]!, t, whileDown, ["f"])).toBe(true);
    // A miss is still a miss (exit 1), not a failure, with the owner gone.
    const miss = await cli(
      nodes[1]!,
      "retrieve",
      "--hash",
      hex(hashAt(400, 9)),
      ...targetArgs(t),
      "--out",
      out,
      "f",
    );
    expect(miss.code, miss.stderr).toBe(1);
  });

  it("the library, with a 200 ms refresh interval, routes to a node that restarted under its name on a new port", async () => {
    const dead = nodes[0]!;
    const client = new CacheClient(nodes[2]!.address, {
      refreshIntervalMs: 200,
      minRefreshIntervalMs: 0,
      // Long enough that only a new address in the topology can bring slot 0 back into use.
      backoffMs: 60_000,
      maxBackoffMs: 60_000,
      timeoutMs: 5_000,
    });
    try {
      const body = (s: string) => [{ file: "f", body: Buffer.from(s) }];
      await client.store(t, hashAt(500, 10), body("while down")); // slot 0 fails; slot 1 takes it
      expect(await holds(nodes[1]!, t, hashAt(500, 10), ["f"])).toBe(true);
      expect((await client.nodes())[0]!.address).toBe(dead.address);

      const back = await restartNode(fleet, dead, dead.name, nodes[1]!);
      expect(back.slot).toBe(0);
      expect(back.address).not.toBe(dead.address);
      nodes[0] = back;
      await untilListed(nodes);

      await until("the client stores slot 0's keys on the restarted node", async () => {
        await client.store(t, hashAt(600, 11), body("after"));
        return (await back.counter("stored_count", ARCH)) > 0;
      });
      expect((await client.nodes()).map((n) => n.address)).toEqual(nodes.map((n) => n.address));
      expect(await holds(back, t, hashAt(600, 11), ["f"])).toBe(true);
      const got = await client.retrieve(t, hashAt(600, 11), ["f"]);
      expect(got?.[0]?.body.toString()).toBe("after");
    } finally {
      await client.close();
    }
  });
});
