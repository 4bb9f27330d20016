import { status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { FakeCacheServer, FakeCluster, hashAt } from "../test/support/fake-cache-server.js";
import { CacheClient } from "./cache-client.js";
import type { CacheClientOptions } from "./options.js";

const target = { package: "src/core", target: "core", os: "linux", arch: "amd64" };
const body = (s: string) => Buffer.from(s);

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function client(address: string, opts: CacheClientOptions = {}): CacheClient {
  const c = new CacheClient(address, { minRefreshIntervalMs: 0, random: () => 0.5, ...opts });
  cleanups.push(() => c.close());
  return c;
}

async function fake(name = "solo"): Promise<FakeCacheServer> {
  const f = await FakeCacheServer.start(name);
  cleanups.push(() => f.stop());
  return f;
}

async function cluster(n: number): Promise<FakeCluster> {
  const c = await FakeCluster.start(n);
  cleanups.push(() => c.stop());
  return c;
}

/** A manual clock. */
function manualClock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("CacheClient against one unclustered server", () => {
  it("stores, retrieves and deletes on the server itself", async () => {
    const f = await fake();
    const c = client(f.address);
    expect(await c.nodes()).toEqual([]);
    await c.store(target, hashAt(1), [
      { file: "core.a", body: body("A") },
      { file: "link", symlink: "core.a" },
    ]);
    expect(await c.retrieve(target, hashAt(1), ["core.a", "link"])).toEqual([
      { file: "core.a", body: body("A") },
      { file: "link", body: Buffer.alloc(0), symlink: "core.a" },
    ]);
    await c.delete(target);
    expect(await c.retrieve(target, hashAt(1), ["core.a"])).toBeNull();
    expect(f.count("store")).toBe(1);
    expect(f.count("delete")).toBe(1);
  });

  it("treats UNIMPLEMENTED on ListNodes as unclustered", async () => {
    const f = await fake();
    f.listNodes = undefined;
    const c = client(f.address);
    await c.store(target, hashAt(2), [{ file: "f", body: body("x") }]);
    expect((await c.retrieve(target, hashAt(2), ["f"]))?.[0]?.body).toEqual(body("x"));
  });

  it("answers a miss with null, which is not an error", async () => {
    const f = await fake();
    const c = client(f.address);
    expect(await c.retrieve(target, hashAt(3), ["nothing"])).toBeNull();
  });

  it("uses the client's platform and host name unless the target names one", async () => {
    const f = await fake();
    const c = client(f.address, { os: "darwin", arch: "arm64", hostname: "builder" });
    await c.store({ package: "p", target: "t" }, hashAt(4), [{ file: "f", body: body("x") }]);
    expect(f.calls.find((x) => x.method === "store")?.request).toMatchObject({
      os: "darwin",
      arch: "arm64",
      hostname: "builder",
    });
    expect(f.has("darwin", "arm64", "p", "t", hashAt(4), "f")).toBe(true);
  });

  it("refuses a request over the message limit before sending it", async () => {
    const f = await fake();
    const c = client(f.address, { maxMessageBytes: 1000 });
    await expect(
      c.store(target, hashAt(5), [{ file: "big", body: Buffer.alloc(1000) }]),
    ).rejects.toMatchObject({
      name: "ClientError",
      code: "TOO_LARGE",
      message: expect.stringMatching(/over the 1000-byte message limit/),
    });
    expect(f.count("store")).toBe(0);
  });

  it("refuses invalid arguments with INVALID", async () => {
    const f = await fake();
    const c = client(f.address);
    await expect(c.store(target, Buffer.from([1, 2]), [{ file: "f" }])).rejects.toMatchObject({
      code: "INVALID",
    });
    await expect(c.store({ package: "p", target: "" }, hashAt(1), [{ file: "f" }])).rejects.toMatchObject({
      code: "INVALID",
    });
    await expect(c.store(target, hashAt(1), [])).rejects.toMatchObject({ code: "INVALID" });
    await expect(c.retrieve(target, hashAt(1), [])).rejects.toMatchObject({ code: "INVALID" });
    expect(() => new CacheClient(f.address, { timeoutMs: -1 })).toThrow(
      expect.objectContaining({ code: "INVALID" }),
    );
  });

  it("maps server errors to client error codes", async () => {
    const f = await fake();
    const c = client(f.address);
    f.behaviour.store = { status: status.UNAUTHENTICATED, details: "Store needs a write certificate" };
    await expect(c.store(target, hashAt(6), [{ file: "f", body: body("x") }])).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
      status: status.UNAUTHENTICATED,
      message: expect.stringContaining("Store needs a write certificate"),
    });
    f.behaviour.store = { status: status.INVALID_ARGUMENT };
    await expect(c.store(target, hashAt(6), [{ file: "f", body: body("x") }])).rejects.toMatchObject({
      code: "INVALID",
    });
  });

  it("fails with UNREACHABLE when nothing listens, and then backs off instead of dialling again", async () => {
    const f = await fake();
    const address = f.address;
    f.stop();
    const clock = manualClock();
    const c = client(address, { now: clock.now, backoffMs: 1000 });
    await expect(c.connect()).rejects.toMatchObject({
      code: "UNREACHABLE",
      message: expect.stringContaining(address),
    });
    await expect(c.retrieve(target, hashAt(7), ["f"])).rejects.toMatchObject({
      code: "UNREACHABLE",
      message: expect.stringContaining("backing off"),
    });
  });

  it("gives up on a call after timeoutMs with TIMEOUT", async () => {
    const f = await fake();
    const c = client(f.address, { timeoutMs: 200 });
    await c.connect();
    f.delayMs = 2000;
    const started = Date.now();
    await expect(c.retrieve(target, hashAt(8), ["f"])).rejects.toMatchObject({ code: "TIMEOUT" });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("throws CLOSED after close", async () => {
    const f = await fake();
    const c = client(f.address);
    await c.close();
    await expect(c.retrieve(target, hashAt(9), ["f"])).rejects.toMatchObject({ code: "CLOSED" });
  });

  it("reports a store answered success: false as REFUSED", async () => {
    const f = await fake();
    const c = client(f.address);
    f.behaviour.store = { status: status.FAILED_PRECONDITION };
    await expect(c.store(target, hashAt(10), [{ file: "f", body: body("x") }])).rejects.toMatchObject({
      code: "REFUSED",
    });
  });
});

describe("CacheClient routing in a cluster", () => {
  // Three nodes: node-0 [0, 1431655765), node-1 [1431655765, 2863311530), node-2 the rest and 0xFFFFFFFF.
  const POINTS = { node0: 100, node1: 1_500_000_000, node2: 3_000_000_000, top: 0xffffffff };

  it("sends each request to the node whose range holds hash(key), 0xFFFFFFFF to the last", async () => {
    const cl = await cluster(3);
    const c = client(cl.node(0).address);
    expect((await c.nodes()).map((n) => n.name)).toEqual(["node-0", "node-1", "node-2"]);
    await c.store(target, hashAt(POINTS.node0), [{ file: "f", body: body("0") }]);
    await c.store(target, hashAt(POINTS.node1), [{ file: "f", body: body("1") }]);
    await c.store(target, hashAt(POINTS.node2), [{ file: "f", body: body("2") }]);
    await c.store(target, hashAt(POINTS.top), [{ file: "f", body: body("3") }]);
    expect(cl.nodes.map((n) => n.count("store"))).toEqual([1, 1, 2]);
    expect(cl.node(2).has("linux", "amd64", "src/core", "core", hashAt(POINTS.top), "f")).toBe(true);
    expect((await c.retrieve(target, hashAt(POINTS.node1), ["f"]))?.[0]?.body).toEqual(body("1"));
    expect(cl.nodes.map((n) => n.count("retrieve"))).toEqual([0, 1, 0]);
  });

  it("retries on the owner of alternateHash(key) when the owner fails", async () => {
    const cl = await cluster(3);
    const c = client(cl.node(0).address);
    await c.connect();
    cl.node(1).stop(); // owns POINTS.node1; its alternate point 1.5e9 + 2^31 is node-2's
    await c.store(target, hashAt(POINTS.node1), [{ file: "f", body: body("x") }]);
    expect(cl.node(2).count("store")).toBe(1);
    expect((await c.retrieve(target, hashAt(POINTS.node1), ["f"]))?.[0]?.body).toEqual(body("x"));
  });

  it("retries on the alternate owner when the owner answers INTERNAL, not when it answers UNAUTHENTICATED", async () => {
    const cl = await cluster(3);
    const c = client(cl.node(0).address, { backoffMs: 0 }); // no backoff: node-0 is asked every time
    cl.node(0).behaviour.store = { status: status.INTERNAL };
    await c.store(target, hashAt(POINTS.node0), [{ file: "f", body: body("x") }]);
    expect(cl.node(1).count("store")).toBe(1); // 100 + 2^31 is node-1's
    cl.node(0).behaviour.store = { status: status.UNAUTHENTICATED };
    await expect(
      c.store(target, hashAt(POINTS.node0 + 1), [{ file: "f", body: body("x") }]),
    ).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
    });
    expect(cl.node(0).count("store")).toBe(2);
    expect(cl.node(1).count("store")).toBe(1);
  });

  it("does not retry a miss on the alternate owner", async () => {
    const cl = await cluster(3);
    const c = client(cl.node(0).address);
    expect(await c.retrieve(target, hashAt(POINTS.node2), ["f"])).toBeNull();
    expect(cl.nodes.map((n) => n.count("retrieve"))).toEqual([0, 0, 1]);
  });

  it("skips a failed owner until its backoff has passed, then tries it again", async () => {
    const cl = await cluster(3);
    const clock = manualClock();
    const c = client(cl.node(0).address, { now: clock.now, backoffMs: 5000, refreshIntervalMs: 0 });
    await c.connect();
    cl.node(2).behaviour.store = { status: status.UNAVAILABLE };
    await c.store(target, hashAt(POINTS.node2), [{ file: "a", body: body("x") }]);
    expect(cl.node(2).count("store")).toBe(1);
    expect(cl.node(0).count("store")).toBe(1); // 3e9 - 2^31 is node-0's
    // Within the backoff, the owner is not even tried.
    await c.store(target, hashAt(POINTS.node2), [{ file: "b", body: body("x") }]);
    expect(cl.node(2).count("store")).toBe(1);
    expect(cl.node(0).count("store")).toBe(2);
    // After it, the owner is tried again, and serves once it has recovered.
    clock.advance(5001);
    cl.node(2).behaviour.store = "ok";
    await c.store(target, hashAt(POINTS.node2), [{ file: "c", body: body("x") }]);
    expect(cl.node(2).count("store")).toBe(2);
    expect(cl.node(0).count("store")).toBe(2);
  });

  it("fails with UNREACHABLE, naming both nodes, when the owner and the alternate owner are down", async () => {
    const cl = await cluster(3);
    const c = client(cl.node(0).address);
    await c.connect();
    const [a1, a2] = [cl.node(1).address, cl.node(2).address];
    cl.node(1).stop();
    cl.node(2).stop();
    const err = await c
      .store(target, hashAt(POINTS.node1), [{ file: "f", body: body("x") }])
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "ClientError", code: "UNREACHABLE" });
    expect((err as Error).message).toContain(a1);
    expect((err as Error).message).toContain(a2);
  });

  it("sends deletes to every node, and says how many it reached when one is down", async () => {
    const cl = await cluster(3);
    const c = client(cl.node(0).address);
    await c.delete(target);
    await c.deleteEverything();
    expect(cl.nodes.map((n) => n.count("delete"))).toEqual([2, 2, 2]);
    cl.node(1).stop();
    await expect(c.delete(target)).rejects.toMatchObject({
      code: "UNREACHABLE",
      message: expect.stringContaining("reached 2 of 3 node(s)"),
    });
  });
});
