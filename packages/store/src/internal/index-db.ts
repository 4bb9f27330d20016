/**
 * The SQLite index (better-sqlite3, WAL, synchronous=NORMAL, exclusive locking). One row per
 * artifact; every statement is prepared once. Only this file speaks SQL.
 *
 * The primary key `key` serves exact and directory-prefix lookups (`key >= 'p/' AND key < 'p0'`);
 * `artifacts_target` serves deleteTarget; `artifacts_lru (last_read, size)` serves cleaning and
 * also covers the totals query at open; `artifacts_point` serves narrow scanRange calls and
 * `artifacts_blob` serves reconcile. `pending` is the write journal (see store.ts).
 *
 * Small artifacts live here whole: their row has an empty `blob` (no file; so reconcile, which
 * works by blob id, never sees them) and their body is in the row's last column, `body`,
 * written in the same statement as the rest of the row.
 */
import Database from "better-sqlite3";

/** Bumped whenever the schema changes; an index of another version is moved aside and rebuilt. */
export const SCHEMA_VERSION = 2;
/** `PRAGMA application_id`: "PLZC". */
export const APPLICATION_ID = 0x504c5a43;

/** Version 2 added the inline body of small artifacts (NULL for file-backed rows). */
const BODY_COLUMN = "ALTER TABLE artifacts ADD COLUMN body BLOB";

const SCHEMA = `
CREATE TABLE artifacts (
  key        TEXT PRIMARY KEY NOT NULL,  -- {os}_{arch}/{package}/{target}/{H}/{file}
  target_key TEXT NOT NULL,              -- {os}_{arch}/{package}/{target}
  os         TEXT NOT NULL,
  arch       TEXT NOT NULL,
  package    TEXT NOT NULL,
  target     TEXT NOT NULL,
  hash       TEXT NOT NULL,              -- base64url, no padding
  file       TEXT NOT NULL,
  blob       BLOB NOT NULL,              -- sha256(key), 32 bytes: the blob's file name; empty: inline
  size       INTEGER NOT NULL,           -- body bytes
  kind       INTEGER NOT NULL,           -- 0 file, 1 symlink
  symlink    TEXT,
  digest     BLOB NOT NULL,              -- sha256(body), 32 bytes
  stored_at  INTEGER NOT NULL,
  last_read  INTEGER NOT NULL,
  point      INTEGER NOT NULL,           -- first 4 bytes of the hash, little-endian uint32
  meta       TEXT,                       -- JSON StoreMeta, NULL when empty
  body       BLOB                        -- the body of an inline artifact (last: never read by scans)
);
CREATE INDEX artifacts_target ON artifacts (target_key);
CREATE INDEX artifacts_lru ON artifacts (last_read, size);
CREATE INDEX artifacts_point ON artifacts (point);
CREATE INDEX artifacts_blob ON artifacts (blob);
CREATE TABLE pending (
  key        TEXT PRIMARY KEY NOT NULL,
  blob       BLOB NOT NULL,
  started_at INTEGER NOT NULL
);
CREATE TABLE meta (k TEXT PRIMARY KEY NOT NULL, v TEXT NOT NULL);
`;

export interface IndexRow {
  key: string;
  target_key: string;
  os: string;
  arch: string;
  package: string;
  target: string;
  hash: string;
  file: string;
  blob: Buffer;
  size: number;
  kind: number;
  symlink: string | null;
  digest: Buffer;
  stored_at: number;
  last_read: number;
  point: number;
  meta: string | null;
}

/** The columns cleaning and deleting need. */
export interface RowRef {
  key: string;
  target_key: string;
  hash: string;
  blob: Buffer;
  size: number;
  last_read: number;
}

/** What `readInline` returns: `body` is null for a file-backed row (non-empty `blob`). */
export interface InlineRead {
  blob: Buffer;
  digest: Buffer;
  body: Buffer | null;
}

/** True when the row's body is stored inline in the index (no blob file). */
export function isInline(row: { blob: Buffer }): boolean {
  return row.blob.length === 0;
}

export interface PendingRow {
  key: string;
  blob: Buffer;
  started_at: number;
}

/** Why an existing index cannot be used (it is then moved aside and rebuilt). */
export class UnusableIndexError extends Error {
  override readonly name = "UnusableIndexError";
}

const COLUMNS =
  "key, target_key, os, arch, package, target, hash, file, blob, size, kind, symlink, digest, stored_at, last_read, point, meta";
