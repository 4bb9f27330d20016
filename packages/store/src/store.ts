/**
 * The artifact store: blobs on disk, a SQLite index, cleaning by age and water marks. This class
 * validates every request, tracks work in flight (close waits for it) and runs the cleaning
 * timers; the disk protocols live in internal/engine.ts.
 */
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { StoreError, toStoreError } from "./errors.js";
import { BLOBS_DIR, TMP_DIR } from "./internal/blob-paths.js";
import type { TrailerFields } from "./internal/blob-writer.js";
import { runClean } from "./internal/cleaner.js";
import { mapLimit } from "./internal/concurrency.js";
import { Engine } from "./internal/engine.js";
import { openIndex } from "./internal/open-index.js";
import { DEFAULT_RECONCILE_OPTIONS, reconcileBlobs } from "./internal/reconcile.js";
import { cleanMeta, infoFromRow } from "./internal/rows.js";
import { encodeHash, formatTargetKey, validateRef } from "./keys.js";
import {
  CLEAN_SOON_DELAY_MS,
  checkSymlinkDestination,
  DEFAULT_SCAN_LIMIT,
  HASH_SPACE_END,
  MAX_SCAN_LIMIT,
  resolveOptions,
} from "./options.js";
import type {
  ArtifactInfo,
  ArtifactRef,
  BodySource,
  CleanResult,
  ReconcileOptions,
  StoredEntry,
  StoreMeta,
  StoreOptions,
  StoreStats,
  TargetRef,
} from "./types.js";

/** A scan expected to match at most this many rows sorts the point range; larger ones walk keys. */
const NARROW_SCAN_ROWS = 20_000;
const READ_CONCURRENCY = 8;
const DELETE_CONCURRENCY = 16;
/** Room the trailer needs beside the key, symlink and metadata. */
const TRAILER_SLACK_BYTES = 256;
const MAX_TRAILER_FIELDS_BYTES = 64 * 1024 - TRAILER_SLACK_BYTES;

export interface ScanOptions {
  /** Page size, 1 to 100000. Default 1000. */
  limit?: number | undefined;
  /** Resume after this key: the `key` of the last artifact of the previous page. */
  after?: string | undefined;
}

/** The artifact key without validation (callers have validated). */
function keyOf(ref: ArtifactRef): string {
  return `${formatTargetKey(ref)}/${encodeHash(ref.hash)}/${ref.file}`;
}

export class ArtifactStore {
  private readonly engine: Engine;
  private readonly inflight = new Set<Promise<unknown>>();
  private closed = false;
  private closing: Promise<void> | null = null;
  private started = false;
  private cleanTimer: NodeJS.Timeout | null = null;
  private cleanSoonTimer: NodeJS.Timeout | null = null;
  private cleaning: Promise<CleanResult> | null = null;
  private cleanAgain = false;
  private reconciling: Promise<{ added: number; removed: number }> | null = null;

  private constructor(engineOf: (afterCommit: () => void) => Engine) {
    this.engine = engineOf(() => this.maybeCleanSoon());
  }

  /**
   * Opens the store at `opts.dir`, creating it if needed. Start-up reads no data file when the
   * index is sound: it opens the index, removes leftover temp files, resolves the few journalled
   * writes a crash interrupted and sums the sizes. A missing, corrupt or foreign index is moved
   * aside and rebuilt from the blobs (with a warning). After an unclean shutdown a rate-limited
   * reconcile pass runs in the background.
   * @throws {StoreError} `LOCKED` when another store has the directory open, `IO` on I/O errors,
   *   `INVALID_ARGUMENT` for bad options.
   */
  static async open(options: StoreOptions): Promise<ArtifactStore> {
    const opts = resolveOptions(options);
    const dir = resolve(options.dir);
    try {
      await mkdir(join(dir, BLOBS_DIR), { recursive: true });
      await mkdir(join(dir, TMP_DIR), { recursive: true });
    } catch (err) {
      throw toStoreError(err, `creating ${dir}`);
    }
    const { db, rebuildReason } = await openIndex(dir);
    const store = new ArtifactStore((afterCommit) => new Engine(dir, opts, db, afterCommit));
    try {
      const { unclean } = await store.engine.init(rebuildReason);
      if (unclean) {
        opts.logger.info({ dir }, "unclean shutdown: reconciling blobs and index in the background");
        store.engine.runBackground(store.reconcile());
      }
    } catch (err) {
      db.close();
      throw toStoreError(err, `opening the store at ${dir}`);
    }
    return store;
  }

