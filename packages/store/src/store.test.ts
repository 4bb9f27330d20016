import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  bytes,
  captureEvents,
  chunks,
  closeLater,
  hashOf,
  listFiles,
  manualClock,
  readAll,
  ref,
  tempDir,
} from "../test/helpers.js";
import { INVALID_REFS } from "../test/invalid-refs.js";
import { type ArtifactRef, ArtifactStore, artifactKey, StoreError, type StoreOptions } from "./index.js";
import { blobId, blobPath } from "./internal/blob-paths.js";

/**
 * These tests look at blob files on disk, so every body goes to one (inlineMaxBytes 0);
 * inline.test.ts covers small artifacts kept in the index.
 */
async function openStore(opts: Partial<StoreOptions> = {}): Promise<ArtifactStore> {
  return closeLater(await ArtifactStore.open({ dir: tempDir(), fsync: false, inlineMaxBytes: 0, ...opts }));
}

function blobFile(store: ArtifactStore, r: ArtifactRef): string {
  return blobPath(store.dir, blobId(artifactKey(r)));
}

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    return err instanceof StoreError ? err.code : `not a StoreError: ${String(err)}`;
  }
  return undefined;
}

describe("put and get", () => {
  it("round-trips a file with its metadata", async () => {
    const clock = manualClock();
    const store = await openStore({ clock });
    const body = bytes(10_000, 1);
    const meta = { clientAddress: "10.1.2.3:4567", hostname: "builder-1", replicated: true, peer: "node-b" };
    const info = await store.put(ref(), body, meta);
    expect(info).toMatchObject({
      key: `linux_amd64/src/core/core/${Buffer.from(hashOf(1)).toString("base64url")}/out/lib.a`,
      size: 10_000,
      digest: createHash("sha256").update(body).digest("hex"),
      kind: "file",
      storedAt: clock.now,
      lastRead: clock.now,
      point: 1,
      meta,
    });
    expect(await store.get(ref())).toEqual([{ file: "out/lib.a", body }]);
    expect(store.stat(ref())).toMatchObject({ size: 10_000, meta, kind: "file" });
    expect(store.has(ref())).toBe(true);
    expect(store.stats()).toMatchObject({ totalBytes: 10_000, numFiles: 1 });
  });

  it("round-trips a symlink as a record with no body, never a link on disk", async () => {
    const store = await openStore();
    const info = await store.putSymlink(ref({ file: "out/link" }), "/etc/passwd", { hostname: "h" });
    expect(info).toMatchObject({ kind: "symlink", symlink: "/etc/passwd", size: 0, meta: { hostname: "h" } });
    expect(await store.get(ref({ file: "out/link" }))).toEqual([
      { file: "out/link", symlink: "/etc/passwd" },
    ]);
    const opened = await store.openRead(ref({ file: "out/link" }));
    expect(opened?.info.symlink).toBe("/etc/passwd");
    expect((await readAll(opened!.stream)).length).toBe(0);
    for (const f of listFiles(store.dir)) expect(readFileSync(join(store.dir, f)).length).toBeGreaterThan(0);
  });

  it("stores a streamed body (async iterable and Node stream) without changing a byte", async () => {
    const store = await openStore();
    const body = bytes(3 * 1024 * 1024 + 17, 2);
    await store.put(ref({ file: "a" }), chunks(body, 1000));
    await store.put(ref({ file: "b" }), Readable.from(chunks(body, 300_000)));
    expect((await store.get(ref({ file: "a" })))?.[0]?.body?.equals(body)).toBe(true);
    expect((await store.get(ref({ file: "b" })))?.[0]?.body?.equals(body)).toBe(true);
  });

  it("round-trips with fsync and directory fsync on", async () => {
    const store = await openStore({ fsync: true, fsyncDirectories: true });
    await store.put(ref(), chunks(bytes(300_000, 5), 70_000));
    await store.putSymlink(ref({ file: "l" }), "x");
    expect((await store.get(ref()))?.[0]?.body?.equals(bytes(300_000, 5))).toBe(true);
    expect(await store.get(ref({ file: "l" }))).toEqual([{ file: "l", symlink: "x" }]);
  });

  it("stores an empty body", async () => {
    const store = await openStore();
    await store.put(ref(), new Uint8Array(0));
    expect(await store.get(ref())).toEqual([{ file: "out/lib.a", body: Buffer.alloc(0) }]);
  });

  it("answers null for a miss", async () => {
    const store = await openStore();
    await store.put(ref(), Buffer.from("x"));
    expect(await store.get(ref({ file: "other" }))).toBeNull();
    expect(await store.get(ref({ hash: hashOf(2) }))).toBeNull();
    expect(await store.openRead(ref({ file: "other" }))).toBeNull();
    expect(store.stat(ref({ file: "other" }))).toBeNull();
    expect(store.has(ref({ file: "other" }))).toBe(false);
  });

  it("replaces an artifact on overwrite and keeps the totals right", async () => {
    const store = await openStore();
    await store.put(ref(), bytes(100, 1), { hostname: "first" });
    await store.put(ref(), bytes(40, 2), { hostname: "second" });
    expect(await store.get(ref())).toEqual([{ file: "out/lib.a", body: bytes(40, 2) }]);
    expect(store.stat(ref())?.meta).toEqual({ hostname: "second" });
    expect(store.stats()).toMatchObject({ totalBytes: 40, numFiles: 1 });
    await store.putSymlink(ref(), "x");
    expect(await store.get(ref())).toEqual([{ file: "out/lib.a", symlink: "x" }]);
    expect(store.stats()).toMatchObject({ totalBytes: 0, numFiles: 1 });
  });

  it("keeps a root-package target apart from others", async () => {
    const store = await openStore();
    await store.put(ref({ package: "", target: "root" }), Buffer.from("root"));
    expect(store.stat(ref({ package: "", target: "root" }))?.key.startsWith("linux_amd64/root/")).toBe(true);
    expect(await store.get(ref({ package: "", target: "root" }))).toEqual([
      { file: "out/lib.a", body: Buffer.from("root") },
    ]);
  });

  it("rejects a symlink destination that is empty or has NUL", async () => {
    const store = await openStore();
    expect(await codeOf(store.putSymlink(ref(), ""))).toBe("INVALID_ARGUMENT");
    expect(await codeOf(store.putSymlink(ref(), "a\u0000b"))).toBe("INVALID_ARGUMENT");
  });

  it("stores nothing when the body stream fails, and rethrows its error", async () => {
    const store = await openStore();
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(1000, 1);
      throw new Error("client went away");
    }
    await expect(store.put(ref(), failing())).rejects.toThrow("client went away");
    expect(store.has(ref())).toBe(false);
    expect(listFiles(store.dir).filter((f) => !f.startsWith("index.sqlite"))).toEqual([]);
  });
});

