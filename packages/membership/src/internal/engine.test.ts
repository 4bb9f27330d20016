import { describe, expect, it } from "vitest";
import { createSeededRng } from "../rng.js";
import { Simulator } from "../simulator.js";
import type { TransportHandler } from "../transport.js";
import { encodeMessage, encodePacket, type Message } from "./codec.js";
import { Keyring } from "./crypto.js";

const quiet: TransportHandler = { onPacket: () => {}, onRequest: () => undefined, onDrop: () => {} };

const valid: Message[] = [
  { type: "ping", seq: 1, node: "target", source: "attacker" },
  { type: "indirect-ping", seq: 2, node: "other", addr: "10.0.0.9:7946", nack: true, source: "attacker" },
  { type: "ack", seq: 3 },
  { type: "nack", seq: 4 },
  { type: "alive", incarnation: 5, node: "ghost", addr: "10.0.0.8:7946", meta: { a: "b" } },
  { type: "suspect", incarnation: 6, node: "target", from: "attacker" },
  { type: "dead", incarnation: 7, node: "ghost", from: "attacker" },
  {
    type: "push-pull",
    join: true,
    nodes: [{ name: "ghost", addr: "10.0.0.8:7946", incarnation: 9, state: "alive", meta: {} }],
  },
];

function mutate(rng: () => number, base: Uint8Array, i: number): Uint8Array {
  switch (i % 4) {
    case 0: {
      const out = new Uint8Array(Math.floor(rng() * 300));
      for (let j = 0; j < out.length; j++) out[j] = Math.floor(rng() * 256);
      return out;
    }
    case 1:
      return base.subarray(0, Math.floor(rng() * base.length));
    case 2: {
      const out = base.slice();
      for (let f = 0; f < 1 + Math.floor(rng() * 3); f++)
        out[Math.floor(rng() * out.length)] = Math.floor(rng() * 256);
      return out;
    }
    default: {
      const out = new Uint8Array(base.length + 1 + Math.floor(rng() * 8));
      out.set(base);
      return out;
    }
  }
}

async function attack(secret: string | undefined, seed: number) {
  const opts = secret === undefined ? {} : { secret };
  const sim = new Simulator({ seed, defaults: opts });
  const target = await sim.addNode("target");
  const friend = await sim.addNode("friend");
  void friend.join([target.address]);
  sim.run(2_000);
  const attacker = sim.network.createTransport("10.66.0.1:7946");
  await attacker.start(quiet);
  const rng = createSeededRng(seed);
  const ring = secret === undefined ? undefined : new Keyring([secret]);
  const packets = valid.map((m) => encodePacket([encodeMessage(m)]));
  packets.push(encodePacket(valid.slice(0, 7).map(encodeMessage)));
  let replies = 0;
  for (let i = 0; i < 4_000; i++) {
    let data = mutate(rng, packets[i % packets.length]!, i);
    // Half the time wrap it the way a peer with the right key would, so the decoder is reached.
    if (ring !== undefined && i % 2 === 0) data = ring.encrypt(data, i % 3 === 0 ? "tcp" : "udp");
    if (i % 3 === 0) {
      attacker.request(target.address, data, 1_000, (err) => {
        if (err === undefined) replies++;
      });
    } else {
      attacker.sendPacket(target.address, data);
    }
    if (i % 100 === 0) sim.run(10);
  }
  sim.run(5_000);
  return { sim, target, replies };
}

describe("receive path under garbage", () => {
  it("drops random, truncated and mutated packets without throwing, and keeps working", async () => {
    const { sim, target } = await attack(undefined, 77);
    const d = target.stats().dropped;
    expect(d.malformed).toBeGreaterThan(1_000);
    expect(target.stats().packetsIn).toBeGreaterThan(4_000);
    const late = await sim.addNode("late");
    void late.join([target.address]);
    expect(
      sim.runUntil(() => late.aliveMembers().length >= 3 && target.member("late")?.state === "alive", 10_000),
    ).toBe(true);
  });

  it("with a secret, never parses what fails authentication, and still decodes strictly what passes", async () => {
    const { sim, target } = await attack("cluster-secret", 78);
    const d = target.stats().dropped;
    expect(d.unencrypted + d.auth_failed).toBeGreaterThan(1_500);
    expect(d.malformed).toBeGreaterThan(100);
    expect(sim.node("friend").member("target")?.state).toBe("alive");
  });

  it("drops oversized UDP packets", async () => {
    const sim = new Simulator({ seed: 79 });
    const target = await sim.addNode("target");
    const attacker = sim.network.createTransport("10.66.0.2:7946");
    await attacker.start(quiet);
    attacker.sendPacket(target.address, new Uint8Array(70_000).fill(1));
    sim.run(100);
    expect(target.stats().dropped.oversized).toBe(1);
  });
});
