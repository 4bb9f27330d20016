import { FixedRing } from "@plz-cache/hashring";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeClock, settle } from "../test/support/fake-clock.js";
import { deferred, FakeTransport } from "../test/support/fake-transport.js";
import { deleteOp, label, storeOp } from "../test/support/ops.js";
import { keyAt } from "../test/support/points.js";
import { makeTempDir } from "../test/support/tmpdir.js";
import { ReplicationError } from "./errors.js";
import { FixedPlacement, type Placement } from "./placement.js";
import { Replicator, type ReplicatorOptions } from "./replicator.js";

let dir: string;
let remove: () => Promise<void>;
const opened: Replicator[] = [];

beforeEach(async () => {
  ({ dir, remove } = await makeTempDir());
});

afterEach(async () => {
  for (const r of opened.splice(0)) await r.close({ timeoutMs: 0 });
  await remove();
});

const down = () => {
  throw new ReplicationError("UNREACHABLE", "peer down");
};

/** Stores go to `b`; deletes to `b`, `c`, `d`. */
const simple: Placement = { replicaTargets: () => ["b"], deleteTargets: () => ["b", "c", "d"] };

async function open(
  transport: FakeTransport,
  clock: FakeClock,
  extra: Partial<ReplicatorOptions> = {},
): Promise<Replicator> {
  const r = await Replicator.open({
    placement: simple,
    transport,
    queue: { dir, fsync: false },
    clock,
    random: () => 0,
    ...extra,
  });
  opened.push(r);
  return r;
}

