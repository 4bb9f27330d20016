/**
 * The store's shared state and its disk protocols; `ArtifactStore` (store.ts) is the public face
 * that validates, tracks work in flight and runs the timers.
 *
 * Write protocol (crash-safe):
 *   1. stream the body into `tmp/<random>.tmp`, hashing it; append trailer + footer;
 *      fdatasync (option `fsync`, default on); close;
 *   2. under the key's lock: journal the key in `pending`; rename the temp file over
 *      `blobs/ab/cd/<sha256(key)>` (optionally fsync that directory); upsert the index row and
 *      clear the journal entry in one transaction. Index writes are group-committed: those of
 *      one event-loop turn share a transaction, and each waits for its commit.
 * A kill before the rename leaves a temp file (removed at the next open); a kill after it leaves a
 * pending entry, which the next open resolves from the blob's trailer. Readers open one
 * descriptor and never see a partial blob: a rename replaces the name atomically.
 *
 * Small artifacts (a whole body of at most `inlineMaxBytes`, and every symlink) skip the file:
 * the row and the body are written to the index in one group-committed transaction, which is
 * atomic on its own, so there is no temp file, journal entry or rename. If such a write replaces a
 * blob file, the file is unlinked after the commit (a kill in between leaves a file that the index
 * no longer names: reconcile removes it).
 *
 * Removal protocol: under the key's lock, unlink the blob, then delete the row. A kill in between
 * leaves a row without blob: a miss, repaired when read (or by reconcile), never a leaked blob.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { mkdir, open as openFile, readdir, rename, rm, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { type StoreError, toStoreError } from "../errors.js";
import type { StoreEvent } from "../events.js";
import type { ResolvedOptions } from "../options.js";
import type { ArtifactInfo, BodySource, StoredEntry } from "../types.js";
import { BLOBS_DIR, blobId, blobPath, REBUILD_MARKER, TMP_DIR, TRASH_DIR } from "./blob-paths.js";
import {
  type BlobIdentity,
  CorruptBlobError,
  openBlob,
  readWholeBlob,
  VerifyingBlobStream,
} from "./blob-reader.js";
import { errnoCode, type TrailerFields, writeTempBlob } from "./blob-writer.js";
import { mapLimit } from "./concurrency.js";
import { type IndexDb, type IndexRow, isCorruptionError, isInline } from "./index-db.js";
import { KeyedMutex } from "./keyed-mutex.js";
import { LastReadBatch } from "./last-read.js";
import { PinSet } from "./pins.js";
import { ReadCache } from "./read-cache.js";
import { rebuildIndex } from "./rebuild.js";
import { infoFromRow, infoFromTrailer, rowFromTrailer } from "./rows.js";
import { TxnBatcher } from "./txn-batcher.js";

const DELETE_CONCURRENCY = 16;
/** The `blob` of a row whose body is stored inline in the index. */
const NO_BLOB = Buffer.alloc(0);
const CLEAN_SHUTDOWN = "clean_shutdown";

async function unlinkQuietly(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (errnoCode(err) !== "ENOENT") throw toStoreError(err, `removing ${path}`);
  }
}

export class Engine {
  readonly blobsDir: string;
  readonly tmpDir: string;
  readonly locks = new KeyedMutex();
  readonly pins = new PinSet();
  readonly lastRead: LastReadBatch;
  readonly readCache: ReadCache;
  private readonly batch: TxnBatcher;
  /** Blob directories known to exist (saves a failed rename per new directory). */
  private readonly knownDirs = new Set<string>();
  totalBytes = 0;
  numFiles = 0;
  readonly counters = { evictedFiles: 0, evictedBytes: 0, corruptBlobs: 0, staleEntries: 0, rebuilds: 0 };
  /** Bumped by clearAll, so a reconcile pass over the old tree stops. */
  epoch = 0;
  /** Work that close() waits for but no caller awaits (trash removal, repairs after a stream). */
  readonly background = new Set<Promise<unknown>>();
  // clearAll waits for commits in flight and holds new ones back.
  private commitsActive = 0;
  private commitsIdle: (() => void)[] = [];
  private clearing: Promise<void> | null = null;

