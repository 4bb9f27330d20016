import { appendFile, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeClock, settle } from "../test/support/fake-clock.js";
import { deferred, FakeTransport, type Handler } from "../test/support/fake-transport.js";
import { deleteOp, label, storeOp } from "../test/support/ops.js";
import { makeTempDir } from "../test/support/tmpdir.js";
import { ReplicationError } from "./errors.js";
import { frameRecord } from "./internal/journal.js";
import { RetryQueue, type RetryQueueOptions } from "./retry-queue.js";
import type { ReplicateOp } from "./transport.js";

let dir: string;
let remove: () => Promise<void>;
const opened: RetryQueue[] = [];

beforeEach(async () => {
  ({ dir, remove } = await makeTempDir());
});

afterEach(async () => {
  for (const q of opened.splice(0)) await q.close({ timeoutMs: 0 });
  await remove();
});

const down = () => {
  throw new ReplicationError("UNREACHABLE", "peer down");
};

async function open(
  transport: FakeTransport,
  clock: FakeClock,
  extra: Partial<RetryQueueOptions> = {},
): Promise<RetryQueue> {
  const q = await RetryQueue.open({
    dir,
    deliver: (peer, op, signal) => transport.replicate(peer, op, signal),
    clock,
    random: () => 0,
    fsync: false,
    ...extra,
  });
  opened.push(q);
  return q;
}

function failing(times: number): Handler {
  return (_call, i) => (i < times ? down() : undefined);
}