  /** The store's directory (absolute). */
  get dir(): string {
    return this.engine.dir;
  }

  // ---- writing ------------------------------------------------------------------------------

  /**
   * Stores a file artifact, replacing any artifact with the same key. The body is streamed to disk
   * (never held whole in memory unless given as bytes). Resolves once the artifact is durable (per
   * `fsync`) and indexed; a concurrent reader sees the old or the new artifact, whole.
   * @throws {StoreError} `INVALID_KEY` (nothing is written), `CLOSED`, `IO`; an error of the body
   *   source is rethrown as is (and nothing is stored).
   */
  put(ref: ArtifactRef, body: BodySource, meta?: StoreMeta): Promise<ArtifactInfo> {
    return this.track(async () => this.engine.write(this.trailerFields(ref, undefined, meta), body));
  }

  /**
   * Stores a symlink artifact: a record of its destination (any string without NUL, at most 4 KiB).
   * No link is ever created on disk and the destination is never followed.
   */
  putSymlink(ref: ArtifactRef, destination: string, meta?: StoreMeta): Promise<ArtifactInfo> {
    return this.track(async () => {
      checkSymlinkDestination(destination);
      return this.engine.write(this.trailerFields(ref, destination, meta), new Uint8Array(0));
    });
  }

  private trailerFields(
    ref: ArtifactRef,
    symlink: string | undefined,
    meta: StoreMeta | undefined,
  ): TrailerFields {
    validateRef(ref);
    const { os, arch, package: pkg, target, file } = ref;
    const fields: TrailerFields = {
      v: 1,
      key: keyOf(ref),
      ref: { os, arch, package: pkg, target, hash: encodeHash(ref.hash), file },
      kind: symlink === undefined ? "file" : "symlink",
      storedAt: this.engine.opts.clock(),
      meta: cleanMeta(meta),
    };
    if (symlink !== undefined) fields.symlink = symlink;
    if (Buffer.byteLength(JSON.stringify(fields)) > MAX_TRAILER_FIELDS_BYTES) {
      throw new StoreError("INVALID_ARGUMENT", "the artifact's metadata is too large");
    }
    return fields;
  }

  // ---- reading ------------------------------------------------------------------------------

  /**
   * The artifact `ref` names, or, when no artifact has exactly that file, every artifact below
   * `ref.file + "/"` (a directory output), each `file` relative to the hash directory. Bodies are
   * read whole and verified; a corrupt or missing blob answers null (the miss is repaired: the
   * output it belongs to is removed). Null on a miss.
   */
  get(ref: ArtifactRef): Promise<StoredEntry[] | null> {
    return this.track(async () => {
      validateRef(ref);
      const { engine } = this;
      const key = keyOf(ref);
      const row = engine.guard("looking up an artifact", () => engine.db.get(key));
      if (row) {
        const entry = await engine.readEntry(row, ref.file);
        return entry ? [entry] : null;
      }
      const rows = engine.guard("listing a directory", () => engine.db.listPrefix(`${key}/`));
      if (rows.length === 0) return null;
      const hashDirLength = key.length - ref.file.length;
      const entries = await mapLimit(rows, READ_CONCURRENCY, (r) =>
        engine.readEntry(r, r.key.slice(hashDirLength)),
      );
      return entries.every((e) => e !== null) ? (entries as StoredEntry[]) : null;
    });
  }

  /**
   * Streams the artifact with exactly this key (no directory lookup). The stream verifies the
   * body's sha256 and errors with `StoreError` `CORRUPT` instead of ending when it does not match.
   * `info` comes from the blob being streamed (a concurrent overwrite does not change it). A
   * symlink comes with `info.symlink` and an empty stream. The artifact is pinned (not evicted)
   * until the stream ends or is destroyed. Null on a miss.
   */
  openRead(ref: ArtifactRef): Promise<{ info: ArtifactInfo; stream: Readable } | null> {
    return this.track(async () => {
      validateRef(ref);
      const key = keyOf(ref);
      const row = this.engine.guard("looking up an artifact", () => this.engine.db.get(key));
      return row ? this.engine.openStream(row) : null;
    });
  }

