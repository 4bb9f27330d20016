import { describe, expect, it } from "vitest";
import { keyAt, seededRandom } from "../test/support/points.js";
import {
  type ArtifactLocator,
  type LocalIndex,
  listRange,
  type RepairEntry,
  type RepairPeer,
  type RepairProgress,
  repairRange,
} from "./repair.js";

interface Stored {
  readonly point: number;
  readonly digest: string;
  readonly ref: ArtifactLocator;
}

/** An in-memory store indexed by key, scanned by point range in key order. */
class MemoryIndex implements LocalIndex {
  readonly items = new Map<string, Stored>();

  put(key: string, item: Stored): void {
    this.items.set(key, item);
  }

  scanRange(begin: number, end: number, options: { after?: string; limit: number }): RepairEntry[] {
    return [...this.items.entries()]
      .filter(
        ([key, s]) =>
          s.point >= begin && s.point < end && (options.after === undefined || key > options.after),
      )
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, options.limit)
      .map(([key, s]) => ({ key, digest: s.digest, ref: s.ref }));
  }

  async digests(keys: readonly string[]): Promise<Array<string | undefined>> {
    return keys.map((k) => this.items.get(k)?.digest);
  }
}

function keyOf(ref: ArtifactLocator): string {
  return `${ref.os}_${ref.arch}/${ref.package}/${ref.target}/${Buffer.from(ref.hash).toString("base64url")}/${ref.file}`;
}

function item(i: number, point: number, digest = `d${i}`): [string, Stored] {
  const ref: ArtifactLocator = {
    os: "linux",
    arch: "amd64",
    hash: keyAt(point, i),
    package: "pkg",
    target: `t${String(i).padStart(4, "0")}`,
    file: "out",
  };
  return [keyOf(ref), { point, digest, ref }];
}

/** A partner over `MemoryIndex`es: listKeys is `listRange` on its index, fetchInto copies into `local`. */
class FakePeer implements RepairPeer {
  readonly fetchedKeys: string[] = [];
  listCalls = 0;
  inflightFetches = 0;
  maxInflightFetches = 0;
  failFetch: ((refs: readonly ArtifactLocator[]) => boolean) | undefined;
  failList: ((call: number) => boolean) | undefined;

  constructor(
    readonly remote: MemoryIndex,
    readonly local: MemoryIndex,
  ) {}

  async listKeys(peer: string, begin: number, end: number, after: string | undefined, limit: number) {
    expect(peer).toBe("partner");
    this.listCalls++;
    if (this.failList?.(this.listCalls)) throw new Error("list failed");
    return listRange(this.remote, begin, end, after, limit);
  }

  async fetchInto(peer: string, refs: readonly ArtifactLocator[]): Promise<number> {
    expect(peer).toBe("partner");
    this.inflightFetches++;
    this.maxInflightFetches = Math.max(this.maxInflightFetches, this.inflightFetches);
    await new Promise((r) => setImmediate(r));
    this.inflightFetches--;
    if (this.failFetch?.(refs)) throw new Error("fetch failed");
    for (const ref of refs) {
      const key = keyOf(ref);
      this.local.put(key, this.remote.items.get(key)!);
      this.fetchedKeys.push(key);
    }
    return refs.length;
  }
}

/** A partner with 300 keys over the whole space; we have some, some with another digest. */
function scenario() {
  const remote = new MemoryIndex();
  const local = new MemoryIndex();
  const rnd = seededRandom(42);
  const expected = new Set<string>();
  const inRange = (p: number) => p >= 1_000_000 && p < 3_000_000_000;
  for (let i = 0; i < 300; i++) {
    const point = Math.floor(rnd() * 2 ** 32);
    const [key, stored] = item(i, point);
    remote.put(key, stored);
    const fate = i % 4; // 0: missing here, 1: same here, 2: different here, 3: same here
    if (fate === 1 || fate === 3) local.put(key, stored);
    if (fate === 2) local.put(key, { ...stored, digest: "stale" });
    if (inRange(point) && (fate === 0 || fate === 2)) expected.add(key);
  }
  // A key only we have is left alone.
  const [ourKey, ours] = item(999, 2_000_000_000);
  local.put(ourKey, ours);
  return { remote, local, expected, peer: new FakePeer(remote, local) };
}