  constructor(
    readonly dir: string,
    readonly opts: ResolvedOptions,
    readonly db: IndexDb,
    /** Called after each commit (the store uses it to trigger a clean over the high water mark). */
    private readonly afterCommit: () => void,
  ) {
    this.blobsDir = join(dir, BLOBS_DIR);
    this.tmpDir = join(dir, TMP_DIR);
    this.batch = new TxnBatcher((fn) => this.db.transaction(fn));
    this.readCache = new ReadCache(opts.readCacheBytes);
    this.lastRead = new LastReadBatch(
      opts.lastReadFlushMs,
      (entries) => this.guard("flushing last-read times", () => this.db.touchMany(entries)),
      (err) => this.opts.logger.error({ err }, "flushing last-read times failed"),
    );
  }

  // ---- start-up and shutdown ----------------------------------------------------------------

  /** Start-up after the index is open. Returns true when the last shutdown was not clean. */
  async init(rebuildReason: string | null): Promise<{ unclean: boolean }> {
    const { logger } = this.opts;
    // Only this store holds the index lock now, so whatever is in tmp/ is a crashed write's.
    const leftovers = await readdir(this.tmpDir);
    await Promise.all(leftovers.map((name) => rm(join(this.tmpDir, name), { force: true, recursive: true })));
    if (leftovers.length > 0)
      logger.info({ count: leftovers.length }, "removed temp files left by an earlier run");
    let rebuilt = false;
    if (rebuildReason !== null) {
      const started = performance.now();
      logger.warn({ dir: this.dir, reason: rebuildReason }, "rebuilding the index from the blobs on disk");
      const result = await rebuildIndex(this.blobsDir, this.db, this.opts.clock(), logger);
      const durationMs = Math.round(performance.now() - started);
      logger.warn({ ...result, durationMs }, "index rebuilt");
      await rm(join(this.dir, REBUILD_MARKER), { force: true });
      this.counters.rebuilds = 1;
      rebuilt = true;
      const { artifacts, bytes } = result;
      this.emit({ type: "rebuilt", reason: rebuildReason, artifacts, bytes, durationMs });
    }
    const resolved = await this.resolvePending();
    const totals = rebuilt || resolved > 0 ? this.db.totals() : this.db.openTotals;
    this.totalBytes = totals.totalBytes;
    this.numFiles = totals.numFiles;
    const wasClean = this.db.getMeta(CLEAN_SHUTDOWN) !== "0";
    this.db.setMeta(CLEAN_SHUTDOWN, "0");
    if (existsSync(join(this.dir, TRASH_DIR))) this.emptyTrash();
    return { unclean: !wasClean && !rebuilt };
  }

  /** Settles writes that a crash interrupted between journal and index (normally none). */
  private async resolvePending(): Promise<number> {
    const pending = this.db.allPending();
    for (const p of pending) {
      const path = blobPath(this.dir, p.blob);
      let fromTrailer: IndexRow | null = null;
      try {
        const blob = await openBlob(path, p.key, { noatime: true });
        if (blob) {
          await blob.fh.close();
          fromTrailer = rowFromTrailer(blob.trailer, blob.trailer.storedAt);
        }
      } catch (err) {
        if (!(err instanceof CorruptBlobError)) throw err;
        this.opts.logger.warn(
          { key: p.key, reason: err.reason },
          "removing a corrupt blob of an interrupted write",
        );
        await unlinkQuietly(path);
      }
      const row = this.db.get(p.key);
      if (fromTrailer && row && isInline(row) && row.stored_at > fromTrailer.stored_at) {
        // The file is older than the inline row (an inline write replaced it and died before
        // unlinking it); the interrupted write never got its blob into place.
        await unlinkQuietly(path);
      } else if (fromTrailer) {
        const same = row?.digest.equals(fromTrailer.digest) && row.stored_at === fromTrailer.stored_at;
        if (!same)
          this.db.commit({ ...fromTrailer, last_read: Math.max(fromTrailer.last_read, row?.last_read ?? 0) });
      } else if (row && !isInline(row)) {
        // A row naming a blob that is not there (an inline row needs none: it stays).
        this.db.delete(p.key);
      }
      this.db.deletePending(p.key);
    }
    return pending.length;
  }