  /** True when the index holds the exact key (the blob is not checked). */
  has(ref: ArtifactRef): boolean {
    return this.lookup(ref) !== undefined;
  }

  /** What the index holds for `ref` (exact key), or null. */
  stat(ref: ArtifactRef): ArtifactInfo | null {
    const row = this.lookup(ref);
    return row ? infoFromRow(row, this.engine.lastRead.get(row.key)) : null;
  }

  private lookup(ref: ArtifactRef) {
    this.assertOpen();
    validateRef(ref);
    const key = keyOf(ref);
    return this.engine.guard("looking up an artifact", () => this.engine.db.get(key));
  }

  /**
   * Artifacts whose point is in [begin, end) (end up to 2^32, so 0xFFFFFFFF is reachable), in key
   * order, at most `limit`; pass the last `key` as `after` for the next page. A page is cheap
   * whatever the range: a narrow range is read from the point index, a wide one from the key index.
   */
  scanRange(begin: number, end: number, opts: ScanOptions = {}): ArtifactInfo[] {
    this.assertOpen();
    if (
      !Number.isInteger(begin) ||
      !Number.isInteger(end) ||
      begin < 0 ||
      end > HASH_SPACE_END ||
      begin > end
    ) {
      throw new StoreError(
        "INVALID_ARGUMENT",
        `scanRange needs integers 0 <= begin <= end <= 2^32, got [${begin}, ${end})`,
      );
    }
    const limit = opts.limit ?? DEFAULT_SCAN_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SCAN_LIMIT) {
      throw new StoreError(
        "INVALID_ARGUMENT",
        `scanRange limit must be an integer in [1, ${MAX_SCAN_LIMIT}]`,
      );
    }
    if (begin === end) return [];
    const { engine } = this;
    const narrow = (engine.numFiles * (end - begin)) / HASH_SPACE_END <= NARROW_SCAN_ROWS;
    const after = opts.after ?? "";
    const rows = engine.guard("scanning a range", () =>
      engine.db.scanRange(begin, end, after, limit, narrow),
    );
    return rows.map((r) => infoFromRow(r, engine.lastRead.get(r.key)));
  }

  /** Body bytes and artifacts indexed, and counters since open. */
  stats(): StoreStats {
    return { totalBytes: this.engine.totalBytes, numFiles: this.engine.numFiles, ...this.engine.counters };
  }

  // ---- removing -----------------------------------------------------------------------------

  /** Removes every hash of a target (and nothing of any other target). Returns artifacts removed. */
  deleteTarget(target: TargetRef): Promise<number> {
    return this.track(async () => {
      const { os, arch, package: pkg, target: name } = target;
      validateRef({ os, arch, package: pkg, target: name });
      const { engine } = this;
      const rows = engine.guard("listing a target", () => engine.db.listTarget(formatTargetKey(target)));
      const removed = await mapLimit(rows, DELETE_CONCURRENCY, (r) => engine.removeKey(r.key));
      return removed.filter((r) => r !== null).length;
    });
  }

  /**
   * Empties the cache: waits for writes being committed, moves the blob tree to `trash/` and
   * empties the index (both fast), then deletes the trash in the background.
   */
  deleteAll(): Promise<void> {
    return this.track(() => this.engine.clearAll());
  }

  // ---- cleaning -----------------------------------------------------------------------------

  /**
   * Removes what has not been read within maxArtifactAge, then, over the high water mark, the
   * least recently read down to the low water mark (whole stored outputs; pinned ones are
   * skipped). Concurrent calls share one run.
   */
  clean(): Promise<CleanResult> {
    this.assertOpen();
    if (this.cleaning) return this.cleaning;
    const { engine } = this;
    const { opts } = engine;
    const run = this.track(async () => {
      engine.lastRead.flush();
      return runClean(
        {
          db: engine.db,
          pins: engine.pins,
          lastRead: engine.lastRead,
          totalBytes: () => engine.totalBytes,
          stopped: () => this.closed,
          removeKey: (key, check) => engine.removeKey(key, check),
          evicted: (row, reason) => {
            engine.counters.evictedFiles++;
            engine.counters.evictedBytes += row.size;
            engine.emit({ type: "evicted", key: row.key, size: row.size, reason });
          },
        },
        {
          now: opts.clock(),
          maxArtifactAgeMs: opts.maxArtifactAgeMs,
          highWaterMark: opts.highWaterMark,
          lowWaterMark: opts.lowWaterMark,
        },
      );
    });
    this.cleaning = run;
    const done = (): void => {
      this.cleaning = null;
      if (this.cleanAgain) {
        this.cleanAgain = false;
        this.maybeCleanSoon();
      }
    };
    run.then(done, done);
    return run;
  }

  /** Starts cleaning every cleanFrequencyMs, and soon after a write goes over the high water mark. */
  start(): void {
    this.assertOpen();
    if (this.started) return;
    this.started = true;
    this.cleanTimer = setInterval(() => this.cleanInBackground(), this.engine.opts.cleanFrequencyMs);
    this.cleanTimer.unref();
    this.maybeCleanSoon();
  }

  private cleanInBackground(): void {
    if (this.closed) return;
    this.clean().catch((err: unknown) => this.engine.opts.logger.error({ err }, "cleaning failed"));
  }

  private maybeCleanSoon(): void {
    if (!this.started || this.closed || this.engine.totalBytes <= this.engine.opts.highWaterMark) return;
    if (this.cleaning) {
      this.cleanAgain = true;
      return;
    }
    if (this.cleanSoonTimer) return;
    this.cleanSoonTimer = setTimeout(() => {
      this.cleanSoonTimer = null;
      this.cleanInBackground();
    }, CLEAN_SOON_DELAY_MS);
    this.cleanSoonTimer.unref();
  }

  // ---- reconcile ----------------------------------------------------------------------------

  /**
   * Walks every blob (rate limited) and makes the index agree with the disk: unknown blobs are
   * indexed from their trailers, rows without a blob are dropped. Runs by itself in the background
   * after an unclean shutdown; concurrent calls share one pass.
   */
  reconcile(
    options: ReconcileOptions = DEFAULT_RECONCILE_OPTIONS,
  ): Promise<{ added: number; removed: number }> {
    this.assertOpen();
    if (this.reconciling) return this.reconciling;
    const { engine } = this;
    const epoch = engine.epoch;
    const started = performance.now();
    const run = this.track(async () => {
      const result = await reconcileBlobs(
        {
          blobsRoot: engine.blobsDir,
          db: engine.db,
          cancelled: () => this.closed || engine.epoch !== epoch,
          adopt: (path) => engine.adopt(path),
          dropIfMissing: (key) => engine.dropIfMissing(key),
        },
        options,
      );
      const durationMs = Math.round(performance.now() - started);
      if (result.added + result.removed > 0) {
        engine.opts.logger.warn({ ...result, durationMs }, "reconciled blobs and index");
      }
      engine.emit({ type: "reconciled", ...result, durationMs });
      return result;
    });
    this.reconciling = run;
    const done = (): void => {
      this.reconciling = null;
    };
    run.then(done, done);
    return run;
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /**
   * Stops taking work, stops the timers, waits for writes, reads and cleaning in flight (a
   * clean or reconcile stops early), flushes the last-read batch, marks the shutdown clean and
   * closes the index. Streams already handed out keep working until they end.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.closing = (async () => {
      if (this.cleanTimer) clearInterval(this.cleanTimer);
      if (this.cleanSoonTimer) clearTimeout(this.cleanSoonTimer);
      this.cleanTimer = null;
      this.cleanSoonTimer = null;
      const { background } = this.engine;
      while (this.inflight.size > 0 || background.size > 0) {
        await Promise.allSettled([...this.inflight, ...background]);
      }
      this.engine.shutdown();
    })();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError("CLOSED", "the store is closed");
  }

  /** Runs an operation as in flight (close waits for it); rejects with CLOSED after close. */
  private track<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError("CLOSED", "the store is closed"));
    const p = fn();
    this.inflight.add(p);
    const done = (): void => {
      this.inflight.delete(p);
    };
    p.then(done, done);
    return p;
  }
}
