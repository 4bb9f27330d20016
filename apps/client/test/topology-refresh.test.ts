/**
 * Routing through topology changes, against a fake cluster of in-process RpcCache servers that
 * list each other: the client follows a node that restarts on a new port, a seed that moves,
 * and a topology that changes with nobody failing.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { CacheClient } from "../src/cache-client.js";
import type { CacheClientOptions } from "../src/options.js";
import { FakeCacheServer, FakeCluster, hashAt } from "./support/fake-cache-server.js";

const target = { package: "p", target: "t", os: "linux", arch: "amd64" };
const artifact = [{ file: "f", body: Buffer.from("x") }];
// In a 3-node cluster: node-0 [0, 1431655765), node-1 [1431655765, 2863311530), node-2 the rest.
// A key of node-1's (1.5e9) has its alternate point (1.5e9 + 2^31) on node-2; node-0's (100) on node-1.
const NODE0_KEY = hashAt(100);
const NODE1_KEY = hashAt(1_500_000_000);

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function cluster(n: number): Promise<FakeCluster> {
  const c = await FakeCluster.start(n);
  cleanups.push(() => c.stop());
  return c;
}

function client(address: string, opts: CacheClientOptions = {}): CacheClient {
  const c = new CacheClient(address, {
    minRefreshIntervalMs: 0,
    backoffMs: 60_000,
    random: () => 0.5,
    ...opts,
  });
  cleanups.push(() => c.close());
  return c;
}

describe("topology refresh", () => {
  it("routes to the owner, survives its loss through the alternate owner, and follows it to its new port", async () => {
    const cl = await cluster(3);
    const c = client(cl.node(0).address);

    await c.store(target, NODE1_KEY, artifact);
    expect(cl.nodes.map((n) => n.count("store"))).toEqual([0, 1, 0]);

    cl.node(1).stop();
    await c.store(target, NODE1_KEY, artifact);
    expect(cl.node(2).count("store")).toBe(1);

    const fresh = await cl.restart(1); // same name, new port; every member now lists it there
    await vi.waitFor(
      async () => {
        await c.store(target, NODE1_KEY, artifact);
        expect(fresh.count("store")).toBeGreaterThan(0);
      },
      { timeout: 5_000, interval: 50 },
    );
    expect((await c.nodes()).find((n) => n.name === "node-1")?.address).toBe(fresh.address);
    // From now on the new node-1 serves its keys again.
    const before = cl.node(2).count("store");
    await c.store(target, NODE1_KEY, artifact);
    expect(cl.node(2).count("store")).toBe(before);
  });

  it("waits for the refresh, and uses the new owner, when the owner and the alternate owner both fail", async () => {
    const cl = await cluster(3);
    const c = client(cl.node(0).address);
    await c.connect();
    cl.node(2).stop(); // the alternate owner of node-1's keys
    const fresh = await cl.restart(1);
    await c.store(target, NODE1_KEY, artifact); // old node-1 and node-2 fail; the refreshed node-1 takes it
    expect(fresh.count("store")).toBe(1);
    expect((await c.retrieve(target, NODE1_KEY, ["f"]))?.[0]?.body.toString()).toBe("x");
  });

  it("reads the topology from another known node when the seed has moved", async () => {
    const cl = await cluster(3);
    const c = client(cl.node(0).address);
    await c.connect();
    const oldSeed = cl.node(0).address;
    const fresh = await cl.restart(0);
    await c.store(target, NODE0_KEY, artifact); // old node-0 fails; node-1 (its alternate) takes it
    expect(cl.node(1).count("store")).toBe(1);
    await vi.waitFor(
      async () => {
        await c.store(target, NODE0_KEY, artifact);
        expect(fresh.count("store")).toBeGreaterThan(0);
      },
      { timeout: 5_000, interval: 50 },
    );
    const addresses = (await c.nodes()).map((n) => n.address);
    expect(addresses).toContain(fresh.address);
    expect(addresses).not.toContain(oldSeed);
  });

  it("refreshes periodically, so a range that moved is followed with no node failing", async () => {
    const cl = await cluster(3);
    let now = 1_000_000;
    const c = client(cl.node(0).address, { now: () => now, refreshIntervalMs: 30_000 });
    await c.store(target, NODE1_KEY, artifact);
    expect(cl.node(1).count("store")).toBe(1);

    // node-1's range is handed to a new server; the old one keeps serving, so nothing fails.
    const successor = await FakeCacheServer.start("node-1b");
    cleanups.push(() => successor.stop());
    const moved = cl
      .topology()
      .map((n) => (n.name === "node-1" ? { ...n, name: "node-1b", address: successor.address } : n));
    for (const f of cl.nodes) f.listNodes = moved;

    await c.store(target, NODE1_KEY, artifact);
    expect(successor.count("store")).toBe(0); // not yet: the topology is younger than 30 s
    expect(cl.node(1).count("store")).toBe(2);

    now += 30_001;
    await vi.waitFor(
      async () => {
        await c.store(target, NODE1_KEY, artifact);
        expect(successor.count("store")).toBeGreaterThan(0);
      },
      { timeout: 5_000, interval: 50 },
    );
  });

  it("treats a server that starts answering ListNodes with a cluster as one", async () => {
    const solo = await FakeCacheServer.start("solo");
    cleanups.push(() => solo.stop());
    const cl = await cluster(2);
    let now = 1_000_000;
    const c = client(solo.address, { now: () => now, refreshIntervalMs: 1_000 });
    await c.store(target, NODE1_KEY, artifact);
    expect(solo.count("store")).toBe(1);
    solo.listNodes = cl.topology();
    now += 1_001;
    await vi.waitFor(
      async () => {
        await c.store(target, NODE1_KEY, artifact);
        expect(cl.node(0).count("store")).toBeGreaterThan(0); // of 2 nodes, 1.5e9 is node-0's
      },
      { timeout: 5_000, interval: 50 },
    );
  });
});
