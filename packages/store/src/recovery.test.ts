import { existsSync, mkdirSync, readdirSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import {
  bytes,
  captureEvents,
  captureLogger,
  closeLater,
  hashOf,
  listFiles,
  manualClock,
  ref,
  tempDir,
} from "../test/helpers.js";
import { type ArtifactRef, ArtifactStore, artifactKey, encodeHash } from "./index.js";
import { blobId, blobPath } from "./internal/blob-paths.js";
import { writeTempBlob } from "./internal/blob-writer.js";
import { IndexDb } from "./internal/index-db.js";

/**
 * A store with a file, a symlink and a directory output, all with metadata, all in blob files
 * (inlineMaxBytes 0: these tests rebuild the index from the files); closed.
 */
async function populated(dir: string): Promise<void> {
  const store = await ArtifactStore.open({ dir, fsync: false, clock: manualClock(), inlineMaxBytes: 0 });
  await store.put(ref({ file: "out/a" }), bytes(5000, 1), { hostname: "h1", clientAddress: "1.2.3.4:5" });
  await store.putSymlink(ref({ file: "out/link" }), "../a", { replicated: true, peer: "node-2" });
  await store.put(ref({ file: "dir/x", hash: hashOf(2) }), Buffer.from("x"));
  await store.put(ref({ file: "dir/y/z", hash: hashOf(2) }), Buffer.from("zz"));
  await store.put(ref({ package: "", target: "root", hash: hashOf(3), file: "r" }), Buffer.from("root"));
  await store.close();
}

async function expectPopulatedServed(store: ArtifactStore): Promise<void> {
  expect(store.stats()).toMatchObject({ numFiles: 5, totalBytes: 5007 });
  expect(await store.get(ref({ file: "out/a" }))).toEqual([{ file: "out/a", body: bytes(5000, 1) }]);
  expect(store.stat(ref({ file: "out/a" }))?.meta).toEqual({ hostname: "h1", clientAddress: "1.2.3.4:5" });
  expect(await store.get(ref({ file: "out/link" }))).toEqual([{ file: "out/link", symlink: "../a" }]);
  expect(store.stat(ref({ file: "out/link" }))?.meta).toEqual({ replicated: true, peer: "node-2" });
  expect(await store.get(ref({ file: "dir", hash: hashOf(2) }))).toEqual([
    { file: "dir/x", body: Buffer.from("x") },
    { file: "dir/y/z", body: Buffer.from("zz") },
  ]);
  expect(await store.get(ref({ package: "", target: "root", hash: hashOf(3), file: "r" }))).toEqual([
    { file: "r", body: Buffer.from("root") },
  ]);
  expect(store.scanRange(0, 2 ** 32)).toHaveLength(5);
}

/** Puts a blob on disk the way a writer does, without telling the index. */
async function placeBlob(dir: string, r: ArtifactRef, body: Buffer, storedAt = 1000): Promise<string> {
  const key = artifactKey(r);
  const written = await writeTempBlob(
    join(dir, "tmp"),
    body,
    {
      v: 1,
      key,
      ref: {
        os: r.os,
        arch: r.arch,
        package: r.package,
        target: r.target,
        hash: encodeHash(r.hash),
        file: r.file,
      },
      kind: "file",
      storedAt,
      meta: { hostname: "orphan" },
    },
    false,
  );
  const dest = blobPath(dir, blobId(key));
  mkdirSync(dirname(dest), { recursive: true });
  renameSync(written.tmpPath, dest);
  return dest;
}

function warnings(logger: ReturnType<typeof captureLogger>): string[] {
  return logger.records.filter((r) => r.level === "warn").map((r) => r.msg ?? "");
}

describe("index rebuild", () => {
  it("rebuilds from the blobs with a warning when index.sqlite is deleted", async () => {
    const dir = tempDir();
    await populated(dir);
    unlinkSync(join(dir, "index.sqlite"));
    const logger = captureLogger();
    const events = captureEvents();
    const store = closeLater(await ArtifactStore.open({ dir, logger, onEvent: events.onEvent }));
    expect(warnings(logger)).toContain("rebuilding the index from the blobs on disk");
    expect(events.events).toContainEqual(
      expect.objectContaining({ type: "rebuilt", reason: "index is missing", artifacts: 5, bytes: 5007 }),
    );
    expect(store.stats().rebuilds).toBe(1);
    await expectPopulatedServed(store);
  });

  it("moves a corrupt index.sqlite aside and rebuilds", async () => {
    const dir = tempDir();
    await populated(dir);
    writeFileSync(join(dir, "index.sqlite"), bytes(64 * 1024, 7));
    const logger = captureLogger();
    const store = closeLater(await ArtifactStore.open({ dir, logger }));
    expect(warnings(logger)).toContain("rebuilding the index from the blobs on disk");
    expect(
      logger.records.find((r) => r.msg === "rebuilding the index from the blobs on disk")?.obj,
    ).toMatchObject({
      reason: expect.stringContaining("corrupt"),
    });
    expect(existsSync(join(dir, "index.sqlite.bad"))).toBe(true);
    await expectPopulatedServed(store);
  });

  it("rebuilds an index whose pages are damaged past the header", async () => {
    const dir = tempDir();
    await populated(dir);
    const { openSync, writeSync, closeSync, statSync } = await import("node:fs");
    const path = join(dir, "index.sqlite");
    const fd = openSync(path, "r+");
    // Keep the 100-byte header, garble every page after the first.
    writeSync(fd, bytes(statSync(path).size - 4096, 3), 0, undefined, 4096);
    closeSync(fd);
    const logger = captureLogger();
    const store = closeLater(await ArtifactStore.open({ dir, logger }));
    expect(warnings(logger)).toContain("rebuilding the index from the blobs on disk");
    await expectPopulatedServed(store);
  });

  it("rebuilds an index of an unknown schema version", async () => {
    const dir = tempDir();
    await populated(dir);
    const db = new Database(join(dir, "index.sqlite"));
    db.pragma("user_version = 99");
    db.close();
    const logger = captureLogger();
    const store = closeLater(await ArtifactStore.open({ dir, logger }));
    expect(
      logger.records.find((r) => r.msg === "rebuilding the index from the blobs on disk")?.obj,
    ).toMatchObject({
      reason: expect.stringContaining("schema version 99"),
    });
    await expectPopulatedServed(store);
  });

  it("rebuilds an index that is another application's SQLite file", async () => {
    const dir = tempDir();
    await populated(dir);
    unlinkSync(join(dir, "index.sqlite"));
    const db = new Database(join(dir, "index.sqlite"));
    db.exec("CREATE TABLE t (x)");
    db.close();
    const store = closeLater(await ArtifactStore.open({ dir }));
    expect(store.stats().rebuilds).toBe(1);
    await expectPopulatedServed(store);
  });

  it("removes blobs whose trailer is bad while rebuilding", async () => {
    const dir = tempDir();
    await populated(dir);
    unlinkSync(join(dir, "index.sqlite"));
    const junk = blobPath(dir, blobId("not a real key"));
    mkdirSync(dirname(junk), { recursive: true });
    writeFileSync(junk, "garbage without a footer");
    const store = closeLater(await ArtifactStore.open({ dir }));
    expect(existsSync(junk)).toBe(false);
    await expectPopulatedServed(store);
  });

  it("does not warn for a brand-new directory", async () => {
    const logger = captureLogger();
    const store = closeLater(await ArtifactStore.open({ dir: tempDir(), logger }));
    expect(warnings(logger)).toEqual([]);
    expect(store.stats().rebuilds).toBe(0);
  });
});

describe("start-up repairs", () => {
  it("removes temp files left by a crash", async () => {
    const dir = tempDir();
    await populated(dir);
    writeFileSync(join(dir, "tmp", "0123abcd.tmp"), "half a blob");
    writeFileSync(join(dir, "tmp", "ffff.tmp"), "");
    const store = closeLater(await ArtifactStore.open({ dir }));
    expect(readdirSync(join(dir, "tmp"))).toEqual([]);
    await expectPopulatedServed(store);
  });

  it("indexes a blob renamed into place just before a crash (pending journal)", async () => {
    const dir = tempDir();
    await populated(dir);
    const r = ref({ target: "late", file: "f" });
    const db = new IndexDb(join(dir, "index.sqlite"));
    db.addPending(artifactKey(r), blobId(artifactKey(r)), 1);
    db.close();
    await placeBlob(dir, r, Buffer.from("landed"));
    const store = closeLater(await ArtifactStore.open({ dir }));
    expect(await store.get(r)).toEqual([{ file: "f", body: Buffer.from("landed") }]);
    expect(store.stat(r)?.meta).toEqual({ hostname: "orphan" });
    expect(store.stats()).toMatchObject({ numFiles: 6, totalBytes: 5013 });
  });

  it("forgets a journalled write whose blob never reached its place", async () => {
    const dir = tempDir();
    await populated(dir);
    const r = ref({ target: "never", file: "f" });
    const db = new IndexDb(join(dir, "index.sqlite"));
    db.addPending(artifactKey(r), blobId(artifactKey(r)), 1);
    db.close();
    const store = closeLater(await ArtifactStore.open({ dir }));
    expect(store.has(r)).toBe(false);
    await expectPopulatedServed(store);
    await store.close();
    const check = new IndexDb(join(dir, "index.sqlite"));
    expect(check.allPending()).toEqual([]);
    check.close();
  });

  it("after an unclean shutdown, reconciles in the background: unknown blobs indexed, rows without blobs dropped", async () => {
    const dir = tempDir();
    await populated(dir);
    const orphan = ref({ target: "orphan", file: "o", hash: hashOf(99) });
    await placeBlob(dir, orphan, Buffer.from("orphaned"));
    unlinkSync(
      blobPath(dir, blobId(artifactKey(ref({ package: "", target: "root", hash: hashOf(3), file: "r" })))),
    );
    const db = new IndexDb(join(dir, "index.sqlite"));
    db.setMeta("clean_shutdown", "0");
    db.close();
    const events = captureEvents();
    const store = closeLater(await ArtifactStore.open({ dir, onEvent: events.onEvent }));
    await expect
      .poll(() => events.events.find((e) => e.type === "reconciled"))
      .toMatchObject({ added: 1, removed: 1 });
    expect(await store.get(orphan)).toEqual([{ file: "o", body: Buffer.from("orphaned") }]);
    expect(store.stats()).toMatchObject({ numFiles: 5, totalBytes: 5000 + 1 + 2 + 8 });
  });

  it("after a crash in the middle of deleteAll (blobs moved away, index not yet emptied), reconcile drops the rows", async () => {
    const dir = tempDir();
    await populated(dir);
    renameSync(join(dir, "blobs"), join(dir, "trash"));
    const db = new IndexDb(join(dir, "index.sqlite"));
    db.setMeta("clean_shutdown", "0");
    db.close();
    const events = captureEvents();
    const store = closeLater(await ArtifactStore.open({ dir, onEvent: events.onEvent }));
    await expect
      .poll(() => events.events.find((e) => e.type === "reconciled"))
      .toMatchObject({ added: 0, removed: 5 });
    expect(store.stats()).toMatchObject({ numFiles: 0, totalBytes: 0 });
    await expect.poll(() => existsSync(join(dir, "trash"))).toBe(false);
  });

  it("does not reconcile after a clean shutdown", async () => {
    const dir = tempDir();
    await populated(dir);
    await placeBlob(dir, ref({ target: "orphan", file: "o" }), Buffer.from("orphaned"));
    const events = captureEvents();
    const store = closeLater(await ArtifactStore.open({ dir, onEvent: events.onEvent }));
    await new Promise((r) => setTimeout(r, 50));
    expect(events.events).toEqual([]);
    expect(store.has(ref({ target: "orphan", file: "o" }))).toBe(false);
    // An explicit pass finds it.
    expect(await store.reconcile()).toEqual({ added: 1, removed: 0 });
    expect(store.has(ref({ target: "orphan", file: "o" }))).toBe(true);
  });

  it("a rebuild keeps the index and the blob tree in agreement", async () => {
    const dir = tempDir();
    await populated(dir);
    unlinkSync(join(dir, "index.sqlite"));
    const store = closeLater(await ArtifactStore.open({ dir }));
    const indexed = store.scanRange(0, 2 ** 32).length;
    expect(listFiles(join(dir, "blobs"))).toHaveLength(indexed);
  });
});
