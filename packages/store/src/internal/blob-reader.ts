/**
 * Reads blobs. Each read opens one descriptor and takes the footer, trailer and body from it, so
 * a concurrent overwrite (a rename over the same name) cannot mix two versions: the reader sees
 * the inode it opened, whole. Bodies are verified against the trailer's sha256.
 */
import { createHash } from "node:crypto";
import { constants } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { open } from "node:fs/promises";
import { Readable } from "node:stream";
import { StoreError } from "../errors.js";
import { type BlobTrailer, corrupt, decodeFooter, decodeTrailer, FOOTER_BYTES } from "./blob-format.js";
import { errnoCode, sha256Hex } from "./blob-writer.js";

/** How much of a file's end is read at once to find the footer and trailer. */
const TAIL_READ_BYTES = 16 * 1024;
/** Chunk size of a streaming read. */
const STREAM_CHUNK_BYTES = 256 * 1024;

/** The inode a read saw, so a corrupt blob is removed only if it is still the one on disk. */
export interface BlobIdentity {
  dev: number;
  ino: number;
}

/** A `CORRUPT` error that remembers which inode failed. */
export class CorruptBlobError extends StoreError {
  readonly identity: BlobIdentity;
  readonly reason: string;
  constructor(cause: StoreError, identity: BlobIdentity) {
    super("CORRUPT", cause.message, { cause: cause.cause });
    this.identity = identity;
    this.reason = cause.message.replace(/^corrupt blob: /, "");
  }
}

async function readFully(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesRead } = await fh.read(buf, off, buf.length - off, position + off);
    if (bytesRead === 0) throw corrupt("truncated while reading");
    off += bytesRead;
  }
}

function checkKey(trailer: BlobTrailer, expectedKey: string | undefined): void {
  if (expectedKey !== undefined && trailer.key !== expectedKey) throw corrupt("blob holds another key");
}

// O_NOATIME (Linux; 0 elsewhere) keeps scans from looking like reads to the next rebuild.
const NOATIME = constants.O_NOATIME ?? 0;

async function openOrNull(path: string, noatime = false): Promise<FileHandle | null> {
  try {
    if (noatime && NOATIME !== 0) {
      try {
        return await open(path, constants.O_RDONLY | NOATIME);
      } catch (err) {
        // Only the file's owner may use O_NOATIME.
        if (errnoCode(err) !== "EPERM") throw err;
      }
    }
    return await open(path, "r");
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return null;
    throw new StoreError("IO", `opening a blob: ${(err as Error).message}`, { cause: err });
  }
}

export interface WholeBlob {
  trailer: BlobTrailer;
  body: Buffer;
  identity: BlobIdentity;
}

/**
 * Reads a whole blob into memory and verifies it. Returns null when the file does not exist.
 * @throws {CorruptBlobError} when any check fails.
 */
export async function readWholeBlob(
  path: string,
  expectedKey: string | undefined,
): Promise<WholeBlob | null> {
  const fh = await openOrNull(path);
  if (!fh) return null;
  let identity: BlobIdentity = { dev: 0, ino: 0 };
  try {
    const st = await fh.stat();
    identity = { dev: st.dev, ino: st.ino };
    const size = st.size;
    if (size < FOOTER_BYTES) throw corrupt("truncated (no footer)");
    const buf = Buffer.allocUnsafe(size);
    await readFully(fh, buf, 0);
    const footer = decodeFooter(buf.subarray(size - FOOTER_BYTES), size);
    const trailerStart = size - FOOTER_BYTES - footer.trailerLength;
    const trailer = decodeTrailer(buf.subarray(trailerStart, size - FOOTER_BYTES), footer, size);
    checkKey(trailer, expectedKey);
    const body = buf.subarray(0, trailer.size);
    if ((await sha256Hex(body)) !== trailer.sha256) throw corrupt("body digest mismatch");
    return { trailer, body, identity };
  } catch (err) {
    if (err instanceof StoreError && err.code === "CORRUPT") throw new CorruptBlobError(err, identity);
    if (err instanceof StoreError) throw err;
    throw new StoreError("IO", `reading a blob: ${(err as Error).message}`, { cause: err });
  } finally {
    await fh.close().catch(() => {});
  }
}

