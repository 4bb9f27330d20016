import { describe, expect, it } from "vitest";
import { BroadcastQueue, retransmitLimit } from "./broadcast-queue.js";

const msg = (tag: number, len = 10): Uint8Array => new Uint8Array(len).fill(tag);

describe("retransmitLimit", () => {
  it("is retransmitMult * ceil(log10(n + 1)) like memberlist", () => {
    expect(retransmitLimit(3, 0)).toBe(0);
    expect(retransmitLimit(3, 1)).toBe(3);
    expect(retransmitLimit(3, 99)).toBe(6);
    expect(retransmitLimit(4, 9)).toBe(4);
    expect(retransmitLimit(4, 10)).toBe(8);
    expect(retransmitLimit(4, 1000)).toBe(16);
  });
});

describe("BroadcastQueue", () => {
  it("sends each broadcast retransmitLimit times, then drops it and calls onDone", () => {
    const q = new BroadcastQueue(2, () => 5); // limit 2 * ceil(log10 6) = 2
    let done = 0;
    q.queue("a", msg(1), () => done++);
    expect(q.take(100, 10)).toHaveLength(1);
    expect(done).toBe(0);
    expect(q.take(100, 10)).toHaveLength(1);
    expect(done).toBe(1);
    expect(q.take(100, 10)).toHaveLength(0);
    expect(q.size).toBe(0);
  });

  it("replaces older news about the same node", () => {
    const q = new BroadcastQueue(4, () => 10);
    let replaced = false;
    q.queue("a", msg(1), () => {
      replaced = true;
    });
    q.queue("a", msg(2));
    expect(replaced).toBe(true);
    expect(q.size).toBe(1);
    expect(q.take(100, 10)).toEqual([msg(2)]);
  });

  it("prefers the least transmitted, then the newest", () => {
    const q = new BroadcastQueue(4, () => 10);
    q.queue("a", msg(1));
    expect(q.take(100, 1)).toEqual([msg(1)]);
    expect(q.take(100, 1)).toEqual([msg(1)]);
    q.queue("b", msg(2));
    q.queue("c", msg(3));
    // Fresh news first, newest first; "a" (sent twice already) comes last.
    expect(q.take(100, 1)).toEqual([msg(3)]);
    expect(q.take(100, 1)).toEqual([msg(2)]);
    expect(q.take(100, 3).at(-1)).toEqual(msg(1));
  });

  it("fits messages into the byte budget, skipping ones too large", () => {
    const q = new BroadcastQueue(4, () => 10);
    q.queue("small", msg(1, 10));
    q.queue("big", msg(2, 50));
    const out = q.take(30, 10);
    expect(out).toEqual([msg(1, 10)]);
    expect(q.take(60, 10)).toEqual([msg(2, 50)]);
  });

  it("prunes the most transmitted first", () => {
    const q = new BroadcastQueue(10, () => 100);
    q.queue("old", msg(1));
    q.take(100, 10);
    q.queue("new", msg(2));
    q.prune(1);
    expect(q.has("new")).toBe(true);
    expect(q.has("old")).toBe(false);
  });
});