describe("repairRange", () => {
  it("pulls exactly the keys of the range that are missing here or differ, across pages", async () => {
    const { local, expected, peer } = scenario();
    const progress: RepairProgress[] = [];
    const result = await repairRange({
      peer: "partner",
      begin: 1_000_000,
      end: 3_000_000_000,
      local,
      remote: peer,
      pageSize: 7,
      batchSize: 3,
      onProgress: (p) => progress.push(p),
    });
    expect(result.complete).toBe(true);
    expect(result.error).toBeUndefined();
    expect(new Set(peer.fetchedKeys)).toEqual(expected);
    expect(peer.fetchedKeys.length).toBe(expected.size);
    expect(result.fetched).toBe(expected.size);
    expect(result.missing + result.differing).toBe(expected.size);
    expect(result.differing).toBeGreaterThan(0);
    expect(result.missing).toBeGreaterThan(0);
    expect(result.pages).toBeGreaterThan(10);
    expect(progress.length).toBe(result.pages);
    expect(progress.at(-1)?.scanned).toBe(result.scanned);
    // A second run finds nothing left to pull.
    const again = await repairRange({
      peer: "partner",
      begin: 1_000_000,
      end: 3_000_000_000,
      local,
      remote: peer,
    });
    expect(again).toMatchObject({ complete: true, missing: 0, differing: 0, fetched: 0 });
  });

  it("keeps fetches within the concurrency bound", async () => {
    const { local, peer } = scenario();
    const result = await repairRange({
      peer: "partner",
      begin: 0,
      end: 2 ** 32,
      local,
      remote: peer,
      pageSize: 100,
      batchSize: 2,
      concurrency: 3,
    });
    expect(result.complete).toBe(true);
    expect(peer.maxInflightFetches).toBe(3);
  });

  it("stops at a failed fetch with a cursor that resumes without pulling anything twice", async () => {
    const { local, expected, peer } = scenario();
    let batches = 0;
    peer.failFetch = () => ++batches === 9;
    const options = {
      peer: "partner",
      begin: 1_000_000,
      end: 3_000_000_000,
      local,
      remote: peer,
      pageSize: 10,
    };
    const first = await repairRange({ ...options, batchSize: 2, concurrency: 1 });
    expect(first.complete).toBe(false);
    expect(first.error).toBeInstanceOf(Error);
    expect(first.cursor).toBeDefined();
    peer.failFetch = undefined;
    const second = await repairRange({ ...options, after: first.cursor! });
    expect(second.complete).toBe(true);
    expect(peer.fetchedKeys.length).toBe(expected.size);
    expect(new Set(peer.fetchedKeys)).toEqual(expected);
  });

  it("stops at a failed listing and resumes from the last completed page", async () => {
    const { local, expected, peer } = scenario();
    peer.failList = (call) => call === 4;
    const options = {
      peer: "partner",
      begin: 1_000_000,
      end: 3_000_000_000,
      local,
      remote: peer,
      pageSize: 10,
    };
    const first = await repairRange(options);
    expect(first).toMatchObject({ complete: false, pages: 3 }); // the 4th listing is the one that failed
    peer.failList = undefined;
    const second = await repairRange({ ...options, after: first.cursor! });
    expect(second.complete).toBe(true);
    expect(new Set(peer.fetchedKeys)).toEqual(expected);
    expect(peer.fetchedKeys.length).toBe(expected.size);
  });

  it("stops when aborted", async () => {
    const { local, peer } = scenario();
    const controller = new AbortController();
    const result = await repairRange({
      peer: "partner",
      begin: 0,
      end: 2 ** 32,
      local,
      remote: peer,
      pageSize: 10,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.pages === 2) controller.abort(new Error("stop"));
      },
    });
    expect(result).toMatchObject({ complete: false, pages: 2 });
    expect((result.error as Error).message).toBe("stop");
  });

  it("refuses a partner whose cursor does not advance", async () => {
    const local = new MemoryIndex();
    const [key, stored] = item(1, 10);
    const stuck: RepairPeer = {
      listKeys: async () => ({ keys: [{ key, digest: stored.digest, ref: stored.ref }], next: key }),
      fetchInto: async () => {
        local.put(key, stored);
        return 1;
      },
    };
    const result = await repairRange({ peer: "p", begin: 0, end: 100, local, remote: stuck });
    expect(result.complete).toBe(false);
    expect(String(result.error)).toMatch(/does not advance/);
    expect(result.fetched).toBe(1);
  });

  it("handles an empty range", async () => {
    const { local, peer } = scenario();
    const result = await repairRange({ peer: "partner", begin: 5, end: 5, local, remote: peer });
    expect(result).toMatchObject({ complete: true, pages: 1, scanned: 0, fetched: 0 });
  });
});

describe("listRange", () => {
  it("pages through a range in key order with a cursor only when more follow", async () => {
    const index = new MemoryIndex();
    for (let i = 0; i < 10; i++) index.put(...item(i, i * 100));
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await listRange(index, 100, 900, after, 3);
      pages++;
      seen.push(...page.keys.map((k) => k.key));
      if (page.next === undefined) break;
      expect(page.keys.length).toBe(3);
      after = page.next;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(index.scanRange(100, 900, { limit: 100 }).map((e) => e.key));
    expect(seen.length).toBe(8);
  });

  it("rejects a limit below one", async () => {
    await expect(listRange(new MemoryIndex(), 0, 1, undefined, 0)).rejects.toThrow(RangeError);
  });
});