const PLACEHOLDERS = COLUMNS.split(", ")
  .map((c) => `@${c}`)
  .join(", ");
const REF_COLUMNS = "key, target_key, hash, blob, size, last_read";

function sqliteCode(err: unknown): string {
  return typeof (err as { code?: unknown })?.code === "string" ? (err as { code: string }).code : "";
}

/** SQLite says the file is not a usable database (as opposed to busy, or an I/O failure). */
export function isCorruptionError(err: unknown): boolean {
  const code = sqliteCode(err);
  return code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB" || code === "SQLITE_FORMAT";
}

export function isBusyError(err: unknown): boolean {
  const code = sqliteCode(err);
  return code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED");
}

export class IndexDb {
  readonly db: Database.Database;
  /** True when open() created the schema (the file was new or empty). */
  readonly created: boolean;
  /** Totals read while opening (the same query also probes the index for corruption). */
  readonly openTotals: { numFiles: number; totalBytes: number };

  private readonly sGet;
  private readonly sSizeBlob;
  private readonly sUpsert;
  private readonly sDelete;
  private readonly sPrefix;
  private readonly sTarget;
  private readonly sOlderThan;
  private readonly sLru;
  private readonly sScanByKey;
  private readonly sScanByPoint;
  private readonly sTouch;
  private readonly sTotals;
  private readonly sPendingPut;
  private readonly sPendingDelete;
  private readonly sPendingAll;
  private readonly sUpsertInline;
  private readonly sInline;
  private readonly sMetaGet;
  private readonly sMetaSet;
  private readonly sBlobRange;
  private readonly sBlobRangeOpen;
  private readonly sLeafPrefixes;
  private readonly sLeafPrefixesOpen;
  private readonly tCommit;
  private readonly tRun;
  private readonly tTouch;
  private readonly tInsertMany;