describe("validation", () => {
  it.each(INVALID_REFS)("rejects %s on every method and writes nothing", async (_name, overrides) => {
    const store = await openStore();
    const before = listFiles(store.dir);
    const bad = { ...ref(), ...overrides } as ArtifactRef;
    expect(await codeOf(store.put(bad, Buffer.from("x")))).toBe("INVALID_KEY");
    expect(await codeOf(store.put(bad, chunks(Buffer.from("streamed"), 2)))).toBe("INVALID_KEY");
    expect(await codeOf(store.putSymlink(bad, "dest"))).toBe("INVALID_KEY");
    expect(await codeOf(store.get(bad))).toBe("INVALID_KEY");
    expect(await codeOf(store.openRead(bad))).toBe("INVALID_KEY");
    expect(await codeOf(() => store.has(bad))).toBe("INVALID_KEY");
    expect(await codeOf(() => store.stat(bad))).toBe("INVALID_KEY");
    if (!("hash" in overrides) && !("file" in overrides)) {
      expect(await codeOf(store.deleteTarget(bad))).toBe("INVALID_KEY");
    }
    expect(listFiles(store.dir)).toEqual(before);
    expect(store.stats().numFiles).toBe(0);
  });
});

describe("directories", () => {
  it("returns every file below a directory, relative to the hash dir", async () => {
    const store = await openStore();
    await store.put(ref({ file: "out/dir/a.txt" }), Buffer.from("a"));
    await store.put(ref({ file: "out/dir/sub/b.txt" }), Buffer.from("b"));
    await store.putSymlink(ref({ file: "out/dir/link" }), "a.txt");
    await store.put(ref({ file: "out/dirx" }), Buffer.from("not below out/dir/"));
    await store.put(ref({ file: "out/dir/c", hash: hashOf(2) }), Buffer.from("other hash"));
    const entries = await store.get(ref({ file: "out/dir" }));
    expect(entries).toEqual([
      { file: "out/dir/a.txt", body: Buffer.from("a") },
      { file: "out/dir/link", symlink: "a.txt" },
      { file: "out/dir/sub/b.txt", body: Buffer.from("b") },
    ]);
    expect(await store.get(ref({ file: "out" }))).toHaveLength(4);
    expect(await store.get(ref({ file: "out/di" }))).toBeNull();
  });

  it("prefers an exact file over a directory of the same name", async () => {
    const store = await openStore();
    await store.put(ref({ file: "out" }), Buffer.from("file"));
    await store.put(ref({ file: "out/inner" }), Buffer.from("inner"));
    expect(await store.get(ref({ file: "out" }))).toEqual([{ file: "out", body: Buffer.from("file") }]);
  });

  it("answers a miss for a directory with a corrupt member", async () => {
    const store = await openStore();
    await store.put(ref({ file: "d/a" }), Buffer.from("aaaa"));
    await store.put(ref({ file: "d/b" }), Buffer.from("bbbb"));
    const path = blobFile(store, ref({ file: "d/b" }));
    const raw = readFileSync(path);
    raw[0] = raw[0]! ^ 0xff;
    writeFileSync(path, raw);
    expect(await store.get(ref({ file: "d" }))).toBeNull();
    expect(await store.get(ref({ file: "d" }))).toBeNull();
    expect(store.stats().numFiles).toBe(0);
  });
});

