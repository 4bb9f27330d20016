import { describe, expect, it } from "vitest";
import { createSeededRng } from "../rng.js";
import {
  DecodeError,
  decodePacket,
  encodeMessage,
  encodeMeta,
  encodePacket,
  type Message,
  WIRE_VERSION,
} from "./codec.js";

const samples: Message[] = [
  { type: "ping", seq: 1, node: "b", source: "a" },
  { type: "indirect-ping", seq: 0xffffffff, node: "c", addr: "10.0.0.3:7946", nack: true, source: "a" },
  { type: "ack", seq: 42 },
  { type: "nack", seq: 43 },
  {
    type: "alive",
    incarnation: 7,
    node: "nœud-é",
    addr: "[::1]:7946",
    meta: { grpc: "127.0.0.1:7677", mode: "fixed" },
  },
  { type: "suspect", incarnation: 8, node: "b", from: "a" },
  { type: "dead", incarnation: 9, node: "b", from: "b" },
  {
    type: "push-pull",
    join: true,
    nodes: [
      { name: "a", addr: "10.0.0.1:7946", incarnation: 1, state: "alive", meta: {} },
      { name: "b", addr: "10.0.0.2:7946", incarnation: 2, state: "left", meta: { k: "v" } },
      { name: "c", addr: "host-c:1", incarnation: 3, state: "suspect", meta: {} },
      { name: "d", addr: "host-d:2", incarnation: 4, state: "dead", meta: {} },
    ],
  },
];

function roundTrip(msgs: Message[]): Message[] {
  return decodePacket(encodePacket(msgs.map(encodeMessage)));
}

describe("codec", () => {
  it("round-trips every message type, alone and compound", () => {
    for (const m of samples) expect(roundTrip([m])).toEqual([m]);
    expect(roundTrip(samples)).toEqual(samples);
  });

  it("starts every packet with the version byte", () => {
    expect(encodePacket([encodeMessage(samples[0]!)])[0]).toBe(WIRE_VERSION);
  });

  it("rejects a wrong version, bad counts, unknown types and trailing bytes", () => {
    const good = encodePacket([encodeMessage({ type: "ack", seq: 1 })]);
    const bad = (f: (b: Uint8Array) => Uint8Array): void => {
      expect(() => decodePacket(f(good.slice()))).toThrow(DecodeError);
    };
    const set =
      (i: number, v: number) =>
      (b: Uint8Array): Uint8Array => {
        b[i] = v;
        return b;
      };
    bad(set(0, 2)); // version
    bad(set(1, 0)); // no messages
    bad(set(1, 2)); // count says two, one is there
    bad(set(3, 99)); // unknown message type
    bad((b) => new Uint8Array([...b, 0]));
    bad((b) => b.subarray(0, b.length - 1));
    bad(() => new Uint8Array([]));
  });

  it("rejects invalid fields: empty names, bad addresses, bad booleans and states, bad UTF-8", () => {
    const packet = (body: number[]): Uint8Array => new Uint8Array([WIRE_VERSION, 1, body.length, ...body]);
    // ping with an empty target name
    expect(() => decodePacket(packet([1, 0, 0, 0, 1, 0, 1, 97]))).toThrow(DecodeError);
    // alive with address "x" (no port)
    expect(() => decodePacket(packet([5, 0, 0, 0, 1, 1, 97, 1, 120, 0]))).toThrow(DecodeError);
    // indirect-ping with nack = 2
    expect(() => decodePacket(packet([2, 0, 0, 0, 1, 1, 98, 3, 97, 58, 49, 2, 1, 97]))).toThrow(DecodeError);
    // push-pull with state 9
    expect(() => decodePacket(packet([8, 0, 1, 1, 97, 3, 97, 58, 49, 0, 0, 0, 1, 9, 0]))).toThrow(
      DecodeError,
    );
    // suspect with a name that is not UTF-8
    expect(() => decodePacket(packet([6, 0, 0, 0, 1, 1, 0xff, 1, 97]))).toThrow(DecodeError);
    // alive with a duplicate meta key
    expect(() =>
      decodePacket(packet([5, 0, 0, 0, 1, 1, 97, 3, 97, 58, 49, 2, 1, 107, 0, 1, 107, 0])),
    ).toThrow(DecodeError);
  });

  it("bounds metadata to 512 encoded bytes", () => {
    const big = { blob: "x".repeat(600) };
    expect(encodeMeta(big).length).toBeGreaterThan(512);
    const raw = encodePacket([
      encodeMessage({ type: "alive", incarnation: 1, node: "a", addr: "h:1", meta: big }),
    ]);
    expect(() => decodePacket(raw)).toThrow(DecodeError);
  });

  it("never throws anything but DecodeError on random or mutated input", () => {
    const rng = createSeededRng(1234);
    const valid = samples.map((m) => encodePacket([encodeMessage(m)]));
    valid.push(encodePacket(samples.map(encodeMessage)));
    let rejected = 0;
    for (let i = 0; i < 20_000; i++) {
      let input: Uint8Array;
      const base = valid[i % valid.length]!;
      const mode = i % 3;
      if (mode === 0) {
        input = new Uint8Array(Math.floor(rng() * 200));
        for (let j = 0; j < input.length; j++) input[j] = Math.floor(rng() * 256);
        if (input.length > 0 && rng() < 0.5) input[0] = WIRE_VERSION;
      } else if (mode === 1) {
        input = base.subarray(0, Math.floor(rng() * base.length));
      } else {
        input = base.slice();
        const flips = 1 + Math.floor(rng() * 4);
        for (let f = 0; f < flips; f++) input[Math.floor(rng() * input.length)] = Math.floor(rng() * 256);
      }
      try {
        decodePacket(input);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(10_000);
  });
});