  /**
   * Opens (creating when new) the index at `path`, takes its exclusive lock and checks the schema.
   * @throws {UnusableIndexError} for an unknown schema, a foreign file or SQLite corruption.
   * Busy and I/O errors are thrown as they come (they are not a reason to rebuild).
   */
  constructor(path: string) {
    const db = new Database(path, { timeout: 100 });
    try {
      // Exclusive locking: one store per directory; with WAL this also means no -shm file.
      db.pragma("locking_mode = EXCLUSIVE");
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("temp_store = MEMORY");
      db.pragma("cache_size = -65536");
      // Takes the write lock now, so a second store on the same dir fails here, not later.
      db.exec("BEGIN IMMEDIATE; COMMIT");
      const version = db.pragma("user_version", { simple: true }) as number;
      const appId = db.pragma("application_id", { simple: true }) as number;
      const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master").get() as { n: number };
      if (version === 0 && appId === 0 && tables.n === 0) {
        db.transaction(() => {
          db.exec(SCHEMA);
          db.pragma(`application_id = ${APPLICATION_ID}`);
          db.pragma(`user_version = ${SCHEMA_VERSION}`);
        })();
        this.created = true;
      } else if (appId !== APPLICATION_ID) {
        throw new UnusableIndexError(`index has application_id ${appId}, not a plz-cache index`);
      } else if (version === 1) {
        // Version 1 had no inline bodies: adding their column is the whole migration.
        db.transaction(() => {
          db.exec(BODY_COLUMN);
          db.pragma(`user_version = ${SCHEMA_VERSION}`);
        })();
        this.created = false;
      } else if (version !== SCHEMA_VERSION) {
        throw new UnusableIndexError(
          `index has schema version ${version}, this build knows ${SCHEMA_VERSION}`,
        );
      } else {
        this.created = false;
      }
      this.db = db;
      this.sGet = db.prepare<[string], IndexRow>(`SELECT ${COLUMNS} FROM artifacts WHERE key = ?`);
      this.sSizeBlob = db.prepare<[string], { size: number; blob: Buffer }>(
        "SELECT size, blob FROM artifacts WHERE key = ?",
      );
      // A file-backed row: its body column is NULL (an inline body it replaces is dropped).
      this.sUpsert = db.prepare<[IndexRow]>(
        `INSERT INTO artifacts (${COLUMNS}) VALUES (${PLACEHOLDERS}) ON CONFLICT (key) DO UPDATE SET ` +
          COLUMNS.split(", ")
            .filter((c) => c !== "key")
            .map((c) => `${c} = excluded.${c}`)
            .join(", ") +
          ", body = NULL",
      );
      this.sDelete = db.prepare<[string], { size: number }>(
        "DELETE FROM artifacts WHERE key = ? RETURNING size",
      );
      this.sPrefix = db.prepare<[string, string], IndexRow>(
        `SELECT ${COLUMNS} FROM artifacts WHERE key >= ? AND key < ? ORDER BY key`,
      );
      this.sTarget = db.prepare<[string], RowRef>(
        `SELECT ${REF_COLUMNS} FROM artifacts WHERE target_key = ?`,
      );
      this.sOlderThan = db.prepare<[number, number], RowRef>(
        `SELECT ${REF_COLUMNS} FROM artifacts INDEXED BY artifacts_lru WHERE last_read < ? ORDER BY last_read LIMIT ?`,
      );
      this.sLru = db.prepare<[number], RowRef>(
        `SELECT ${REF_COLUMNS} FROM artifacts INDEXED BY artifacts_lru ORDER BY last_read LIMIT ?`,
      );
      // Wide ranges: walk the key index and filter (unary + keeps the planner off the point index).
      this.sScanByKey = db.prepare<[string, number, number, number], IndexRow>(
        `SELECT ${COLUMNS} FROM artifacts WHERE key > ? AND +point >= ? AND +point < ? ORDER BY key LIMIT ?`,
      );
      // Narrow ranges: take the range from the point index, then sort it by key.
      this.sScanByPoint = db.prepare<[number, number, string, number], IndexRow>(
        `SELECT ${COLUMNS} FROM artifacts INDEXED BY artifacts_point WHERE point >= ? AND point < ? AND key > ? ORDER BY key LIMIT ?`,
      );
      this.sTouch = db.prepare<[number, string, number]>(
        "UPDATE artifacts SET last_read = ? WHERE key = ? AND last_read < ?",
      );
      this.sTotals = db.prepare<[], { n: number; bytes: number }>(
        "SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM artifacts INDEXED BY artifacts_lru",
      );
      this.sPendingPut = db.prepare<[string, Buffer, number]>(
        "INSERT OR REPLACE INTO pending (key, blob, started_at) VALUES (?, ?, ?)",
      );
      this.sPendingDelete = db.prepare<[string]>("DELETE FROM pending WHERE key = ?");
      this.sPendingAll = db.prepare<[], PendingRow>("SELECT key, blob, started_at FROM pending");
      this.sUpsertInline = db.prepare<[IndexRow & { body: Uint8Array | null }]>(
        `INSERT INTO artifacts (${COLUMNS}, body) VALUES (${PLACEHOLDERS}, @body) ON CONFLICT (key) DO UPDATE SET ` +
          [...COLUMNS.split(", "), "body"]
            .filter((c) => c !== "key")
            .map((c) => `${c} = excluded.${c}`)
            .join(", "),
      );
      this.sInline = db.prepare<[string], InlineRead>(
        "SELECT blob, digest, body FROM artifacts WHERE key = ?",
      );
      this.sMetaGet = db.prepare<[string], { v: string }>("SELECT v FROM meta WHERE k = ?");
      this.sMetaSet = db.prepare<[string, string]>("INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)");
      this.sBlobRange = db.prepare<[Buffer, Buffer], { key: string; blob: Buffer }>(
        "SELECT key, blob FROM artifacts WHERE blob >= ? AND blob < ?",
      );
      this.sBlobRangeOpen = db.prepare<[Buffer], { key: string; blob: Buffer }>(
        "SELECT key, blob FROM artifacts WHERE blob >= ?",
      );
      this.sLeafPrefixes = db
        .prepare<[Buffer, Buffer], Buffer>(
          "SELECT DISTINCT substr(blob, 1, 2) FROM artifacts WHERE blob >= ? AND blob < ?",
        )
        .pluck();
      this.sLeafPrefixesOpen = db
        .prepare<[Buffer], Buffer>("SELECT DISTINCT substr(blob, 1, 2) FROM artifacts WHERE blob >= ?")
        .pluck();
      this.tCommit = db.transaction((row: IndexRow): number | null => this.commitInTransaction(row));
      this.tRun = db.transaction((fn: () => unknown) => fn());
      this.tTouch = db.transaction((entries: Iterable<[string, number]>) => {
        for (const [key, at] of entries) this.sTouch.run(at, key, at);
      });
      this.tInsertMany = db.transaction((rows: IndexRow[]) => {
        for (const row of rows) this.sUpsert.run(row);
      });
      // Touch what start-up reads, so a damaged index is found here (and rebuilt), not later.
      this.openTotals = this.totals();
      this.allPending();
      this.getMeta("clean_shutdown");
    } catch (err) {
      db.close();
      if (isCorruptionError(err)) throw new UnusableIndexError(`index is corrupt: ${(err as Error).message}`);
      throw err;
    }
  }