describe("openRead", () => {
  it("streams the body and reports the blob's info", async () => {
    const store = await openStore();
    const body = bytes(1_000_000, 3);
    await store.put(ref(), body, { hostname: "h" });
    const opened = await store.openRead(ref());
    expect(opened?.info).toMatchObject({ size: body.length, meta: { hostname: "h" }, kind: "file" });
    expect((await readAll(opened!.stream)).equals(body)).toBe(true);
  });

  it("errors the stream with CORRUPT instead of ending when the digest does not match", async () => {
    const events = captureEvents();
    const store = await openStore({ onEvent: events.onEvent });
    const body = bytes(600_000, 4);
    await store.put(ref(), body);
    const path = blobFile(store, ref());
    const raw = readFileSync(path);
    raw[500_000] = raw[500_000]! ^ 0x01;
    writeFileSync(path, raw);
    const opened = await store.openRead(ref());
    expect(opened).not.toBeNull();
    let received = 0;
    const err = await (async () => {
      try {
        for await (const c of opened!.stream) received += (c as Buffer).length;
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe("CORRUPT");
    expect(received).toBeLessThan(body.length);
    await expect.poll(() => store.has(ref())).toBe(false);
    expect(events.events).toContainEqual({
      type: "corrupt",
      key: artifactKey(ref()),
      reason: "body digest mismatch",
    });
  });
});

describe("corruption", () => {
  it("answers a miss (not wrong bytes) when a blob byte is flipped, and removes it", async () => {
    const events = captureEvents();
    const store = await openStore({ onEvent: events.onEvent });
    await store.put(ref(), Buffer.from("hello world"));
    const path = blobFile(store, ref());
    const raw = readFileSync(path);
    raw[3] = "X".charCodeAt(0);
    writeFileSync(path, raw);
    expect(await store.get(ref())).toBeNull();
    expect(store.has(ref())).toBe(false);
    expect(listFiles(join(store.dir, "blobs"))).toEqual([]);
    expect(store.stats()).toMatchObject({ corruptBlobs: 1, numFiles: 0, totalBytes: 0 });
    expect(events.events.map((e) => e.type)).toEqual(["corrupt"]);
  });

  it("answers a miss for a truncated blob or a garbled trailer", async () => {
    const store = await openStore();
    const b = ref({ file: "b", hash: hashOf(2) });
    await store.put(ref({ file: "a" }), Buffer.from("aaaa"));
    await store.put(b, Buffer.from("bbbb"));
    writeFileSync(blobFile(store, ref({ file: "a" })), Buffer.from("aa"));
    const pathB = blobFile(store, b);
    const rawB = readFileSync(pathB);
    rawB[rawB.length - 30] = rawB[rawB.length - 30]! ^ 0x20;
    writeFileSync(pathB, rawB);
    expect(await store.get(ref({ file: "a" }))).toBeNull();
    expect(await store.openRead(b)).toBeNull();
    expect(store.stats()).toMatchObject({ corruptBlobs: 2, numFiles: 0 });
  });

  it("answers a miss when the blob of an index row is gone, and drops the row", async () => {
    const events = captureEvents();
    const store = await openStore({ onEvent: events.onEvent });
    await store.put(ref(), Buffer.from("x"));
    await store.put(ref({ file: "other" }), Buffer.from("y"));
    await store.put(ref({ target: "elsewhere" }), Buffer.from("z"));
    writeFileSync(blobFile(store, ref()), "");
    const { unlinkSync } = await import("node:fs");
    unlinkSync(blobFile(store, ref()));
    expect(await store.get(ref())).toBeNull();
    expect(store.has(ref())).toBe(false);
    // The rest of that stored output goes too, so it is never served partially.
    expect(store.has(ref({ file: "other" }))).toBe(false);
    expect(store.has(ref({ target: "elsewhere" }))).toBe(true);
    expect(events.events).toContainEqual({ type: "stale", key: artifactKey(ref()) });
    expect(store.stats()).toMatchObject({ numFiles: 1, totalBytes: 1, staleEntries: 1 });
  });
});

describe("deleting", () => {
  it("deleteTarget removes every hash of the target and only that target", async () => {
    const store = await openStore();
    for (let h = 0; h < 5; h++) {
      await store.put(ref({ hash: hashOf(h), file: "a" }), Buffer.from("a"));
      await store.put(ref({ hash: hashOf(h), file: "dir/b" }), Buffer.from("b"));
    }
    const keep = [
      ref({ target: "core_test" }),
      ref({ package: "src/core/core" }),
      ref({ package: "src", target: "core" }),
      ref({ arch: "arm64" }),
      ref({ os: "darwin" }),
      ref({ package: "", target: "core" }),
    ];
    for (const k of keep) await store.put(k, Buffer.from("keep"));
    expect(
      await store.deleteTarget({ os: "linux", arch: "amd64", package: "src/core", target: "core" }),
    ).toBe(10);
    for (let h = 0; h < 5; h++) expect(await store.get(ref({ hash: hashOf(h), file: "a" }))).toBeNull();
    for (const k of keep) expect(await store.get(k)).toEqual([{ file: k.file, body: Buffer.from("keep") }]);
    expect(store.stats()).toMatchObject({ numFiles: keep.length, totalBytes: 4 * keep.length });
    expect(listFiles(join(store.dir, "blobs"))).toHaveLength(keep.length);
    expect(
      await store.deleteTarget({ os: "linux", arch: "amd64", package: "src/core", target: "core" }),
    ).toBe(0);
  });

  it("deleteAll empties the cache, and the store keeps working", async () => {
    const store = await openStore();
    for (let i = 0; i < 20; i++) await store.put(ref({ hash: hashOf(i) }), bytes(100, i));
    await store.deleteAll();
    expect(store.stats()).toMatchObject({ numFiles: 0, totalBytes: 0 });
    expect(await store.get(ref({ hash: hashOf(3) }))).toBeNull();
    expect(store.scanRange(0, 2 ** 32)).toEqual([]);
    await store.put(ref(), Buffer.from("after"));
    expect(await store.get(ref())).toEqual([{ file: "out/lib.a", body: Buffer.from("after") }]);
    await store.close();
    expect(listFiles(store.dir).filter((f) => f.startsWith("blobs/") || f.startsWith("trash/"))).toHaveLength(
      1,
    );
  });

  it("deleteAll during writes leaves index and disk in agreement", async () => {
    const store = await openStore();
    const writes = Array.from({ length: 50 }, (_, i) => store.put(ref({ hash: hashOf(i) }), bytes(500, i)));
    await new Promise((r) => setImmediate(r));
    await store.deleteAll();
    await Promise.all(writes);
    const indexed = store.scanRange(0, 2 ** 32, { limit: 1000 });
    expect(store.stats().numFiles).toBe(indexed.length);
    for (const info of indexed) expect((await store.get(info.ref))?.[0]?.body?.length).toBe(500);
    await store.close();
    expect(listFiles(join(store.dir, "blobs"))).toHaveLength(indexed.length);
  });
});

describe("persistence", () => {
  it("serves everything after a reopen, with last-read times kept", async () => {
    const dir = tempDir();
    const clock = manualClock();
    const first = await ArtifactStore.open({ dir, clock, fsync: false });
    await first.put(ref({ file: "a" }), Buffer.from("a"), { hostname: "h1" });
    await first.putSymlink(ref({ file: "l" }), "a");
    clock.advance(5000);
    await first.get(ref({ file: "a" }));
    const readAt = clock.now;
    await first.close();
    const second = closeLater(await ArtifactStore.open({ dir, clock, fsync: false }));
    expect(second.stats()).toMatchObject({ numFiles: 2, totalBytes: 1, rebuilds: 0 });
    expect(second.stat(ref({ file: "a" }))).toMatchObject({ lastRead: readAt, meta: { hostname: "h1" } });
    expect(second.stat(ref({ file: "l" }))?.lastRead).toBe(readAt - 5000);
    expect(await second.get(ref({ file: "l" }))).toEqual([{ file: "l", symlink: "a" }]);
  });

  it("refuses a second store on the same directory", async () => {
    const store = await openStore();
    expect(await codeOf(ArtifactStore.open({ dir: store.dir }))).toBe("LOCKED");
  });

  it("refuses work after close", async () => {
    const store = await openStore();
    await store.close();
    expect(await codeOf(store.put(ref(), Buffer.from("x")))).toBe("CLOSED");
    expect(await codeOf(store.get(ref()))).toBe("CLOSED");
    expect(await codeOf(() => store.has(ref()))).toBe("CLOSED");
    await store.close();
  });

  it("waits for writes in flight before closing", async () => {
    const dir = tempDir();
    const store = await ArtifactStore.open({ dir, fsync: false });
    const write = store.put(ref(), chunks(bytes(200_000, 9), 10_000));
    await new Promise((r) => setImmediate(r));
    await store.close();
    await write;
    const again = closeLater(await ArtifactStore.open({ dir }));
    expect((await again.get(ref()))?.[0]?.body?.equals(bytes(200_000, 9))).toBe(true);
  });

  it("closes through Symbol.asyncDispose", async () => {
    const dir = tempDir();
    {
      await using store = await ArtifactStore.open({ dir, fsync: false });
      await store.put(ref(), Buffer.from("x"));
    }
    const again = closeLater(await ArtifactStore.open({ dir }));
    expect(again.has(ref())).toBe(true);
  });
});

describe("concurrency", () => {
  it("a get during overwrites of the same key returns the old or the new body, whole", async () => {
    const store = await openStore();
    const versions = Array.from({ length: 8 }, (_, i) => bytes(64 * 1024 + i * 4099, 100 + i));
    const digests = new Set(versions.map((v) => createHash("sha256").update(v).digest("hex")));
    await store.put(ref(), versions[0]!);
    let reads = 0;
    for (let round = 0; round < 40; round++) {
      const writes = versions.map((v, i) => store.put(ref(), i % 2 ? chunks(v, 16 * 1024) : v));
      const gets = Array.from({ length: 8 }, async () => {
        const got = await store.get(ref());
        expect(got).toHaveLength(1);
        expect(digests.has(createHash("sha256").update(got![0]!.body!).digest("hex"))).toBe(true);
        reads++;
      });
      const streams = Array.from({ length: 4 }, async () => {
        const opened = await store.openRead(ref());
        const body = await readAll(opened!.stream);
        expect(body.length).toBe(opened!.info.size);
        expect(createHash("sha256").update(body).digest("hex")).toBe(opened!.info.digest);
        expect(digests.has(opened!.info.digest)).toBe(true);
      });
      await Promise.all([...writes, ...gets, ...streams]);
    }
    expect(reads).toBe(320);
    expect(store.stats()).toMatchObject({ numFiles: 1, corruptBlobs: 0 });
    const finalSize = store.stat(ref())!.size;
    expect(store.stats().totalBytes).toBe(finalSize);
  });

  it("parallel puts of many keys all land", async () => {
    const store = await openStore();
    const n = 400;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        store.put(ref({ hash: hashOf(i * 7919), file: `f${i % 3}` }), bytes(100 + i, i)),
      ),
    );
    expect(store.stats()).toMatchObject({ numFiles: n, totalBytes: n * 100 + (n * (n - 1)) / 2 });
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => store.get(ref({ hash: hashOf(i * 7919), file: `f${i % 3}` }))),
    );
    results.forEach((r, i) => {
      expect(r?.[0]?.body?.equals(bytes(100 + i, i))).toBe(true);
    });
  });

  it("parallel puts, gets and deletes of overlapping keys keep the totals exact", async () => {
    const store = await openStore();
    const ops: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) {
      const r = ref({ target: `t${i % 5}`, hash: hashOf(i % 7), file: `f${i % 4}` });
      if (i % 13 === 0) ops.push(store.deleteTarget({ ...r }));
      else if (i % 3 === 0) ops.push(store.get(r));
      else ops.push(store.put(r, bytes(i, i)));
    }
    await Promise.all(ops);
    const all = store.scanRange(0, 2 ** 32, { limit: 10_000 });
    expect(store.stats().numFiles).toBe(all.length);
    expect(store.stats().totalBytes).toBe(all.reduce((s, a) => s + a.size, 0));
    await store.close();
    expect(listFiles(join(store.dir, "blobs"))).toHaveLength(all.length);
  });
});

