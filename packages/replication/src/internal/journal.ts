/**
 * An append-only journal of framed records in one file, `<dir>/journal`:
 *
 *   header  8 bytes  "PLZRQJ1\n"
 *   record  u32le payload length | u32le CRC-32 of payload | payload (UTF-8 JSON)
 *
 * Writes are group-committed: records appended while a write is running go out together in
 * the next one, with one `fdatasync` per batch that holds a durable record. Loading stops at
 * the first incomplete or corrupt record (the torn tail of a crash), truncates it away and
 * reports how many bytes it dropped. Compaction writes the live records to `journal.tmp`,
 * syncs it and renames it over the journal, so a crash leaves either file whole.
 */
import { type FileHandle, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { ReplicationError } from "../errors.js";
import { crc32 } from "./crc32.js";

const MAGIC = Buffer.from("PLZRQJ1\n", "latin1");
const FRAME_HEADER_BYTES = 8;
/** A record longer than this is taken for garbage, not allocated. */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;

export const JOURNAL_FILE = "journal";
const TMP_FILE = "journal.tmp";

/** The framed bytes of one record. */
export function frameRecord(record: unknown): Buffer {
  const payload = Buffer.from(JSON.stringify(record), "utf8");
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(crc32(payload), 4);
  payload.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

export interface LoadedRecord {
  readonly value: unknown;
  /** Framed size in bytes. */
  readonly bytes: number;
}

export interface OpenedJournal {
  readonly journal: Journal;
  readonly records: LoadedRecord[];
  /** Bytes of a torn or corrupt tail that were dropped. */
  readonly discardedBytes: number;
  /** Records whose frame was sound but whose payload was not JSON (skipped). */
  readonly unreadable: number;
}

interface PendingWrite {
  readonly frame: Buffer;
  readonly durable: boolean;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export class Journal {
  readonly #dir: string;
  readonly #path: string;
  readonly #fsync: boolean;
  #handle: FileHandle;
  #size: number;
  #pending: PendingWrite[] = [];
  #compaction: { snapshot: () => Buffer[]; done: (ok: boolean) => void } | undefined;
  #running = false;
  #idle: Array<() => void> = [];
  #closed = false;

  private constructor(dir: string, handle: FileHandle, size: number, fsync: boolean) {
    this.#dir = dir;
    this.#path = join(dir, JOURNAL_FILE);
    this.#handle = handle;
    this.#size = size;
    this.#fsync = fsync;
  }

  static async open(dir: string, options: { fsync: boolean }): Promise<OpenedJournal> {
    await mkdir(dir, { recursive: true });
    const path = join(dir, JOURNAL_FILE);
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
        throw new ReplicationError("IO", `cannot read ${path}`, { cause: err });
      }
      await writeWhole(join(dir, TMP_FILE), [MAGIC], options.fsync);
      await rename(join(dir, TMP_FILE), path);
      await syncDir(dir, options.fsync);
      data = MAGIC;
    }
    if (data.length < MAGIC.length || !data.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new ReplicationError("CORRUPT", `${path} is not a replication queue journal`);
    }
    const records: LoadedRecord[] = [];
    let unreadable = 0;
    let offset = MAGIC.length;
    while (offset + FRAME_HEADER_BYTES <= data.length) {
      const length = data.readUInt32LE(offset);
      const end = offset + FRAME_HEADER_BYTES + length;
      if (length > MAX_RECORD_BYTES || end > data.length) break;
      const payload = data.subarray(offset + FRAME_HEADER_BYTES, end);
      if (crc32(payload) !== data.readUInt32LE(offset + 4)) break;
      try {
        records.push({ value: JSON.parse(payload.toString("utf8")), bytes: end - offset });
      } catch {
        unreadable += 1;
      }
      offset = end;
    }
    const handle = await open(path, "r+");
    try {
      if (offset < data.length) {
        await handle.truncate(offset);
        if (options.fsync) await handle.datasync();
      }
    } catch (err) {
      await handle.close();
      throw new ReplicationError("IO", `cannot truncate ${path}`, { cause: err });
    }
    await rm(join(dir, TMP_FILE), { force: true });
    const journal = new Journal(dir, handle, offset, options.fsync);
    return { journal, records, discardedBytes: data.length - offset, unreadable };
  }

  /** Current file size in bytes (what has been written, not what is pending). */
  get bytes(): number {
    return this.#size;
  }

  /**
   * Appends a framed record. Resolves once it is written, and synced to disk when `durable`
   * (and the journal was opened with `fsync`); rejects with `IO` or `CLOSED`.
   */
  append(frame: Buffer, durable: boolean): Promise<void> {
    if (this.#closed) return Promise.reject(new ReplicationError("CLOSED", "the journal is closed"));
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ frame, durable, resolve, reject });
      this.#kick();
    });
  }

  /**
   * Rewrites the journal as the records `snapshot()` returns (called when the rewrite starts,
   * after every record appended before has been written). Records appended meanwhile follow
   * the snapshot; they may repeat what it holds, which loading tolerates (adds and acks by id
   * are idempotent). Resolves to whether the rewrite succeeded (on failure the old journal
   * stays in use, whole).
   */
  compact(snapshot: () => Buffer[]): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    this.#compaction?.done(false);
    return new Promise<boolean>((done) => {
      this.#compaction = { snapshot, done };
      this.#kick();
    });
  }

  /** Resolves when nothing is pending or being written. */
  sync(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  /** Writes what is pending, then closes the file. Later appends reject with `CLOSED`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.sync();
    await this.#handle.close();
  }

  #kick(): void {
    if (this.#running) return;
    this.#running = true;
    // Let the current synchronous burst of appends join the first batch.
    queueMicrotask(() => void this.#run());
  }

  async #run(): Promise<void> {
    while (this.#pending.length > 0 || this.#compaction !== undefined) {
      if (this.#pending.length > 0) await this.#writeBatch(this.#pending.splice(0));
      else await this.#rewrite();
    }
    this.#running = false;
    for (const resolve of this.#idle.splice(0)) resolve();
  }

  async #writeBatch(batch: PendingWrite[]): Promise<void> {
    const buffer = batch.length === 1 ? batch[0]!.frame : Buffer.concat(batch.map((w) => w.frame));
    try {
      let written = 0;
      while (written < buffer.length) {
        const { bytesWritten } = await this.#handle.write(
          buffer,
          written,
          buffer.length - written,
          this.#size + written,
        );
        written += bytesWritten;
      }
      if (this.#fsync && batch.some((w) => w.durable)) await this.#handle.datasync();
      this.#size += buffer.length;
      for (const w of batch) w.resolve();
    } catch (err) {
      // Cut a partial write off, so later records do not follow garbage.
      await this.#handle.truncate(this.#size).catch(() => {});
      const error = new ReplicationError("IO", `cannot write ${this.#path}`, { cause: err });
      for (const w of batch) w.reject(error);
    }
  }

  async #rewrite(): Promise<void> {
    const { snapshot, done } = this.#compaction!;
    this.#compaction = undefined;
    const tmp = join(this.#dir, TMP_FILE);
    let handle: FileHandle | undefined;
    let size: number;
    try {
      // The new file's handle stays open across the rename, so it follows the inode.
      handle = await open(tmp, "w+");
      size = await writeAll(handle, Buffer.concat([MAGIC, ...snapshot()]), this.#fsync);
      await rename(tmp, this.#path);
    } catch {
      // Keep appending to the old journal, which is still whole.
      await handle?.close().catch(() => {});
      await rm(tmp, { force: true }).catch(() => {});
      done(false);
      return;
    }
    await syncDir(this.#dir, this.#fsync);
    const old = this.#handle;
    this.#handle = handle;
    this.#size = size;
    await old.close().catch(() => {});
    done(true);
  }
}

async function writeAll(handle: FileHandle, buffer: Buffer, fsync: boolean): Promise<number> {
  await handle.writeFile(buffer);
  if (fsync) await handle.datasync();
  return buffer.length;
}

async function writeWhole(path: string, chunks: Buffer[], fsync: boolean): Promise<void> {
  const handle = await open(path, "w");
  try {
    await writeAll(handle, Buffer.concat(chunks), fsync);
  } finally {
    await handle.close();
  }
}

async function syncDir(dir: string, fsync: boolean): Promise<void> {
  if (!fsync) return;
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  }
}