  get(key: string): IndexRow | undefined {
    return this.sGet.get(key);
  }

  /** Upserts a row and clears its pending entry in one transaction; returns the replaced size. */
  commit(row: IndexRow): number | null {
    return this.tCommit(row);
  }

  /**
   * `commit` for a caller that has a transaction open already (see TxnBatcher); drops any
   * inline body the key had.
   */
  commitInTransaction(row: IndexRow): number | null {
    const old = this.sSizeBlob.get(row.key);
    this.sUpsert.run(row);
    this.sPendingDelete.run(row.key);
    return old ? old.size : null;
  }

  /**
   * Upserts an inline artifact (`row.blob` empty) with its body (none for a symlink), in a
   * transaction the caller has open. Returns what it replaced, whose `blob` names a file to
   * unlink when not empty.
   */
  commitInline(row: IndexRow, body: Uint8Array | undefined): { size: number; blob: Buffer } | null {
    const old = this.sSizeBlob.get(row.key) ?? null;
    // A symlink has no body: its row holds the destination.
    this.sUpsertInline.run({ ...row, body: body ?? null });
    return old;
  }

  /** The current row's blob id and digest with its inline body (if any), read together. */
  readInline(key: string): InlineRead | undefined {
    return this.sInline.get(key);
  }

  /** Runs `fn` in one transaction (a savepoint when one is open already). */
  transaction<T>(fn: () => T): T {
    return this.tRun(fn) as T;
  }

  /** Deletes a row; returns its size, or null when there was none. */
  delete(key: string): number | null {
    const r = this.sDelete.get(key);
    return r ? r.size : null;
  }

  /** Rows whose key starts with `prefix` (which must end in "/"), in key order. */
  listPrefix(prefix: string): IndexRow[] {
    // "0" is the character after "/", so [prefix, prefix-with-"0") holds exactly the keys below it.
    return this.sPrefix.all(prefix, `${prefix.slice(0, -1)}0`);
  }

  listTarget(targetKey: string): RowRef[] {
    return this.sTarget.all(targetKey);
  }

  olderThan(cutoff: number, limit: number): RowRef[] {
    return this.sOlderThan.all(cutoff, limit);
  }

  leastRecentlyRead(limit: number): RowRef[] {
    return this.sLru.all(limit);
  }

  scanRange(begin: number, end: number, after: string, limit: number, narrow: boolean): IndexRow[] {
    return narrow
      ? this.sScanByPoint.all(begin, end, after, limit)
      : this.sScanByKey.all(after, begin, end, limit);
  }

  touchMany(entries: Iterable<[string, number]>): void {
    this.tTouch(entries);
  }

  totals(): { numFiles: number; totalBytes: number } {
    const t = this.sTotals.get()!;
    return { numFiles: t.n, totalBytes: t.bytes };
  }

  addPending(key: string, blob: Buffer, at: number): void {
    this.sPendingPut.run(key, blob, at);
  }

  deletePending(key: string): void {
    this.sPendingDelete.run(key);
  }

  allPending(): PendingRow[] {
    return this.sPendingAll.all();
  }

  getMeta(k: string): string | undefined {
    return this.sMetaGet.get(k)?.v;
  }

  setMeta(k: string, v: string): void {
    this.sMetaSet.run(k, v);
  }

  /** Rows whose blob id lies in [lo, hi), or from lo on when hi is null. */
  blobRange(lo: Buffer, hi: Buffer | null): { key: string; blob: Buffer }[] {
    return hi ? this.sBlobRange.all(lo, hi) : this.sBlobRangeOpen.all(lo);
  }

  /** The distinct 2-byte blob-id prefixes (leaf directories) under the first byte `top`. */
  leafPrefixes(top: number): Buffer[] {
    const lo = Buffer.from([top]);
    return top === 0xff ? this.sLeafPrefixesOpen.all(lo) : this.sLeafPrefixes.all(lo, Buffer.from([top + 1]));
  }

  insertMany(rows: IndexRow[]): void {
    this.tInsertMany(rows);
  }

  clear(): void {
    this.db.exec("DELETE FROM artifacts; DELETE FROM pending;");
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
