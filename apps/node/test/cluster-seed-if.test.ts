import { afterEach, describe, expect, it } from "vitest";
import {
  type ClusterNode,
  freePort,
  listNodes,
  startCluster,
  startClusterNode,
  waitFor,
} from "./cluster-harness.js";
import { removeDir, runCli, tempDir } from "./harness.js";

const started: ClusterNode[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const n of started.splice(0)) {
    await n.node.stop();
    removeDir(n.node.dir);
  }
  for (const d of dirs.splice(0)) removeDir(d);
});

/** Starts nodes together; every one that started is closed after the test, even if another failed. */
async function startAll(starts: Promise<ClusterNode>[]): Promise<ClusterNode[]> {
  const settled = await Promise.allSettled(starts);
  for (const s of settled) if (s.status === "fulfilled") started.push(s.value);
  return settled.map((s) => {
    if (s.status === "rejected") throw s.reason;
    return s.value;
  });
}

/** Two distinct ports that were free a moment ago. */
async function twoFreePorts(): Promise<[number, number]> {
  const a = await freePort();
  for (;;) {
    const b = await freePort();
    if (b !== a) return [a, b];
  }
}

const names = async (n: ClusterNode) => (await listNodes(n.node)).map((x) => x.name);
const logged = (n: ClusterNode, msg: string | RegExp) =>
  n.node.logs.some((l) => (typeof msg === "string" ? l.msg === msg : msg.test(l.msg)));

describe("--seed_if", () => {
  it("seeds on the named node when nothing answers at --cluster_addresses; another name exits 1", async () => {
    // Nothing listens there: every gossip join attempt is refused until the retries run out.
    const silent = `127.0.0.1:${(await twoFreePorts())[0]}`;
    const otherDir = tempDir("plz-cache-seed-if-other-");
    dirs.push(otherDir);
    const [other, [seed, alone]] = await Promise.all([
      runCli([
        "--host",
        "127.0.0.1",
        "-p",
        "0",
        "--cluster_port",
        "0",
        "-d",
        otherDir,
        "--node_name",
        "si-other",
        "--seed_if",
        "si0",
        "--cluster_size",
        "2",
        "--cluster_addresses",
        silent,
      ]),
      startAll([
        startClusterNode("si0", ["--seed_if", "si0", "--cluster_size", "2", "--cluster_addresses", silent]),
        // No --cluster_addresses at all: they resolve to nothing, so it seeds without waiting.
        startClusterNode("si-alone", ["--seed_if", "si-alone", "--cluster_size", "2"]),
      ]) as Promise<[ClusterNode, ClusterNode]>,
    ]);

    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(
      /could not join the cluster: could not reach any of --cluster_addresses .*only si0 \(--seed_if\) may seed/,
    );
    for (const n of [seed, alone]) {
      expect(logged(n, "no cluster found: seeding it (--seed_if)")).toBe(true);
      expect(n.node.logs.find((l) => l.msg === "serving")!.slot).toBe(0);
    }
    // No secret and no cluster certs: the node says so at start-up.
    expect(logged(seed, /cluster peers are not authenticated/)).toBe(true);

    // It is a working seed: a second node joins through it.
    const [joiner] = await startAll([startClusterNode("si1", ["--cluster_addresses", seed.gossip])]);
    expect(joiner!.node.logs.find((l) => l.msg === "serving")!.slot).toBe(1);
    expect(await waitFor(async () => (await names(seed)).length === 2, 10_000)).toBe(true);
    expect(await names(seed)).toEqual(["si0", "si1"]);
  });

  it("seeds when every member gossip reaches is itself waiting for a cluster, and they join it", async () => {
    // Both start at once, each pointing at the other: whoever answers first holds no slot.
    const [p0, p1] = await twoFreePorts();
    const [seed, waiting] = await startAll([
      startClusterNode(
        "sw0",
        ["--seed_if", "sw0", "--cluster_size", "2", "--cluster_addresses", `127.0.0.1:${p1}`],
        { clusterPort: p0 },
      ),
      startClusterNode("sw1", ["--seed_if", "sw0", "--cluster_addresses", `127.0.0.1:${p0}`], {
        clusterPort: p1,
      }),
    ]);
    expect(logged(seed!, "no member reached holds a slot")).toBe(true);
    expect(logged(seed!, "no cluster found: seeding it (--seed_if)")).toBe(true);
    expect(logged(waiting!, "no cluster found: seeding it (--seed_if)")).toBe(false);
    expect(waiting!.node.logs.find((l) => l.msg === "serving")!.slot).toBe(1);
    for (const n of [seed!, waiting!]) {
      expect(await waitFor(async () => (await names(n)).length === 2, 10_000)).toBe(true);
      expect(await names(n)).toEqual(["sw0", "sw1"]);
    }
  });

  it("does not seed when a cluster answers but refuses the Join: exits 1, the cluster is unchanged", async () => {
    const cluster = await startCluster("sf", 2);
    started.push(...cluster);
    const dir = tempDir("plz-cache-seed-if-refused-");
    dirs.push(dir);
    const r = await runCli([
      "--host",
      "127.0.0.1",
      "-p",
      "0",
      "--cluster_port",
      "0",
      "-d",
      dir,
      "--node_name",
      "sf-extra",
      "--seed_if",
      "sf-extra",
      "--cluster_size",
      "2",
      "--cluster_addresses",
      cluster[0]!.gossip,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/could not join the cluster: .*all 2 slots are taken/);
    expect(r.stdout).not.toMatch(/seeding it/);
    for (const n of cluster) expect(await names(n)).toEqual(["sf0", "sf1"]);
  });
});