  /** After every store operation has settled: flush, mark the shutdown clean, close the index. */
  shutdown(): void {
    this.lastRead.stop();
    try {
      this.batch.flush();
      this.lastRead.flush();
      this.db.setMeta(CLEAN_SHUTDOWN, "1");
    } catch (err) {
      this.opts.logger.error({ err }, "closing the index failed");
    } finally {
      this.db.close();
    }
  }

  // ---- writing ------------------------------------------------------------------------------

  /** Writes a blob to a temp file (or, when small, inline in the index) and commits it under `fields.key`. */
  async write(fields: TrailerFields, body: BodySource): Promise<ArtifactInfo> {
    const { key } = fields;
    const unpin = this.pins.pin(key);
    try {
      const max = this.opts.inlineMaxBytes;
      if (max > 0 && (fields.kind === "symlink" || (body instanceof Uint8Array && body.length <= max))) {
        return await this.writeInline(fields, fields.kind === "symlink" ? NO_BLOB : (body as Uint8Array));
      }
      const written = await writeTempBlob(this.tmpDir, body, fields, this.opts.fsync);
      const { trailer } = written;
      try {
        await this.commitFile(written.tmpPath, rowFromTrailer(trailer, trailer.storedAt));
        return infoFromTrailer(trailer, trailer.storedAt);
      } catch (err) {
        await unlink(written.tmpPath).catch(() => {});
        throw err;
      }
    } finally {
      unpin();
    }
  }

  /** A small artifact: row and body in one index transaction, no file. */
  private async writeInline(fields: TrailerFields, body: Uint8Array): Promise<ArtifactInfo> {
    const trailer = { ...fields, size: body.length, sha256: createHash("sha256").update(body).digest("hex") };
    const row: IndexRow = { ...rowFromTrailer(trailer, trailer.storedAt), blob: NO_BLOB };
    // A copy: the caller may reuse its buffer once we return, and the batch commits later.
    const stored = fields.kind === "symlink" ? undefined : Buffer.from(body);
    await this.commitRow(row, async () => {
      const replaced = await this.indexWrite("indexing a write", () => this.db.commitInline(row, stored));
      // The write replaced a blob file: remove it now that the index no longer names it.
      if (replaced && !isInline(replaced)) await unlinkQuietly(blobPath(this.dir, replaced.blob));
      return replaced?.size ?? null;
    });
    return infoFromTrailer(trailer, trailer.storedAt);
  }

  /** A blob file written to `tmpPath`: journal, rename into place, index (see the write protocol). */
  private commitFile(tmpPath: string, row: IndexRow): Promise<void> {
    return this.commitRow(row, async () => {
      const startedAt = this.opts.clock();
      await this.indexWrite("journalling a write", () => this.db.addPending(row.key, row.blob, startedAt));
      await this.renameIntoPlace(tmpPath, blobPath(this.dir, row.blob));
      return this.indexWrite("indexing a write", () => this.db.commitInTransaction(row));
    });
  }

  /**
   * Runs `apply` (which commits `row` and resolves the size of what it replaced, or null) under
   * the key's lock, held back while clearAll runs, then updates the totals.
   */
  private async commitRow(row: IndexRow, apply: () => Promise<number | null>): Promise<void> {
    while (this.clearing) await this.clearing;
    this.commitsActive++;
    try {
      await this.locks.run(row.key, async () => {
        const replaced = await apply();
        this.readCache.delete(row.key);
        this.totalBytes += row.size - (replaced ?? 0);
        if (replaced === null) this.numFiles++;
        this.afterCommit();
      });
    } finally {
      if (--this.commitsActive === 0) {
        const waiters = this.commitsIdle;
        this.commitsIdle = [];
        for (const wake of waiters) wake();
      }
    }
  }