describe("Replicator", () => {
  it("sends a store to its replica target and queues nothing when the peer takes it", async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport(() => {}, clock);
    const placement = new FixedPlacement({ ring: new FixedRing(4), self: 0, nodeAt: (s) => `node-${s}` });
    const r = await open(transport, clock, { placement });
    const op = { ...storeOp(5) };
    const results = await r.onStore(op);
    expect(results).toEqual([{ peer: "node-2", outcome: "delivered" }]);
    expect(transport.calls).toHaveLength(1);
    expect(transport.calls[0]!.op).toEqual(op);
    expect(r.depth()).toBe(0);
    expect(r.stats()).toMatchObject({ sent: 1, delivered: 1, queued: 0 });
  });

  it("keeps references only, not the request's bodies or buffers", async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport(() => {}, clock);
    const r = await open(transport, clock);
    const hash = keyAt(77);
    const request = {
      os: "linux",
      arch: "amd64",
      hash,
      hostname: "h",
      artifacts: [{ package: "p", target: "t", file: "f", body: new Uint8Array(1024), symlink: "" }],
    };
    await r.onStore(request);
    hash.fill(0);
    expect(transport.calls[0]!.op).toStrictEqual({
      kind: "store",
      os: "linux",
      arch: "amd64",
      hash: keyAt(77),
      hostname: "h",
      artifacts: [{ package: "p", target: "t", file: "f" }],
    });
  });

  it("queues a failed store and retries it with backoff until the peer takes it", async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport((_c, i) => (i < 2 ? down() : undefined), clock);
    const r = await open(transport, clock);
    const [result] = await r.onStore(storeOp(1));
    expect(result).toMatchObject({ peer: "b", outcome: "queued", error: { code: "UNREACHABLE" } });
    expect(r.depth("b")).toBe(1);
    await clock.advance(10_000);
    expect(transport.calls.map((c) => c.at)).toEqual([0, 500, 1500]);
    expect(r.depth()).toBe(0);
    expect(r.stats()).toMatchObject({ sent: 1, queued: 1, queue: { delivered: 1, retries: 1 } });
  });

  it("forwards a delete to every other member and queues only the failures", async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport((call) => (call.peer === "c" ? down() : undefined), clock);
    const r = await open(transport, clock);
    const results = await r.onDelete(deleteOp("t1"));
    expect(results.map((x) => [x.peer, x.outcome])).toEqual([
      ["b", "delivered"],
      ["c", "queued"],
      ["d", "delivered"],
    ]);
    expect(transport.calls.map((c) => c.peer).sort()).toEqual(["b", "c", "d"]);
    expect(transport.calls.every((c) => c.op.kind === "delete")).toBe(true);
    expect(r.queue.depths()).toEqual(new Map([["c", 1]]));
  });

  it("does not forward a delete that names nothing and is not everything", async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport(() => {}, clock);
    const r = await open(transport, clock);
    expect(await r.onDelete({ os: "linux", arch: "amd64", artifacts: [], everything: false })).toEqual([]);
    expect(transport.calls).toHaveLength(0);
    expect(r.depth()).toBe(0);
    expect(r.stats()).toMatchObject({ sent: 0, queued: 0 });
    // `everything` names nothing either, and still goes to every other member.
    const all = await r.onDelete(deleteOp("", true));
    expect(all.map((x) => [x.peer, x.outcome])).toEqual([
      ["b", "delivered"],
      ["c", "delivered"],
      ["d", "delivered"],
    ]);
    expect(transport.calls.map((c) => label(c.op))).toEqual(["d:*", "d:*", "d:*"]);
  });

  it("drops a store whose artifact is gone (OBSOLETE) instead of queueing it", async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport(() => {
      throw new ReplicationError("OBSOLETE", "evicted");
    }, clock);
    const dropped: string[] = [];
    const r = await open(transport, clock, {
      onDrop: (peer, op, why) => dropped.push(`${peer} ${label(op)} ${why.code}`),
    });
    const [result] = await r.onStore(storeOp(1));
    expect(result).toMatchObject({ outcome: "dropped", error: { code: "OBSOLETE" } });
    expect(dropped).toEqual(["b s:t1 OBSOLETE"]);
    expect(r.depth()).toBe(0);
    await clock.advance(100_000);
    expect(transport.calls).toHaveLength(1);
  });

  it("sends nothing when every copy is already here", async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport(() => {}, clock);
    const placement = new FixedPlacement({ ring: new FixedRing(1), self: 0, nodeAt: () => "solo" });
    const r = await open(transport, clock, { placement });
    expect(await r.onStore(storeOp(1))).toEqual([]);
    expect(await r.onDelete(deleteOp("x"))).toEqual([]);
    expect(transport.calls).toHaveLength(0);
  });

  it("ignores a store whose hash is too short to place", async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport(() => {}, clock);
    const placement = new FixedPlacement({ ring: new FixedRing(2), self: 0, nodeAt: (s) => `n${s}` });
    const r = await open(transport, clock, { placement });
    expect(await r.onStore({ ...storeOp(1), hash: new Uint8Array(2) })).toEqual([]);
    expect(transport.calls).toHaveLength(0);
  });

  it("puts new ops for a peer with a backlog behind it, and delivers them in order", async () => {
    const clock = new FakeClock();
    let up = false;
    const transport = new FakeTransport(() => (up ? undefined : down()), clock);
    const r = await open(transport, clock);
    await r.onStore(storeOp(1));
    const later = await Promise.all([
      r.onStore(storeOp(2)),
      r.onDelete(deleteOp("t1")),
      r.onStore(storeOp(3)),
    ]);
    expect(
      later
        .flat()
        .filter((x) => x.peer === "b")
        .map((x) => x.outcome),
    ).toEqual(["queued", "queued", "queued"]);
    expect(transport.callsTo("b")).toHaveLength(1); // only the first was tried directly
    up = true;
    await clock.advance(500);
    expect(transport.callsTo("b").map((c) => label(c.op))).toEqual(["s:t1", "s:t1", "s:t2", "d:t1", "s:t3"]);
    expect(r.depth()).toBe(0);
  });

  it("holds a delete until earlier sends to that peer finish, and later ones until it finishes", async () => {
    const clock = new FakeClock();
    const gates = new Map<string, ReturnType<typeof deferred<void>>>();
    const transport = new FakeTransport((call) => {
      const gate = deferred();
      gates.set(`${call.peer} ${label(call.op)}`, gate);
      return gate.promise;
    }, clock);
    const r = await open(transport, clock, {
      placement: { replicaTargets: () => ["b"], deleteTargets: () => ["b", "c"] },
    });
    const a = r.onStore(storeOp(1));
    const d = r.onDelete(deleteOp("t1"));
    const b = r.onStore(storeOp(2));
    await settle();
    const sent = () => transport.calls.map((c) => `${c.peer} ${label(c.op)}`);
    expect(sent()).toEqual(["b s:t1", "c d:t1"]); // c has nothing in flight: its delete goes at once
    gates.get("b s:t1")!.resolve();
    await a;
    await settle();
    expect(sent()).toEqual(["b s:t1", "c d:t1", "b d:t1"]);
    gates.get("b d:t1")!.resolve();
    gates.get("c d:t1")!.resolve();
    await d;
    await settle();
    expect(sent()).toEqual(["b s:t1", "c d:t1", "b d:t1", "b s:t2"]);
    gates.get("b s:t2")!.resolve();
    expect((await b).map((x) => x.outcome)).toEqual(["delivered"]);
  });

  it("keeps at most `concurrency` sends in flight", async () => {
    const clock = new FakeClock();
    const gates: Array<() => void> = [];
    const transport = new FakeTransport(() => new Promise<void>((resolve) => gates.push(resolve)), clock);
    let n = 0;
    const r = await open(transport, clock, {
      concurrency: 2,
      placement: { replicaTargets: () => [`p${n++}`], deleteTargets: () => [] },
    });
    const all = Promise.all([1, 2, 3, 4, 5].map((i) => r.onStore(storeOp(i))));
    await settle();
    expect(transport.calls).toHaveLength(2);
    expect(r.stats()).toMatchObject({ inflight: 2, waiting: 3 });
    gates[0]!();
    await settle();
    expect(transport.calls).toHaveLength(3);
    for (let i = 1; i < 5; i++) {
      gates[i]!();
      await settle();
    }
    expect((await all).flat().every((x) => x.outcome === "delivered")).toBe(true);
  });

  it("hands ops past maxPendingSends straight to the queue", async () => {
    const clock = new FakeClock();
    const gates: Array<() => void> = [];
    const transport = new FakeTransport(() => new Promise<void>((resolve) => gates.push(resolve)), clock);
    let n = 0;
    const r = await open(transport, clock, {
      concurrency: 1,
      maxPendingSends: 1,
      placement: { replicaTargets: () => [`p${n++}`], deleteTargets: () => [] },
    });
    const first = r.onStore(storeOp(1));
    const second = r.onStore(storeOp(2));
    await settle();
    const third = await r.onStore(storeOp(3));
    expect(third).toEqual([{ peer: "p2", outcome: "queued" }]);
    expect(r.depth("p2")).toBe(1);
    while (gates.length < 3) {
      for (const g of gates) g();
      await settle();
    }
    for (const g of gates) g();
    await vi.waitFor(() => expect(r.depth()).toBe(0));
    expect((await first)[0]!.outcome).toBe("delivered");
    expect((await second)[0]!.outcome).toBe("delivered");
  });

  it("fails a send past sendTimeoutMs with TIMEOUT, aborts it, and retries it", async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport(
      (_call, i) => (i === 0 ? new Promise<void>(() => {}) : undefined),
      clock,
    );
    const r = await open(transport, clock, { sendTimeoutMs: 1000 });
    const result = r.onStore(storeOp(1));
    await clock.advance(1000);
    expect((await result)[0]).toMatchObject({ outcome: "queued", error: { code: "TIMEOUT" } });
    expect(transport.calls[0]!.signal.aborted).toBe(true);
    await clock.advance(500);
    expect(transport.calls.map((c) => c.at)).toEqual([0, 1500]);
    expect(r.depth()).toBe(0);
  });

  it("retries a backing-off peer at once when kicked", async () => {
    const clock = new FakeClock();
    let up = false;
    const transport = new FakeTransport(() => (up ? undefined : down()), clock);
    const r = await open(transport, clock, { queue: { dir, fsync: false, initialBackoffMs: 30_000 } });
    await r.onStore(storeOp(1));
    await clock.advance(10);
    up = true;
    r.kick("b");
    await clock.advance(0);
    expect(transport.calls.map((c) => c.at)).toEqual([0, 10]);
    expect(r.depth()).toBe(0);
  });

  it("waits on close for in-flight sends to finish", async () => {
    const clock = new FakeClock();
    const gate = deferred();
    const transport = new FakeTransport(() => gate.promise, clock);
    const r = await open(transport, clock);
    const result = r.onStore(storeOp(1));
    await settle();
    let closed = false;
    const closing = r.close().then(() => {
      closed = true;
    });
    await settle();
    expect(closed).toBe(false);
    gate.resolve();
    await closing;
    expect((await result)[0]!.outcome).toBe("delivered");
    const again = new FakeTransport(() => {}, clock);
    const reopened = await open(again, clock);
    expect(reopened.queue.stats().recovered).toBe(0);
  });

  it("aborts sends still in flight after the close grace, queues them, and delivers them after a restart", async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport(() => new Promise<void>(() => {}), clock);
    const r = await open(transport, clock, { concurrency: 1 });
    const inflight = r.onStore(storeOp(1));
    const waiting = r.onDelete(deleteOp("t1"));
    await settle();
    const closing = r.close({ timeoutMs: 1000 });
    await clock.advance(1000);
    await closing;
    expect((await inflight)[0]).toMatchObject({ outcome: "queued", error: { code: "CLOSED" } });
    expect((await waiting).map((x) => x.outcome)).toEqual(["queued", "queued", "queued"]);
    expect(transport.calls).toHaveLength(1); // the waiting delete was never sent

    const again = new FakeTransport(() => {}, clock);
    const reopened = await open(again, clock);
    await vi.waitFor(() => expect(reopened.depth()).toBe(0));
    expect(again.calls.map((c) => `${c.peer} ${label(c.op)}`).sort()).toEqual([
      "b d:t1",
      "b s:t1",
      "c d:t1",
      "d d:t1",
    ]);
    expect(again.callsTo("b").map((c) => label(c.op))).toEqual(["s:t1", "d:t1"]);
  });

  it("refuses new ops once closed", async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport(() => {}, clock);
    const r = await open(transport, clock);
    await r[Symbol.asyncDispose]();
    const results = await r.onDelete(deleteOp("x"));
    expect(results.map((x) => [x.peer, x.outcome, x.error?.code])).toEqual([
      ["b", "rejected", "CLOSED"],
      ["c", "rejected", "CLOSED"],
      ["d", "rejected", "CLOSED"],
    ]);
    expect(transport.calls).toHaveLength(0);
    expect(r.stats().rejected).toBe(3);
  });
});
