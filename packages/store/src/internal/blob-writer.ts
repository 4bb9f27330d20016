/**
 * Writes one blob to a fresh temp file in one sequential pass, hashing the body as it streams
 * through, then appends the trailer and footer and (optionally) fdatasyncs. The caller renames
 * the temp file into place; on any failure the temp file is removed before the error surfaces.
 */
import { createHash, randomBytes, webcrypto } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { open, unlink } from "node:fs/promises";
import { join } from "node:path";
import { StoreError } from "../errors.js";
import type { BodySource } from "../types.js";
import { type BlobTrailer, encodeTrailer } from "./blob-format.js";

/** Small chunks are copied together and written in pieces of this size. */
const COALESCE_BYTES = 256 * 1024;

/**
 * Bodies at least this big, given whole, are hashed by WebCrypto on the libuv thread pool, in
 * parallel with the write, instead of on the event loop (a 16 MiB sha256 is ~30 ms of it).
 */
export const OFFLOAD_HASH_BYTES = 256 * 1024;

/** sha256 hex of a whole buffer: on the thread pool for big ones, inline for small ones. */
export async function sha256Hex(body: Uint8Array): Promise<string> {
  if (body.length < OFFLOAD_HASH_BYTES) return createHash("sha256").update(body).digest("hex");
  return Buffer.from(await webcrypto.subtle.digest("SHA-256", body)).toString("hex");
}

export interface WrittenBlob {
  tmpPath: string;
  trailer: BlobTrailer;
}

/** Everything the trailer needs except what the write itself measures. */
export type TrailerFields = Omit<BlobTrailer, "size" | "sha256">;

async function writeAll(fh: FileHandle, buf: Uint8Array): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    if (bytesWritten <= 0) throw new StoreError("IO", "short write to temp file");
    off += bytesWritten;
  }
}

function toChunk(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === "string") return Buffer.from(chunk, "utf8");
  throw new StoreError("INVALID_ARGUMENT", `a body chunk must be a Uint8Array, got ${typeof chunk}`);
}

function isAsyncIterable(body: unknown): body is AsyncIterable<unknown> {
  return typeof body === "object" && body !== null && Symbol.asyncIterator in body;
}

export function tempPath(tmpDir: string): string {
  return join(tmpDir, `${randomBytes(12).toString("hex")}.tmp`);
}

/** Errors from the caller's body source pass through unchanged; fs errors become `IO`. */
export async function writeTempBlob(
  tmpDir: string,
  body: BodySource,
  fields: TrailerFields,
  fsync: boolean,
): Promise<WrittenBlob> {
  if (!(body instanceof Uint8Array) && !isAsyncIterable(body)) {
    throw new StoreError(
      "INVALID_ARGUMENT",
      "a body must be a Uint8Array, an async iterable or a readable stream",
    );
  }
  const tmpPath = tempPath(tmpDir);
  let fh: FileHandle | undefined;
  try {
    fh = await open(tmpPath, "wx", 0o644);
    const hash = createHash("sha256");
    let size = 0;
    // Bytes waiting to be written; the trailer joins them, so a small blob is one write.
    const pending = Buffer.allocUnsafe(COALESCE_BYTES);
    let used = 0;
    const add = async (chunk: Uint8Array): Promise<void> => {
      if (used + chunk.length <= COALESCE_BYTES) {
        pending.set(chunk, used);
        used += chunk.length;
        return;
      }
      if (used > 0) {
        await writeAll(fh!, pending.subarray(0, used));
        used = 0;
      }
      // A big chunk is written as is; it is not held past this await, so the producer may reuse it.
      await writeAll(fh!, chunk);
    };
    let digest: Promise<string> | undefined;
    if (body instanceof Uint8Array) {
      digest = sha256Hex(body);
      // Settle it even if the write fails first, so it never rejects unobserved.
      digest.catch(() => {});
      size = body.length;
      await add(body);
    } else {
      for await (const raw of body) {
        const chunk = toChunk(raw);
        hash.update(chunk);
        size += chunk.length;
        await add(chunk);
      }
    }
    const trailer: BlobTrailer = { ...fields, size, sha256: digest ? await digest : hash.digest("hex") };
    await add(encodeTrailer(trailer));
    if (used > 0) await writeAll(fh, pending.subarray(0, used));
    if (fsync) await fh.datasync();
    await fh.close();
    fh = undefined;
    return { tmpPath, trailer };
  } catch (err) {
    await fh?.close().catch(() => {});
    await unlink(tmpPath).catch(() => {});
    if (err instanceof StoreError) throw err;
    if (isFsError(err))
      throw new StoreError("IO", `writing a blob: ${(err as Error).message}`, { cause: err });
    throw err;
  }
}

export function isFsError(err: unknown): boolean {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === "string";
}

export function errnoCode(err: unknown): string | undefined {
  return err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
}
