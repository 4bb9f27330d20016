import { describe, expect, it } from "vitest";
import { MemoryNetwork } from "./memory-transport.js";
import { createSeededRng } from "./rng.js";
import type { TransportHandler } from "./transport.js";
import { VirtualClock } from "./virtual-clock.js";

function setup(loss = 0) {
  const clock = new VirtualClock();
  const net = new MemoryNetwork({ clock, rng: createSeededRng(3), latencyMs: 5, loss });
  const got: string[] = [];
  const handler = (name: string): TransportHandler => ({
    onPacket: (d, from) => got.push(`${name}<-${from}:${d[0]}`),
    onRequest: (d) => new Uint8Array([d[0]! + 1]),
    onDrop: () => {},
  });
  return { clock, net, got, handler };
}

describe("MemoryNetwork", () => {
  it("delivers datagrams after the link latency", async () => {
    const { clock, net, got, handler } = setup();
    const a = net.createTransport("10.0.0.1:1");
    const b = net.createTransport("10.0.0.2:1");
    await a.start(handler("a"));
    await b.start(handler("b"));
    a.sendPacket("10.0.0.2:1", new Uint8Array([7]));
    clock.advance(4);
    expect(got).toEqual([]);
    clock.advance(1);
    expect(got).toEqual(["b<-10.0.0.1:1:7"]);
  });

  it("answers requests after a handshake and a round trip, refuses closed ports", async () => {
    const { clock, net, handler } = setup();
    const a = net.createTransport("10.0.0.1:1");
    const b = net.createTransport("10.0.0.2:1");
    await a.start(handler("a"));
    await b.start(handler("b"));
    const results: string[] = [];
    a.request("10.0.0.2:1", new Uint8Array([41]), 1_000, (err, r) =>
      results.push(`${clock.now()} ${err?.message ?? r![0]}`),
    );
    a.request("10.0.0.3:1", new Uint8Array([1]), 1_000, (err) =>
      results.push(`${clock.now()} ${err?.message}`),
    );
    clock.advance(100);
    expect(results).toEqual(["10 connection to 10.0.0.3:1 refused", "20 42"]);
  });

  it("blocks traffic across a partition until healed, and times requests out", async () => {
    const { clock, net, got, handler } = setup();
    const a = net.createTransport("10.0.0.1:1");
    const b = net.createTransport("10.0.0.2:1");
    await a.start(handler("a"));
    await b.start(handler("b"));
    net.partition(["10.0.0.1"], ["10.0.0.2"]);
    a.sendPacket("10.0.0.2:1", new Uint8Array([1]));
    let err: Error | undefined;
    a.request("10.0.0.2:1", new Uint8Array([1]), 300, (e) => {
      err = e;
    });
    clock.advance(1_000);
    expect(got).toEqual([]);
    expect(err?.message).toMatch(/timed out/);
    net.heal();
    a.sendPacket("10.0.0.2:1", new Uint8Array([2]));
    clock.advance(10);
    expect(got).toEqual(["b<-10.0.0.1:1:2"]);
    expect(net.stats.packetsBlocked).toBe(1);
  });

  it("loses about the configured share of datagrams", async () => {
    const { clock, net, got, handler } = setup(0.25);
    const a = net.createTransport("10.0.0.1:1");
    const b = net.createTransport("10.0.0.2:1");
    await a.start(handler("a"));
    await b.start(handler("b"));
    for (let i = 0; i < 4_000; i++) a.sendPacket("10.0.0.2:1", new Uint8Array([1]));
    clock.advance(10);
    expect(got.length).toBeGreaterThan(2_800);
    expect(got.length).toBeLessThan(3_200);
    expect(net.stats.packetsLost + got.length).toBe(4_000);
  });
});