describe("RetryQueue", () => {
  it("retries a failed op with backoff until the peer takes it", async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport(failing(3), clock);
    const q = await open(transport, clock);
    await q.enqueue("b", storeOp(1), new ReplicationError("UNREACHABLE", "direct send failed"));
    await clock.advance(499);
    expect(transport.calls).toHaveLength(0);
    await clock.advance(20_000);
    expect(transport.calls.map((c) => c.at)).toEqual([500, 1500, 3500, 7500]);
    expect(q.depth()).toBe(0);
    expect(q.stats()).toMatchObject({ delivered: 1, attempts: 4, retries: 3, queued: 0, dropped: 0 });
  });

  it("doubles the wait after each failure and stops at maxBackoffMs", async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport(down, clock);
    const q = await open(transport, clock, { initialBackoffMs: 100, maxBackoffMs: 1000 });
    void q.enqueue("b", storeOp(1));
    await clock.advance(3600);
    const at = transport.calls.map((c) => c.at);
    expect(at).toEqual([0, 100, 300, 700, 1500, 2500, 3500]);
    expect(q.depth("b")).toBe(1);
  });

  it("jitters each wait within [(1 - jitter) * wait, wait]", async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport(down, clock);
    let r = 0;
    const randoms = [0.9, 0.1, 0.5, 0.99, 0.3, 0.7, 0.2];
    const q = await open(transport, clock, {
      initialBackoffMs: 1000,
      maxBackoffMs: 8000,
      jitter: 0.5,
      random: () => randoms[r++ % randoms.length]!,
    });
    void q.enqueue("b", storeOp(1));
    await clock.advance(60_000);
    const at = transport.calls.map((c) => c.at);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    const bases = [1000, 2000, 4000, 8000, 8000, 8000];
    bases.forEach((base, i) => {
      expect(gaps[i]).toBeCloseTo(base * (1 - 0.5 * randoms[i]!), 6);
      expect(gaps[i]).toBeLessThanOrEqual(base);
      expect(gaps[i]).toBeGreaterThanOrEqual(base / 2);
    });
  });

  it("delivers each peer's ops one at a time in FIFO order, peers independently", async () => {
    const clock = new FakeClock();
    let inflight = 0;
    let maxInflight = 0;
    const transport = new FakeTransport(async (call) => {
      inflight++;
      maxInflight = Math.max(maxInflight, inflight);
      await settle(1);
      inflight--;
      if (call.peer === "c") down();
    }, clock);
    const q = await open(transport, clock);
    const ops = [storeOp(1), deleteOp("t1"), storeOp(2), storeOp(3)];
    for (const op of ops) void q.enqueue("b", op);
    void q.enqueue("c", storeOp(9));
    await vi.waitFor(() => expect(q.depth("b")).toBe(0));
    expect(transport.callsTo("b").map((c) => label(c.op))).toEqual(["s:t1", "d:t1", "s:t2", "s:t3"]);
    expect(maxInflight).toBe(2); // one for b, one for c
    expect(q.depth("c")).toBe(1);
    expect(q.depths()).toEqual(new Map([["c", 1]]));
  });

  it("keeps queued ops across close and reopen, in order", async () => {
    const clock = new FakeClock();
    const q = await open(new FakeTransport(down, clock), clock);
    const forB = [storeOp(1), deleteOp("x"), storeOp(2, 0xffffffff)];
    const forC = [deleteOp("", true), storeOp(3)];
    await Promise.all([...forB.map((op) => q.enqueue("b", op)), ...forC.map((op) => q.enqueue("c", op))]);
    await q.close();

    const transport = new FakeTransport();
    const reopened = await open(transport, new FakeClock());
    expect(reopened.stats().recovered).toBe(5);
    await vi.waitFor(() => expect(reopened.depth()).toBe(0));
    expect(transport.callsTo("b").map((c) => c.op)).toEqual(forB);
    expect(transport.callsTo("c").map((c) => c.op)).toEqual(forC);
  });

  it("ignores a torn last record on reopen and appends cleanly after it", async () => {
    const clock = new FakeClock();
    const q = await open(new FakeTransport(down, clock), clock);
    for (let i = 1; i <= 3; i++) await q.enqueue("b", storeOp(i));
    await q.close();
    // Longer than the record appended after it, so a missing truncation would leave garbage.
    const torn = frameRecord({ t: "a", s: 3, p: "b", o: { pad: "x".repeat(2000) } });
    await appendFile(join(dir, "journal"), torn.subarray(0, torn.length - 3));

    const again = await open(new FakeTransport(down, clock), clock);
    expect(again.stats()).toMatchObject({ recovered: 3, discardedBytes: torn.length - 3 });
    await again.enqueue("b", storeOp(4));
    await again.close();

    const transport = new FakeTransport();
    const third = await open(transport, new FakeClock());
    expect(third.stats()).toMatchObject({ recovered: 4, discardedBytes: 0 });
    await vi.waitFor(() => expect(third.depth()).toBe(0));
    expect(transport.calls.map((c) => label(c.op))).toEqual(["s:t1", "s:t2", "s:t3", "s:t4"]);
  });

  it("drops a last record whose checksum does not match", async () => {
    const clock = new FakeClock();
    const q = await open(new FakeTransport(down, clock), clock);
    for (let i = 1; i <= 3; i++) await q.enqueue("b", storeOp(i));
    await q.close();
    const path = join(dir, "journal");
    const bytes = await readFile(path);
    bytes[bytes.length - 2] = bytes[bytes.length - 2]! ^ 0xff;
    await writeFile(path, bytes);

    const transport = new FakeTransport();
    const again = await open(transport, new FakeClock());
    expect(again.stats().recovered).toBe(2);
    expect(again.stats().discardedBytes).toBeGreaterThan(0);
    await vi.waitFor(() => expect(transport.calls).toHaveLength(2));
    expect(transport.calls.map((c) => label(c.op))).toEqual(["s:t1", "s:t2"]);
  });

  it("skips a well-framed record that is not an op", async () => {
    const clock = new FakeClock();
    const q = await open(new FakeTransport(down, clock), clock);
    await q.enqueue("b", storeOp(1));
    await q.close();
    await appendFile(join(dir, "journal"), frameRecord({ t: "a", s: 7, p: "b", o: { k: "?" } }));
    const again = await open(new FakeTransport(down, clock), clock);
    expect(again.stats()).toMatchObject({ recovered: 1, discardedBytes: 0 });
  });

  it("refuses a directory whose journal is not ours", async () => {
    await writeFile(join(dir, "journal"), "not a journal at all");
    await expect(open(new FakeTransport(), new FakeClock())).rejects.toMatchObject({ code: "CORRUPT" });
  });

  it("drops the oldest op when full, counts it and reports it", async () => {
    const clock = new FakeClock();
    const dropped: Array<[string, string, string]> = [];
    const q = await open(new FakeTransport(down, clock), clock, {
      maxEntries: 3,
      onDrop: (peer, op, reason) => dropped.push([peer, label(op), reason.code]),
    });
    q.pause();
    void q.enqueue("b", storeOp(1));
    void q.enqueue("c", storeOp(2));
    for (let i = 3; i <= 5; i++) void q.enqueue("b", storeOp(i));
    expect(q.depth()).toBe(3);
    expect(q.stats()).toMatchObject({ queued: 3, droppedFull: 2, dropped: 2, enqueued: 5 });
    expect(dropped).toEqual([
      ["b", "s:t1", "QUEUE_FULL"],
      ["c", "s:t2", "QUEUE_FULL"],
    ]);
    await q.close();
    const transport = new FakeTransport();
    const again = await open(transport, new FakeClock());
    await vi.waitFor(() => expect(again.depth()).toBe(0));
    expect(transport.calls.map((c) => label(c.op))).toEqual(["s:t3", "s:t4", "s:t5"]);
  });

  it("drops stores before deletes when full", async () => {
    const clock = new FakeClock();
    const q = await open(new FakeTransport(down, clock), clock, { maxEntries: 3 });
    q.pause();
    for (const op of [deleteOp("a"), storeOp(1), deleteOp("b"), storeOp(2), storeOp(3)])
      void q.enqueue("b", op);
    expect(q.stats().droppedFull).toBe(2);
    const transport = new FakeTransport();
    await q.close();
    const again = await open(transport, new FakeClock());
    await vi.waitFor(() => expect(again.depth()).toBe(0));
    expect(transport.calls.map((c) => label(c.op))).toEqual(["d:a", "d:b", "s:t3"]);
  });

  it("bounds the queued bytes too", async () => {
    const clock = new FakeClock();
    const recordBytes = frameRecord({ t: "a", s: 0, p: "b", o: {} }).length;
    const q = await open(new FakeTransport(down, clock), clock, { maxBytes: 1000 });
    q.pause();
    for (let i = 0; i < 20; i++) void q.enqueue("b", storeOp(i));
    const { queuedBytes, queued, droppedFull } = q.stats();
    expect(queuedBytes).toBeLessThanOrEqual(1000);
    expect(queued + droppedFull).toBe(20);
    expect(queued).toBeGreaterThan(1);
    expect(queuedBytes).toBeGreaterThan(1000 - 2 * (recordBytes + 200));
  });

  it("drops an op the transport calls OBSOLETE and goes straight on with the next", async () => {
    const clock = new FakeClock();
    const dropped: string[] = [];
    const transport = new FakeTransport((call) => {
      if (label(call.op) === "s:t1") throw new ReplicationError("OBSOLETE", "artifact evicted");
    }, clock);
    const q = await open(transport, clock, {
      onDrop: (_p, op, reason) => dropped.push(`${label(op)} ${reason.code}`),
    });
    void q.enqueue("b", storeOp(1));
    void q.enqueue("b", storeOp(2));
    await vi.waitFor(() => expect(q.depth()).toBe(0));
    expect(transport.calls.map((c) => [label(c.op), c.at])).toEqual([
      ["s:t1", 0],
      ["s:t2", 0],
    ]);
    expect(dropped).toEqual(["s:t1 OBSOLETE"]);
    expect(q.stats()).toMatchObject({ droppedObsolete: 1, delivered: 1, retries: 0 });
  });

  it("retries a peer at once when kicked", async () => {
    const clock = new FakeClock();
    let up = false;
    const transport = new FakeTransport(() => (up ? undefined : down()), clock);
    const q = await open(transport, clock, { initialBackoffMs: 10_000 });
    void q.enqueue("b", storeOp(1));
    void q.enqueue("c", storeOp(2));
    await clock.advance(100);
    expect(transport.calls).toHaveLength(2);
    up = true;
    q.kick("b");
    await clock.advance(0);
    expect(transport.calls.map((c) => [c.peer, c.at])).toEqual([
      ["b", 0],
      ["c", 0],
      ["b", 100],
    ]);
    expect(q.depth("b")).toBe(0);
    expect(q.depth("c")).toBe(1);
    q.kick();
    await clock.advance(0);
    expect(q.depth()).toBe(0);
  });

  it("compacts the journal once dead records outweigh live ones, keeping the live ones", async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport((call) => (call.peer === "c" ? down() : undefined), clock);
    const q = await open(transport, clock, { compactMinBytes: 1, initialBackoffMs: 1e9 });
    for (let i = 0; i < 200; i++) void q.enqueue("b", storeOp(i));
    for (let i = 0; i < 3; i++) void q.enqueue("c", storeOp(1000 + i));
    await vi.waitFor(() => expect(q.depth()).toBe(3));
    await vi.waitFor(() => expect(q.stats().compactions).toBeGreaterThan(0));
    await q.sync();
    await q.close();
    const size = (await stat(join(dir, "journal"))).size;
    expect(size).toBeLessThan(20 * 300);

    const again = new FakeTransport();
    const reopened = await open(again, new FakeClock());
    expect(reopened.stats().recovered).toBe(3);
    await vi.waitFor(() => expect(reopened.depth()).toBe(0));
    expect(again.calls.map((c) => label(c.op))).toEqual(["s:t1000", "s:t1001", "s:t1002"]);
  });

  it("forgets a peer's ops", async () => {
    const clock = new FakeClock();
    const q = await open(new FakeTransport(down, clock), clock);
    for (let i = 0; i < 3; i++) void q.enqueue("b", storeOp(i));
    void q.enqueue("c", storeOp(9));
    expect(q.forget("b")).toBe(3);
    expect(q.depth()).toBe(1);
    expect(q.stats()).toMatchObject({ droppedForgotten: 3, dropped: 3 });
    await q.close();
    const reopened = await open(new FakeTransport(down, clock), clock);
    expect(reopened.stats().recovered).toBe(1);
  });

  it("waits on close for an in-flight delivery that finishes within the grace", async () => {
    const clock = new FakeClock();
    const gate = deferred();
    const q = await open(new FakeTransport(() => gate.promise, clock), clock);
    void q.enqueue("b", storeOp(1));
    await settle();
    const closed = q.close({ timeoutMs: 1000 });
    gate.resolve();
    await closed;
    expect(q.stats().delivered).toBe(1);
    const reopened = await open(new FakeTransport(), new FakeClock());
    expect(reopened.stats().recovered).toBe(0);
  });

  it("aborts on close an in-flight delivery past the grace and keeps it queued", async () => {
    const clock = new FakeClock();
    let signal: AbortSignal | undefined;
    const q = await open(
      new FakeTransport((call) => {
        signal = call.signal;
        return new Promise<void>(() => {});
      }, clock),
      clock,
    );
    void q.enqueue("b", storeOp(1));
    await settle();
    let done = false;
    const closed = q.close({ timeoutMs: 1000 }).then(() => {
      done = true;
    });
    await clock.advance(999);
    expect(done).toBe(false);
    await clock.advance(1);
    await closed;
    expect(signal?.aborted).toBe(true);
    await expect(q.enqueue("b", storeOp(2))).rejects.toMatchObject({ code: "CLOSED" });
    const transport = new FakeTransport();
    const reopened = await open(transport, new FakeClock());
    await vi.waitFor(() => expect(reopened.stats().delivered).toBe(1));
    expect(transport.calls.map((c) => label(c.op as ReplicateOp))).toEqual(["s:t1"]);
  });
});
