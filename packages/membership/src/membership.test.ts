import { describe, expect, it } from "vitest";
import { MembershipError } from "./errors.js";
import { Membership } from "./membership.js";
import { Simulator } from "./simulator.js";
import type { Member } from "./types.js";

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof MembershipError ? err.code : "not a MembershipError";
  }
  return undefined;
}

async function rejection(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return err instanceof MembershipError ? err.code : "not a MembershipError";
  }
  return undefined;
}

describe("Membership options", () => {
  it("rejects invalid options with INVALID_OPTIONS", () => {
    expect(code(() => new Membership({ name: "" }))).toBe("INVALID_OPTIONS");
    expect(code(() => new Membership({ name: "x".repeat(256) }))).toBe("INVALID_OPTIONS");
    expect(code(() => new Membership({ name: "a", probeIntervalMs: 100, probeTimeoutMs: 200 }))).toBe(
      "INVALID_OPTIONS",
    );
    expect(code(() => new Membership({ name: "a", gossipNodes: -1 }))).toBe("INVALID_OPTIONS");
    expect(code(() => new Membership({ name: "a", bindPort: 70000 }))).toBe("INVALID_OPTIONS");
    expect(code(() => new Membership({ name: "a", secret: "" }))).toBe("INVALID_OPTIONS");
    expect(code(() => new Membership({ name: "a", suspicionMult: 0 }))).toBe("INVALID_OPTIONS");
  });

  it("bounds metadata to 512 encoded bytes, at construction and in setMeta", async () => {
    expect(code(() => new Membership({ name: "a", meta: { blob: "x".repeat(600) } }))).toBe("META_TOO_LARGE");
    const sim = new Simulator({ seed: 1 });
    const a = await sim.addNode("a", { meta: { grpc: "127.0.0.1:7677" } });
    expect(code(() => a.setMeta({ blob: "x".repeat(510) }))).toBe("META_TOO_LARGE");
    expect(a.localMember().meta).toEqual({ grpc: "127.0.0.1:7677" });
    expect(code(() => a.setMeta({ "": "empty key" }))).toBe("META_TOO_LARGE");
    expect(code(() => a.setMeta({ grpc: 7677 as unknown as string }))).toBe("META_TOO_LARGE");
  });
});

describe("Membership lifecycle", () => {
  it("enforces start before join and a single start", async () => {
    const sim = new Simulator({ seed: 2 });
    const a = await sim.addNode("a");
    expect(await rejection(a.start())).toBe("ALREADY_STARTED");
    const raw = new Membership({ name: "raw", transport: sim.network.createTransport("10.9.0.1:1") });
    expect(await rejection(raw.join(["10.0.0.1:7946"]))).toBe("NOT_STARTED");
    expect(code(() => raw.localMember())).toBe("NOT_STARTED");
    expect(raw.members()).toEqual([]);
    await raw.close();
    expect(await rejection(raw.start())).toBe("CLOSED");
  });

  it("describes the local member and reports it among the alive members", async () => {
    const sim = new Simulator({ seed: 3 });
    const a = await sim.addNode("a", { meta: { grpc: "10.0.0.1:7677" } });
    const me: Member = a.localMember();
    expect(me).toEqual({
      name: "a",
      address: a.address,
      meta: { grpc: "10.0.0.1:7677" },
      state: "alive",
      incarnation: 1,
    });
    expect(Object.isFrozen(me)).toBe(true);
    expect(a.aliveMembers()).toEqual([me]);
    expect(a.status).toBe("running");
  });

  it("resolves join([]) with 0, as the first node of a cluster does", async () => {
    const sim = new Simulator({ seed: 4 });
    const a = await sim.addNode("a");
    expect(await a.join([])).toBe(0);
    expect(await rejection(a.join(["not an address:x"]))).toBe("INVALID_ADDRESS");
  });

  it("skips a seed that is down and counts the ones contacted", async () => {
    const sim = new Simulator({ seed: 5 });
    const a = await sim.addNode("a");
    const b = await sim.addNode("b");
    const c = await sim.addNode("c");
    const joining = c.join(["10.99.0.1:7946", a.address, b.address]);
    sim.run(1_000);
    expect(await joining).toBe(2);
    expect(sim.runUntil(() => sim.converged(), 5_000)).toBe(true);
  });

  it("retries the seeds with backoff until one answers", async () => {
    const sim = new Simulator({ seed: 6 });
    const b = await sim.addNode("b");
    const seedAddr = `${sim.host("a")}:7946`;
    let settled: number | undefined;
    const joining = b.join([seedAddr]).then((n) => {
      settled = n;
    });
    sim.run(1_200);
    await Promise.resolve();
    expect(settled).toBeUndefined();
    await sim.addNode("a");
    sim.run(10_000);
    await joining;
    expect(settled).toBe(1);
  });

  it("fails with JOIN_FAILED when no seed ever answers", async () => {
    const sim = new Simulator({ seed: 7 });
    const a = await sim.addNode("a", { joinAttempts: 3, joinRetryBaseMs: 100 });
    const joining = rejection(a.join(["10.99.0.1:7946", "10.99.0.2"]));
    sim.run(5_000);
    expect(await joining).toBe("JOIN_FAILED");
  });

  it("leaves gracefully on asyncDispose", async () => {
    const sim = new Simulator({ seed: 8 });
    const log: string[] = [];
    const [a, b] = await sim.addCluster(2);
    sim.runUntil(() => sim.converged(), 5_000);
    a!.on("left", (m) => log.push(m.name));
    const disposing = b![Symbol.asyncDispose]();
    sim.run(5_000);
    await disposing;
    expect(b!.status).toBe("closed");
    expect(log).toEqual(["n1"]);
    expect(a!.member("n1")?.state).toBe("left");
  });
});