  private async renameIntoPlace(from: string, to: string): Promise<void> {
    const dir = dirname(to);
    try {
      if (!this.knownDirs.has(dir)) {
        await mkdir(dir, { recursive: true });
        this.knownDirs.add(dir);
      }
      try {
        await rename(from, to);
      } catch (err) {
        // clearAll moved the tree away, or someone removed the directory.
        if (errnoCode(err) !== "ENOENT") throw err;
        await mkdir(dir, { recursive: true });
        await rename(from, to);
      }
      if (this.opts.fsyncDirectories) {
        const handle = await openFile(dir, "r");
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
      }
    } catch (err) {
      throw toStoreError(err, "renaming a blob into place");
    }
  }

  // ---- reading ------------------------------------------------------------------------------

  /** Reads and verifies one artifact whole; null (and the miss repaired) when missing or corrupt. */
  async readEntry(row: IndexRow, file: string): Promise<StoredEntry | null> {
    if (isInline(row)) {
      if (row.kind === 1) {
        this.lastRead.touch(row.key, this.opts.clock());
        return { file, symlink: row.symlink ?? "" };
      }
      const inline = await this.readInline(row.key);
      if (inline === undefined) return null;
      // Replaced by a file since the caller looked the row up: read that.
      if (inline === "file") {
        const now = this.guard("looking up an artifact", () => this.db.get(row.key));
        return now ? this.readEntry(now, file) : null;
      }
      return { file, body: inline };
    }
    if (row.kind !== 1) {
      const cached = this.readCache.get(row);
      if (cached) {
        this.lastRead.touch(row.key, this.opts.clock());
        return { file, body: cached };
      }
    }
    const unpin = this.pins.pin(row.key);
    try {
      let blob: Awaited<ReturnType<typeof readWholeBlob>>;
      try {
        blob = await readWholeBlob(blobPath(this.dir, row.blob), row.key);
      } catch (err) {
        if (!(err instanceof CorruptBlobError)) throw err;
        await this.onCorrupt(row.key, err.identity, err.reason);
        return null;
      }
      if (!blob) {
        await this.onMissing(row.key);
        return null;
      }
      this.lastRead.touch(row.key, this.opts.clock());
      const { trailer } = blob;
      if (trailer.kind === "symlink") return { file, symlink: trailer.symlink ?? "" };
      this.readCache.put(row, blob.body);
      return { file, body: blob.body };
    } finally {
      unpin();
    }
  }

  /**
   * The verified body of an inline artifact; "file" when the row is now file-backed; undefined on
   * a miss (the row is gone, or its body is missing or corrupt: then it is removed, as with a blob).
   */
  private async readInline(key: string): Promise<Buffer | "file" | undefined> {
    const read = this.guard("reading an artifact", () => this.db.readInline(key));
    if (!read) return undefined;
    if (!isInline(read)) return "file";
    const problem =
      read.body === null
        ? "its body is missing from the index"
        : createHash("sha256").update(read.body).digest().equals(read.digest)
          ? null
          : "sha256 mismatch";
    if (problem === null) {
      this.lastRead.touch(key, this.opts.clock());
      return read.body!;
    }
    if (!this.db.db.open) return undefined;
    this.counters.corruptBlobs++;
    this.opts.logger.warn(
      { key, reason: problem },
      "corrupt inline artifact: answering a miss and removing it",
    );
    this.emit({ type: "corrupt", key, reason: problem });
    // Only the artifact that failed: a writer may have replaced it since.
    const removed = await this.removeKey(key, (r) => isInline(r) && r.digest.equals(read.digest));
    if (removed) await this.removeOutputOf(removed);
    return undefined;
  }