describe("scanRange", () => {
  it("pages through a point range by key, whatever the page size, and reaches 0xFFFFFFFF", async () => {
    const store = await openStore();
    const points = [0, 1, 1000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
    for (const p of points) {
      await store.put(ref({ hash: hashOf(p), file: "a" }), Buffer.from("a"));
      await store.put(ref({ hash: hashOf(p), file: "b" }), Buffer.from("b"));
    }
    const collect = (begin: number, end: number, limit: number): string[] => {
      const keys: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = store.scanRange(begin, end, after === undefined ? { limit } : { limit, after });
        expect(page.length).toBeLessThanOrEqual(limit);
        for (const info of page) {
          expect(info.point).toBeGreaterThanOrEqual(begin);
          expect(info.point).toBeLessThan(end);
          keys.push(info.key);
        }
        if (page.length < limit) return keys;
        after = page.at(-1)!.key;
      }
    };
    const all = collect(0, 2 ** 32, 3);
    expect(all).toHaveLength(points.length * 2);
    expect([...all].sort()).toEqual(all);
    expect(new Set(all).size).toBe(all.length);
    expect(collect(0, 2 ** 32, 1000)).toEqual(all);
    expect(collect(0x80000000, 2 ** 32, 2)).toHaveLength(6);
    expect(collect(0xffffffff, 2 ** 32, 1)).toHaveLength(2);
    expect(collect(1, 1000, 1)).toHaveLength(2);
    expect(collect(1, 1001, 1)).toHaveLength(4);
    expect(store.scanRange(5, 5)).toEqual([]);
  });

  it("rejects a range outside [0, 2^32] and a bad limit", async () => {
    const store = await openStore();
    expect(await codeOf(() => store.scanRange(-1, 5))).toBe("INVALID_ARGUMENT");
    expect(await codeOf(() => store.scanRange(0, 2 ** 32 + 1))).toBe("INVALID_ARGUMENT");
    expect(await codeOf(() => store.scanRange(6, 5))).toBe("INVALID_ARGUMENT");
    expect(await codeOf(() => store.scanRange(0, 5, { limit: 0 }))).toBe("INVALID_ARGUMENT");
  });
});
