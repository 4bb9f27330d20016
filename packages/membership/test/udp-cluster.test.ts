import dgram from "node:dgram";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Membership, type MembershipOptions } from "../src/index.js";

/** Faster than the LAN defaults so the suite stays quick; the protocol is the same. */
const FAST: Partial<MembershipOptions> = {
  probeIntervalMs: 200,
  probeTimeoutMs: 100,
  gossipIntervalMs: 50,
  pushPullIntervalMs: 2_000,
  joinRetryBaseMs: 100,
  tcpTimeoutMs: 1_000,
};

const opened: Membership[] = [];

async function node(name: string, opts: Partial<MembershipOptions> = {}): Promise<Membership> {
  const m = new Membership({ name, bindHost: "127.0.0.1", bindPort: 0, ...FAST, ...opts });
  opened.push(m);
  await m.start();
  return m;
}

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return predicate();
}

const sees = (observers: Membership[], name: string, state: string): boolean =>
  observers.every((m) => m.member(name)?.state === state);

afterEach(async () => {
  await Promise.all(opened.splice(0).map((m) => m.close()));
});

describe("UDP/TCP transport on 127.0.0.1", () => {
  it("binds port 0 to one port number for UDP and TCP and advertises it", async () => {
    const m = await node("solo");
    const port = Number(m.address.split(":")[1]);
    expect(m.address).toBe(`127.0.0.1:${port}`);
    expect(port).toBeGreaterThan(0);
  });

  it("drops garbage datagrams, garbage frames and oversized frames from real sockets", async () => {
    const m = await node("target", { secret: "s" });
    const port = Number(m.address.split(":")[1]);
    const udp = dgram.createSocket("udp4");
    for (let i = 0; i < 50; i++) {
      const junk = Buffer.alloc(1 + ((i * 37) % 500), i);
      if (i % 2 === 0) junk[0] = 0x81;
      udp.send(junk, port, "127.0.0.1");
    }
    const frame = (len: number, body: Buffer): Promise<void> =>
      new Promise((resolve) => {
        const s = net.connect(port, "127.0.0.1", () => {
          const head = Buffer.alloc(4);
          head.writeUInt32BE(len);
          s.end(Buffer.concat([head, body]));
        });
        s.on("close", () => resolve());
        s.on("error", () => resolve());
        s.resume();
      });
    await frame(10, Buffer.alloc(10, 0x81));
    await frame(5 * 1024 * 1024, Buffer.alloc(16));
    expect(await waitFor(() => m.stats().packetsIn >= 51, 2_000)).toBe(true);
    udp.close();
    const d = m.stats().dropped;
    expect(d.oversized).toBe(1);
    expect(d.auth_failed + d.unencrypted).toBeGreaterThanOrEqual(51);
    expect(m.aliveMembers()).toHaveLength(1);
  });

  it("runs a five-node cluster: converges, detects a crash, and tells leave from death", async () => {
    const nodes: Membership[] = [];
    for (let i = 0; i < 5; i++)
      nodes.push(await node(`node-${i}`, { meta: { grpc: `127.0.0.1:${7000 + i}` } }));
    const seed = nodes[0]!;
    for (const m of nodes.slice(1)) expect(await m.join([seed.address])).toBe(1);
    expect(await waitFor(() => nodes.every((m) => m.aliveMembers().length === 5), 10_000)).toBe(true);
    expect(nodes[3]!.member("node-1")?.meta).toEqual({ grpc: "127.0.0.1:7001" });

    // Abrupt close, no leave: the others detect the failure.
    const crashed = nodes[4]!;
    await crashed.close();
    const rest = nodes.slice(0, 4);
    expect(await waitFor(() => sees(rest, "node-4", "dead"), 15_000)).toBe(true);

    // Graceful leave: the others see "left", and no one ever says dead.
    const deaths: string[] = [];
    for (const m of rest) m.on("dead", (x) => deaths.push(x.name));
    const leaver = nodes[3]!;
    await leaver.leave();
    await leaver.close();
    const remaining = nodes.slice(0, 3);
    expect(await waitFor(() => sees(remaining, "node-3", "left"), 5_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(sees(remaining, "node-3", "left")).toBe(true);
    expect(deaths).toEqual([]);
    for (const m of remaining) expect(m.stats().dropped.malformed).toBe(0);
  }, 40_000);

  it("forms an encrypted cluster and never admits a node with the wrong secret", async () => {
    const secret = "correct horse battery staple";
    const a = await node("enc-a", { secret });
    const b = await node("enc-b", { secret });
    const c = await node("enc-c", { secret });
    await b.join([a.address]);
    await c.join([a.address]);
    expect(await waitFor(() => [a, b, c].every((m) => m.aliveMembers().length === 3), 10_000)).toBe(true);

    const intruder = await node("intruder", { secret: "wrong", joinAttempts: 2 });
    await expect(intruder.join([a.address, b.address])).rejects.toMatchObject({ code: "JOIN_FAILED" });
    await new Promise((r) => setTimeout(r, 500));
    expect(a.stats().dropped.auth_failed + b.stats().dropped.auth_failed).toBeGreaterThan(0);
    for (const m of [a, b, c]) expect(m.member("intruder")).toBeUndefined();
    expect(intruder.aliveMembers()).toHaveLength(1);
  }, 20_000);

  it("rotates keys: nodes on [new, old] and a node still on [old] form one cluster", async () => {
    const old = await node("rot-old", { keyring: ["old-secret"] });
    const both = await node("rot-both", { keyring: ["new-secret", "old-secret"] });
    const both2 = await node("rot-both2", { keyring: ["new-secret", "old-secret"] });
    expect(await both.join([old.address])).toBe(1);
    expect(await both2.join([both.address])).toBe(1);
    const all = [old, both, both2];
    expect(await waitFor(() => all.every((m) => m.aliveMembers().length === 3), 5_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(all.every((m) => m.aliveMembers().length === 3)).toBe(true);
    // Once a [new, old] node has heard from the [old] node it answers under the old key; only
    // the first packets sent before that (under the new primary) are unreadable to it.
    const { packetsIn, dropped } = old.stats();
    expect(packetsIn).toBeGreaterThan(20);
    expect(dropped.auth_failed * 5).toBeLessThan(packetsIn);
  }, 20_000);
});