  /** Opens a verifying stream of one artifact; null (and the miss repaired) when missing or corrupt. */
  async openStream(row: IndexRow): Promise<{ info: ArtifactInfo; stream: Readable } | null> {
    const { key } = row;
    if (isInline(row)) {
      const body = row.kind === 1 ? NO_BLOB : await this.readInline(key);
      if (body === undefined) return null;
      if (body === "file") {
        const now = this.guard("looking up an artifact", () => this.db.get(key));
        return now ? this.openStream(now) : null;
      }
      if (row.kind === 1) this.lastRead.touch(key, this.opts.clock());
      return { info: infoFromRow(row, this.opts.clock()), stream: Readable.from([body]) };
    }
    const unpin = this.pins.pin(key);
    try {
      let blob: Awaited<ReturnType<typeof openBlob>>;
      try {
        blob = await openBlob(blobPath(this.dir, row.blob), key);
      } catch (err) {
        if (!(err instanceof CorruptBlobError)) throw err;
        await this.onCorrupt(key, err.identity, err.reason);
        unpin();
        return null;
      }
      if (!blob) {
        await this.onMissing(key);
        unpin();
        return null;
      }
      const now = this.opts.clock();
      this.lastRead.touch(key, now);
      const stream = new VerifyingBlobStream(blob, (err) => {
        unpin();
        if (err instanceof CorruptBlobError)
          this.runBackground(this.onCorrupt(key, err.identity, err.reason));
      });
      return { info: infoFromTrailer(blob.trailer, now), stream };
    } catch (err) {
      unpin();
      throw err;
    }
  }

  // ---- removing -----------------------------------------------------------------------------

  /** Removes one artifact (blob, then row) under its lock, if `check` passes. */
  removeKey(key: string, check?: (row: IndexRow) => boolean): Promise<IndexRow | null> {
    return this.locks.run(key, async () => {
      if (!this.db.db.open) return null;
      const row = this.guard("looking up an artifact", () => this.db.get(key));
      if (!row || (check && !check(row))) return null;
      if (!isInline(row)) await unlinkQuietly(blobPath(this.dir, row.blob));
      const size = await this.indexWrite("removing an artifact", () => this.db.delete(key));
      if (size !== null) {
        this.totalBytes -= size;
        this.numFiles--;
      }
      this.lastRead.forget(key);
      return row;
    });
  }

  /** Removes every artifact of the stored output `row` belongs to (see cleaner.ts for why). */
  private async removeOutputOf(row: IndexRow): Promise<void> {
    const siblings = this.db
      .listPrefix(`${row.target_key}/${row.hash}/`)
      .filter((r) => r.target_key === row.target_key && r.hash === row.hash);
    await mapLimit(siblings, DELETE_CONCURRENCY, (r) => this.removeKey(r.key));
  }

  private async onCorrupt(key: string, identity: BlobIdentity, reason: string): Promise<void> {
    if (!this.db.db.open) return;
    this.counters.corruptBlobs++;
    this.opts.logger.warn({ key, reason }, "corrupt blob: answering a miss and removing it");
    this.emit({ type: "corrupt", key, reason });
    // Remove only the blob that failed: if a writer has replaced it since, the new one stays.
    const row = await this.removeKey(key, (r) => {
      const st = statSync(blobPath(this.dir, r.blob), { throwIfNoEntry: false });
      return st === undefined || (st.dev === identity.dev && st.ino === identity.ino);
    });
    if (row) await this.removeOutputOf(row);
  }

  private async onMissing(key: string): Promise<void> {
    if (!this.db.db.open) return;
    const row = await this.removeKey(key, (r) => !isInline(r) && !existsSync(blobPath(this.dir, r.blob)));
    if (!row) return;
    this.counters.staleEntries++;
    this.opts.logger.warn({ key }, "index named a blob that is not on disk: removed the entry");
    this.emit({ type: "stale", key });
    await this.removeOutputOf(row);
  }

  /** Drops the row of `key` if its blob is missing (reconcile). */
  async dropIfMissing(key: string): Promise<boolean> {
    const row = await this.removeKey(key, (r) => !isInline(r) && !existsSync(blobPath(this.dir, r.blob)));
    if (row) this.counters.staleEntries++;
    return row !== null;
  }

