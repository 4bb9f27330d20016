/**
 * A small in-memory cache of recently read small bodies, so hot artifacts skip the four file
 * system round trips of a read. It can never serve a stale or wrong body:
 * - an entry is used only when the caller's current index row names the same blob, size,
 *   digest and stored-at time (an overwrite, delete or eviction changes or removes the row, so
 *   the old entry is simply never matched again and ages out);
 * - the body's sha256 is checked against the row's digest on every hit, like a disk read.
 */
import { createHash } from "node:crypto";
import type { IndexRow } from "./index-db.js";

/** Default total bytes of cached bodies. */
export const DEFAULT_READ_CACHE_BYTES = 64 * 1024 * 1024;
/** Bodies larger than this are never cached. */
export const READ_CACHE_MAX_ENTRY_BYTES = 256 * 1024;

interface Entry {
  blob: Buffer;
  storedAt: number;
  digest: Buffer;
  body: Buffer;
}

export class ReadCache {
  readonly #capacity: number;
  /** Insertion order is recency order: a hit re-inserts. */
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;
  hits = 0;
  misses = 0;

  constructor(capacityBytes: number) {
    this.#capacity = capacityBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The body for `row` if cached for exactly this version and still matching its digest. */
  get(row: IndexRow): Buffer | undefined {
    const e = this.#entries.get(row.key);
    if (
      !e ||
      e.storedAt !== row.stored_at ||
      e.body.length !== row.size ||
      !e.blob.equals(row.blob) ||
      !e.digest.equals(row.digest)
    ) {
      this.misses++;
      return undefined;
    }
    if (!createHash("sha256").update(e.body).digest().equals(row.digest)) {
      this.#remove(row.key);
      this.misses++;
      return undefined;
    }
    this.#entries.delete(row.key);
    this.#entries.set(row.key, e);
    this.hits++;
    return e.body;
  }

  /** Remembers a body just read and verified for `row`. */
  put(row: IndexRow, body: Buffer): void {
    if (this.#capacity === 0 || body.length > READ_CACHE_MAX_ENTRY_BYTES || body.length !== row.size) return;
    this.#remove(row.key);
    // Own copy: a slice of a bigger read buffer would keep the whole buffer alive.
    const copy = Buffer.from(body);
    this.#entries.set(row.key, { blob: row.blob, storedAt: row.stored_at, digest: row.digest, body: copy });
    this.#bytes += copy.length;
    for (const [key] of this.#entries) {
      if (this.#bytes <= this.#capacity) break;
      this.#remove(key);
    }
  }

  /** Forgets a key (overwritten, deleted, evicted): frees its memory early. */
  delete(key: string): void {
    this.#remove(key);
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  #remove(key: string): void {
    const e = this.#entries.get(key);
    if (!e) return;
    this.#entries.delete(key);
    this.#bytes -= e.body.length;
  }
}