export interface OpenBlob {
  fh: FileHandle;
  trailer: BlobTrailer;
  identity: BlobIdentity;
  /** Access time of the file (ms), for rebuilds. */
  atimeMs: number;
}

/**
 * Opens a blob and reads only its footer and trailer (the body is not verified). The caller owns
 * `fh`. Returns null when the file does not exist. `noatime` is for scans (rebuild, reconcile).
 * @throws {CorruptBlobError} when the footer or trailer is bad (the descriptor is closed).
 */
export async function openBlob(
  path: string,
  expectedKey: string | undefined,
  opts: { noatime?: boolean } = {},
): Promise<OpenBlob | null> {
  const fh = await openOrNull(path, opts.noatime);
  if (!fh) return null;
  let identity: BlobIdentity = { dev: 0, ino: 0 };
  try {
    const st = await fh.stat();
    identity = { dev: st.dev, ino: st.ino };
    const size = st.size;
    if (size < FOOTER_BYTES) throw corrupt("truncated (no footer)");
    const tailLength = Math.min(size, TAIL_READ_BYTES);
    let tail = Buffer.allocUnsafe(tailLength);
    await readFully(fh, tail, size - tailLength);
    const footer = decodeFooter(tail.subarray(tailLength - FOOTER_BYTES), size);
    const needed = footer.trailerLength + FOOTER_BYTES;
    if (needed > tailLength) {
      tail = Buffer.allocUnsafe(needed);
      await readFully(fh, tail, size - needed);
    }
    const trailerBytes = tail.subarray(tail.length - needed, tail.length - FOOTER_BYTES);
    const trailer = decodeTrailer(trailerBytes, footer, size);
    checkKey(trailer, expectedKey);
    return { fh, trailer, identity, atimeMs: st.atimeMs };
  } catch (err) {
    await fh.close().catch(() => {});
    if (err instanceof StoreError && err.code === "CORRUPT") throw new CorruptBlobError(err, identity);
    if (err instanceof StoreError) throw err;
    throw new StoreError("IO", `reading a blob: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * A stream of an open blob's body that checks the sha256 before it delivers the last chunk: on a
 * mismatch it is destroyed with a `CorruptBlobError` instead of ending. It closes the descriptor
 * when it ends, fails or is destroyed, and then calls `onClose` exactly once.
 */
export class VerifyingBlobStream extends Readable {
  private readonly fh: FileHandle;
  private readonly size: number;
  private readonly digest: string;
  private readonly identity: BlobIdentity;
  private readonly hash = createHash("sha256");
  private readonly onClose: (err: Error | null) => void;
  private position = 0;

  constructor(blob: OpenBlob, onClose: (err: Error | null) => void) {
    super();
    this.fh = blob.fh;
    this.size = blob.trailer.size;
    this.digest = blob.trailer.sha256;
    this.identity = blob.identity;
    this.onClose = onClose;
  }

  // Readable calls _read again only after a push, so reads never overlap.
  override _read(): void {
    this.readChunk().catch((err: unknown) => {
      this.destroy(err instanceof Error ? err : new Error(String(err)));
    });
  }

  private async readChunk(): Promise<void> {
    const length = Math.min(STREAM_CHUNK_BYTES, this.size - this.position);
    let chunk: Buffer | null = null;
    if (length > 0) {
      chunk = Buffer.allocUnsafe(length);
      try {
        await readFully(this.fh, chunk, this.position);
      } catch (err) {
        if (err instanceof StoreError) throw new CorruptBlobError(err, this.identity);
        throw new StoreError("IO", `reading a blob: ${(err as Error).message}`, { cause: err });
      }
      this.hash.update(chunk);
      this.position += length;
    }
    if (this.position >= this.size) {
      if (this.hash.digest("hex") !== this.digest) {
        throw new CorruptBlobError(corrupt("body digest mismatch"), this.identity);
      }
      if (chunk) this.push(chunk);
      this.push(null);
      return;
    }
    this.push(chunk);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.fh.close().then(
      () => {
        this.onClose(err);
        callback(err);
      },
      (closeErr: unknown) => {
        this.onClose(err);
        callback(err ?? (closeErr as Error));
      },
    );
  }
}