  /**
   * Empties the cache: waits for commits in flight, moves the blob tree to `trash/` and empties
   * the index (both fast), then deletes the trash in the background.
   */
  async clearAll(): Promise<void> {
    while (this.clearing) await this.clearing;
    const run = (async () => {
      if (this.commitsActive > 0) await new Promise<void>((wake) => this.commitsIdle.push(wake));
      this.epoch++;
      this.readCache.clear();
      const trash = join(this.dir, TRASH_DIR, `${Date.now()}-${randomBytes(4).toString("hex")}`);
      try {
        await mkdir(join(this.dir, TRASH_DIR), { recursive: true });
        try {
          await rename(this.blobsDir, trash);
        } catch (err) {
          if (errnoCode(err) !== "ENOENT") throw err;
        }
        await mkdir(this.blobsDir, { recursive: true });
      } catch (err) {
        throw toStoreError(err, "moving the blobs aside");
      }
      this.guard("emptying the index", () => this.db.clear());
      this.knownDirs.clear();
      this.lastRead.clear();
      this.totalBytes = 0;
      this.numFiles = 0;
      this.emptyTrash();
    })();
    this.clearing = run.then(
      () => {},
      () => {},
    );
    try {
      await run;
    } finally {
      this.clearing = null;
    }
  }

  /** Indexes a blob the index does not know (reconcile), re-checked under the key's lock. */
  async adopt(path: string): Promise<"added" | "known" | "removed"> {
    let probe: Awaited<ReturnType<typeof openBlob>>;
    try {
      probe = await openBlob(path, undefined, { noatime: true });
    } catch (err) {
      if (!(err instanceof CorruptBlobError)) throw err;
      this.opts.logger.warn({ path, reason: err.reason }, "reconcile: removing a corrupt blob");
      await unlinkQuietly(path);
      return "removed";
    }
    if (!probe) return "known";
    await probe.fh.close();
    const { key } = probe.trailer;
    if (blobPath(this.dir, blobId(key)) !== path) {
      await unlinkQuietly(path);
      return "removed";
    }
    return this.locks.run(key, async () => {
      if (!this.db.db.open || this.pins.has(key)) return "known";
      const current = this.db.get(key);
      if (current && isInline(current)) {
        // An inline write replaced this file and was killed before it could unlink it.
        await unlinkQuietly(path);
        return "removed";
      }
      if (current) return "known";
      const blob = await openBlob(path, key, { noatime: true }).catch(() => null);
      if (!blob) return "known";
      await blob.fh.close();
      const row = rowFromTrailer(blob.trailer, blob.trailer.storedAt);
      const replaced = this.db.commit(row);
      this.totalBytes += row.size - (replaced ?? 0);
      if (replaced === null) this.numFiles++;
      return "added";
    });
  }

  // ---- plumbing -----------------------------------------------------------------------------

  runBackground(p: Promise<unknown>): void {
    const q = p.catch((err: unknown) => this.opts.logger.error({ err }, "background task failed"));
    this.background.add(q);
    q.finally(() => this.background.delete(q));
  }

  private emptyTrash(): void {
    this.runBackground(rm(join(this.dir, TRASH_DIR), { recursive: true, force: true, maxRetries: 3 }));
  }

  /**
   * Runs a SQLite call; its errors become `StoreError` `IO`. Corruption found at run time leaves
   * a marker so the next open rebuilds the index.
   */
  guard<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw this.indexError(what, err);
    }
  }

  /** An index write, group-committed with the others of this turn (see TxnBatcher). */
  private indexWrite<T>(what: string, op: () => T): Promise<T> {
    return this.batch.run(op).catch((err: unknown) => {
      throw this.indexError(what, err);
    });
  }

  private indexError(what: string, err: unknown): StoreError {
    if (isCorruptionError(err)) {
      this.opts.logger.error({ err }, "the index is corrupt; it will be rebuilt at the next open");
      this.runBackground(openFile(join(this.dir, REBUILD_MARKER), "w").then((fh) => fh.close()));
    }
    return toStoreError(err, what);
  }

  emit(event: StoreEvent): void {
    if (!this.opts.onEvent) return;
    try {
      this.opts.onEvent(event);
    } catch (err) {
      this.opts.logger.error({ err, event: event.type }, "onEvent handler threw");
    }
  }
}
