/**
 * Reconcile: walk the blob tree one leaf directory at a time, in the background and rate
 * limited, and fix what an unclean shutdown can leave behind that the pending journal cannot
 * see (e.g. after a power loss the WAL lost its last commits while a renamed blob survived):
 * blobs the index does not know are indexed from their trailers, and index rows whose blob is
 * gone are dropped. Each fix is re-checked under the key's lock by the host, so it is safe while
 * the store serves. For each leaf the index is queried before the directory is listed, so a
 * write that lands in between is seen as "on disk, not in index" and then found indexed. The
 * leaves visited are those on disk and those the index names (a crash in the middle of deleteAll
 * leaves rows whose directories are gone).
 */
import { join } from "node:path";
import type { ReconcileOptions } from "../types.js";
import { BLOB_NAME } from "./blob-paths.js";
import { type LeafDir, listDir, listLeaf } from "./blob-scan.js";
import { sleep } from "./concurrency.js";
import type { IndexDb } from "./index-db.js";

export interface ReconcileHost {
  blobsRoot: string;
  db: IndexDb;
  /** True once the pass should stop (store closing, or the cache was emptied). */
  cancelled(): boolean;
  /** Indexes the blob at `path` if the index still does not know it (re-checked under the key lock). */
  adopt(path: string): Promise<"added" | "known" | "removed">;
  /** Drops the row of `key` if its blob is still missing (re-checked under the key lock). */
  dropIfMissing(key: string): Promise<boolean>;
}

export const DEFAULT_RECONCILE_OPTIONS: ReconcileOptions = { leavesPerPause: 32, pauseMs: 10 };

function nextPrefix(prefix: Buffer): Buffer | null {
  const out = Buffer.from(prefix);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! < 0xff) {
      out[i]!++;
      return out.subarray(0, i + 1);
    }
  }
  return null;
}

const HEX2 = /^[0-9a-f]{2}$/;

async function* leavesOnDiskOrIndexed(host: ReconcileHost): AsyncGenerator<LeafDir> {
  for (let top = 0; top < 256; top++) {
    const topHex = top.toString(16).padStart(2, "0");
    const subs = new Set((await listDir(join(host.blobsRoot, topHex))).filter((n) => HEX2.test(n)));
    for (const prefix of host.db.leafPrefixes(top)) {
      if (prefix.length === 2) subs.add(prefix.subarray(1).toString("hex"));
    }
    for (const sub of [...subs].sort()) {
      yield { prefix: Buffer.from(topHex + sub, "hex"), path: join(host.blobsRoot, topHex, sub) };
    }
  }
}

export async function reconcileBlobs(
  host: ReconcileHost,
  opts: ReconcileOptions = DEFAULT_RECONCILE_OPTIONS,
): Promise<{ added: number; removed: number }> {
  let added = 0;
  let removed = 0;
  let leaves = 0;
  for await (const leaf of leavesOnDiskOrIndexed(host)) {
    if (host.cancelled()) break;
    const known = new Map<string, string>();
    for (const row of host.db.blobRange(leaf.prefix, nextPrefix(leaf.prefix))) {
      known.set(row.blob.toString("hex"), row.key);
    }
    const names = await listLeaf(leaf);
    const onDisk = new Set<string>();
    for (const name of names) {
      if (host.cancelled()) break;
      onDisk.add(name);
      if (known.has(name)) continue;
      const path = join(leaf.path, name);
      if (!BLOB_NAME.test(name)) continue;
      const outcome = await host.adopt(path);
      if (outcome === "added") added++;
      else if (outcome === "removed") removed++;
    }
    for (const [name, key] of known) {
      if (host.cancelled()) break;
      if (!onDisk.has(name) && (await host.dropIfMissing(key))) removed++;
    }
    if (++leaves % opts.leavesPerPause === 0) await sleep(opts.pauseMs);
  }
  return { added, removed };
}