describe("Membership events", () => {
  it("unsubscribes listeners and survives listeners that throw", async () => {
    const sim = new Simulator({ seed: 9 });
    const a = await sim.addNode("a");
    const joins: string[] = [];
    a.on("join", () => {
      throw new Error("listener bug");
    });
    const off = a.on("join", (m) => joins.push(m.name));
    const b = await sim.addNode("b");
    void b.join([a.address]);
    sim.run(2_000);
    expect(joins).toEqual(["b"]);
    off();
    const c = await sim.addNode("c");
    void c.join([a.address]);
    sim.run(2_000);
    expect(joins).toEqual(["b"]);
    expect(sim.converged()).toBe(true);
  });

  it("emits suspect, then alive, for a member that refutes, and never for the local member", async () => {
    const sim = new Simulator({ seed: 10 });
    const [a] = await sim.addCluster(4);
    sim.runUntil(() => sim.converged(), 5_000);
    const seen: string[] = [];
    for (const ev of ["suspect", "alive", "dead", "join", "update"] as const) {
      a!.on(ev, (m) => seen.push(`${ev}:${m.name}`));
    }
    sim.partition(["n3"], ["n0", "n1", "n2"]);
    sim.runUntil(() => seen.includes("suspect:n3"), 10_000);
    sim.heal();
    sim.runUntil(() => seen.includes("alive:n3"), 10_000);
    expect(seen.filter((e) => e.endsWith(":n3"))).toEqual(["suspect:n3", "alive:n3"]);
    expect(seen.some((e) => e.endsWith(":n0"))).toBe(false);
  });
});

describe("Membership encryption (simulated network)", () => {
  it("forms an encrypted cluster and keeps out a node with the wrong secret", async () => {
    const sim = new Simulator({ seed: 11, defaults: { secret: "correct horse" } });
    await sim.addCluster(4);
    expect(sim.runUntil(() => sim.converged(), 5_000)).toBe(true);
    const intruder = await sim.addNode("intruder", { secret: "wrong" });
    const joining = rejection(intruder.join([sim.node("n0").address]));
    sim.run(30_000);
    expect(await joining).toBe("JOIN_FAILED");
    expect(sim.node("n0").stats().dropped.auth_failed).toBeGreaterThan(0);
    expect(sim.node("n0").member("intruder")).toBeUndefined();
    expect(intruder.members().map((m) => m.name)).toEqual(["intruder"]);
  });

  it("drops plain-text packets in an encrypted cluster and encrypted ones in a plain cluster", async () => {
    const sim = new Simulator({ seed: 12 });
    const secure = await sim.addNode("secure", { secret: "s" });
    const plain = await sim.addNode("plain");
    void plain.join([secure.address]).catch(() => {});
    void secure.join([plain.address]).catch(() => {});
    sim.run(20_000);
    expect(secure.stats().dropped.unencrypted).toBeGreaterThan(0);
    expect(plain.stats().dropped.unexpected_encryption).toBeGreaterThan(0);
    expect(secure.member("plain")).toBeUndefined();
  });

  it("rotates keys: a node on [new, old] talks to nodes on [old] and on [new]", async () => {
    const sim = new Simulator({ seed: 13 });
    const old = await sim.addNode("old", { keyring: ["k-old"] });
    const both = await sim.addNode("both", { keyring: ["k-new", "k-old"] });
    const fresh = await sim.addNode("fresh", { keyring: ["k-new"] });
    void both.join([old.address]);
    sim.run(2_000);
    void fresh.join([both.address]);
    sim.run(5_000);
    expect(both.aliveMembers()).toHaveLength(3);
    expect(old.member("both")?.state).toBe("alive");
    expect(fresh.member("both")?.state).toBe("alive");
  });
});
