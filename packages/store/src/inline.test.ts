import { copyFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
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
import { ArtifactStore, DEFAULT_INLINE_MAX_BYTES, type StoreOptions } from "./index.js";
import { blobId, blobPath } from "./internal/blob-paths.js";

const MAX = 1024;

async function openStore(dir = tempDir(), opts: Partial<StoreOptions> = {}): Promise<ArtifactStore> {
  return closeLater(await ArtifactStore.open({ dir, fsync: false, inlineMaxBytes: MAX, ...opts }));
}

/** Reads the index behind a closed store's back. */
function indexCounts(dir: string): { rows: number; inline: number; bodies: number } {
  const db = new Database(join(dir, "index.sqlite"), { readonly: true });
  try {
    return db
      .prepare(
        "SELECT count(*) AS rows, coalesce(sum(length(blob) = 0), 0) AS inline, count(body) AS bodies FROM artifacts",
      )
      .get() as { rows: number; inline: number; bodies: number };
  } finally {
    db.close();
  }
}

describe("small artifacts inline in the index", () => {
  it("keeps a small body in the index, not in a file, and serves it verified", async () => {
    const store = await openStore();
    const body = bytes(MAX, 1);
    const info = await store.put(ref(), body, { hostname: "h" });
    expect(listFiles(join(store.dir, "blobs"))).toEqual([]);
    expect(info).toMatchObject({ size: MAX, kind: "file", meta: { hostname: "h" } });
    const got = await store.get(ref());
    expect(got).toEqual([{ file: "out/lib.a", body }]);
    const opened = await store.openRead(ref());
    expect(opened?.info).toMatchObject({ size: MAX, digest: info.digest, kind: "file" });
    expect(await readAll(opened!.stream)).toEqual(body);
    expect(store.stats()).toMatchObject({ totalBytes: MAX, numFiles: 1 });
  });

  it("puts bodies over the limit, and streamed ones, in blob files", async () => {
    const store = await openStore();
    await store.put(ref({ file: "big" }), bytes(MAX + 1, 2));
    await store.put(ref({ file: "streamed" }), chunks(bytes(100, 3), 10));
    expect(listFiles(join(store.dir, "blobs"))).toHaveLength(2);
    expect((await store.get(ref({ file: "streamed" })))![0]!.body).toEqual(bytes(100, 3));
  });

  it("round-trips an empty body inline", async () => {
    const store = await openStore();
    await store.put(ref({ file: "empty" }), new Uint8Array(0));
    expect(await store.get(ref({ file: "empty" }))).toEqual([{ file: "empty", body: Buffer.alloc(0) }]);
    expect(listFiles(join(store.dir, "blobs"))).toEqual([]);
  });

  it("keeps symlinks in the index too, without a body row", async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    await store.put(ref({ file: "link" }), bytes(10, 1));
    await store.putSymlink(ref({ file: "link" }), "../x");
    expect(listFiles(join(store.dir, "blobs"))).toEqual([]);
    expect(await store.get(ref({ file: "link" }))).toEqual([{ file: "link", symlink: "../x" }]);
    const opened = await store.openRead(ref({ file: "link" }));
    expect(opened?.info).toMatchObject({ kind: "symlink", symlink: "../x", size: 0 });
    expect(await readAll(opened!.stream)).toEqual(Buffer.alloc(0));
    await store.close();
    expect(indexCounts(dir)).toEqual({ rows: 1, inline: 1, bodies: 0 });
  });

  it("stores every body in a file with inlineMaxBytes 0, and defaults to 32 KiB", async () => {
    expect(DEFAULT_INLINE_MAX_BYTES).toBe(32 * 1024);
    const store = await openStore(tempDir(), { inlineMaxBytes: 0 });
    await store.put(ref(), bytes(10, 1));
    await store.putSymlink(ref({ file: "l" }), "x");
    expect(listFiles(join(store.dir, "blobs"))).toHaveLength(2);
    await expect(ArtifactStore.open({ dir: tempDir(), inlineMaxBytes: 2 ** 21 })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });

  it("removes the old file when a small body replaces a big one, and the old body the other way", async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    await store.put(ref(), bytes(5000, 1));
    expect(listFiles(join(dir, "blobs"))).toHaveLength(1);
    await store.put(ref(), bytes(10, 2));
    expect(listFiles(join(dir, "blobs"))).toEqual([]);
    expect((await store.get(ref()))![0]!.body).toEqual(bytes(10, 2));
    expect(store.stats()).toMatchObject({ totalBytes: 10, numFiles: 1 });
    await store.put(ref(), bytes(6000, 3));
    expect((await store.get(ref()))![0]!.body).toEqual(bytes(6000, 3));
    expect(store.stats()).toMatchObject({ totalBytes: 6000, numFiles: 1 });
    await store.close();
    expect(indexCounts(dir)).toEqual({ rows: 1, inline: 0, bodies: 0 });
  });

  it("serves a directory whose members are partly inline, partly in files", async () => {
    const store = await openStore();
    await store.put(ref({ file: "d/small" }), bytes(10, 1));
    await store.put(ref({ file: "d/big" }), bytes(4000, 2));
    await store.putSymlink(ref({ file: "d/link" }), "small");
    const got = await store.get(ref({ file: "d" }));
    expect(got).toEqual([
      { file: "d/big", body: bytes(4000, 2) },
      { file: "d/link", symlink: "small" },
      { file: "d/small", body: bytes(10, 1) },
    ]);
  });

  it("deletes inline bodies with their target, and all of them with deleteAll", async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    await store.put(ref({ file: "a" }), bytes(10, 1));
    await store.put(ref({ file: "b", hash: hashOf(2) }), bytes(10, 2));
    await store.put(ref({ target: "other", file: "c" }), bytes(10, 3));
    await store.put(ref({ target: "third", file: "d" }), bytes(10, 4));
    expect(await store.deleteTarget(ref())).toBe(2);
    expect(await store.get(ref({ file: "a" }))).toBeNull();
    expect(store.stats()).toMatchObject({ totalBytes: 20, numFiles: 2 });
    await store.deleteAll();
    expect(store.stats()).toMatchObject({ totalBytes: 0, numFiles: 0 });
    await store.put(ref({ file: "e" }), bytes(10, 5));
    await store.close();
    expect(indexCounts(dir)).toEqual({ rows: 1, inline: 1, bodies: 1 });
  });

  it("keeps inline artifacts, with their metadata, across a restart", async () => {
    const dir = tempDir();
    const first = await ArtifactStore.open({ dir, fsync: false, inlineMaxBytes: MAX });
    await first.put(ref(), bytes(500, 1), { clientAddress: "1.2.3.4:5", replicated: true, peer: "n2" });
    await first.close();
    const second = await openStore(dir);
    expect((await second.get(ref()))![0]!.body).toEqual(bytes(500, 1));
    expect(second.stat(ref())).toMatchObject({
      size: 500,
      meta: { clientAddress: "1.2.3.4:5", replicated: true, peer: "n2" },
    });
    expect(second.stats()).toMatchObject({ totalBytes: 500, numFiles: 1 });
  });

  it("answers a miss (never wrong bytes) for a damaged inline body, and removes its output", async () => {
    const dir = tempDir();
    const first = await ArtifactStore.open({ dir, fsync: false, inlineMaxBytes: MAX });
    await first.put(ref({ file: "out/a" }), bytes(300, 1));
    await first.put(ref({ file: "out/b" }), bytes(300, 2));
    await first.close();
    const db = new Database(join(dir, "index.sqlite"));
    const key = "linux_amd64/src/core/core/";
    db.prepare("UPDATE artifacts SET body = ? WHERE key LIKE ? AND key LIKE '%/out/a'").run(
      bytes(300, 9),
      `${key}%`,
    );
    db.close();
    const events = captureEvents();
    const store = await openStore(dir, { onEvent: events.onEvent });
    expect(await store.get(ref({ file: "out/a" }))).toBeNull();
    expect(events.events).toContainEqual(
      expect.objectContaining({ type: "corrupt", reason: "sha256 mismatch" }),
    );
    // The whole stored output goes, as with a corrupt blob file.
    expect(store.has(ref({ file: "out/a" }))).toBe(false);
    expect(store.has(ref({ file: "out/b" }))).toBe(false);
    expect(store.stats()).toMatchObject({ totalBytes: 0, numFiles: 0, corruptBlobs: 1 });
  });

  it("evicts inline artifacts least recently read first, counting their bytes", async () => {
    const clock = manualClock();
    const store = await openStore(tempDir(), { clock, highWaterMark: 1000, lowWaterMark: 600 });
    for (let i = 0; i < 11; i++) {
      await store.put(ref({ file: `f${i}`, hash: hashOf(i) }), bytes(100, i));
      clock.advance(1000);
    }
    expect(await store.clean()).toEqual({ removedFiles: 5, removedBytes: 500 });
    expect(store.has(ref({ file: "f0", hash: hashOf(0) }))).toBe(false);
    expect(store.has(ref({ file: "f10", hash: hashOf(10) }))).toBe(true);
    expect(store.stats()).toMatchObject({ totalBytes: 600, numFiles: 6 });
  });

  it("opens a version 1 index (files only) in place and serves what it holds", async () => {
    const dir = tempDir();
    const old = await ArtifactStore.open({ dir, fsync: false, inlineMaxBytes: 0 });
    await old.put(ref(), bytes(10, 1));
    await old.close();
    const db = new Database(join(dir, "index.sqlite"));
    db.exec("ALTER TABLE artifacts DROP COLUMN body");
    db.pragma("user_version = 1");
    db.close();
    const logger = { debug() {}, info() {}, warn: failOnWarning, error: failOnWarning };
    const store = await openStore(dir, { logger });
    expect((await store.get(ref()))![0]!.body).toEqual(bytes(10, 1));
    await store.put(ref({ file: "new" }), bytes(10, 2));
    expect((await store.get(ref({ file: "new" })))![0]!.body).toEqual(bytes(10, 2));
    await store.close();
    expect(indexCounts(dir)).toEqual({ rows: 2, inline: 1, bodies: 1 });
  });

  it("reconcile removes a blob file that an inline write replaced but did not get to unlink", async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    await store.put(ref(), bytes(5000, 1));
    const path = blobPath(dir, blobId(store.stat(ref())!.key));
    const saved = join(dir, "saved-blob");
    copyFileSync(path, saved);
    await store.put(ref(), bytes(10, 2));
    copyFileSync(saved, path); // as if the process died between the commit and the unlink
    expect(await store.reconcile()).toMatchObject({ added: 0, removed: 1 });
    expect(listFiles(join(dir, "blobs"))).toEqual([]);
    expect((await store.get(ref()))![0]!.body).toEqual(bytes(10, 2));
  });

  it("serves whole old or whole new bodies while small and big writes of one key race", async () => {
    const store = await openStore();
    const bodies = [bytes(10, 1), bytes(5000, 2), bytes(700, 3), bytes(MAX + 500, 4)];
    const known = new Set(bodies.map((b) => b.toString("hex")));
    await store.put(ref(), bodies[0]!);
    const writes = Array.from({ length: 40 }, (_, i) => store.put(ref(), bodies[i % bodies.length]!));
    const reads = Array.from({ length: 40 }, async () => {
      const got = await store.get(ref());
      expect(got).not.toBeNull();
      expect(known.has(got![0]!.body!.toString("hex"))).toBe(true);
    });
    await Promise.all([...writes, ...reads]);
    const last = (await store.get(ref()))![0]!.body!;
    expect(store.stats()).toMatchObject({ totalBytes: last.length, numFiles: 1 });
    expect(listFiles(join(store.dir, "blobs"))).toHaveLength(last.length > MAX ? 1 : 0);
  });
});

function failOnWarning(obj: unknown, msg?: string): void {
  throw new Error(`unexpected warning: ${msg ?? JSON.stringify(obj)}`);
}
