/**
 * Rebuilds an empty index from the blobs on disk: every blob's footer and trailer is read (bodies
 * are not: they are verified when read), checked against its file name, and inserted in batches.
 * Blobs whose trailer is bad, or whose name is not the id of the key they hold, are deleted.
 * A blob's last-read time is taken from its atime (coarse under relatime, but better than nothing).
 */
import { unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../types.js";
import { BLOB_NAME, blobId } from "./blob-paths.js";
import { CorruptBlobError, openBlob } from "./blob-reader.js";
import { leafDirs, listLeaf } from "./blob-scan.js";
import { mapLimit } from "./concurrency.js";
import type { IndexDb, IndexRow } from "./index-db.js";
import { rowFromTrailer } from "./rows.js";

const READ_CONCURRENCY = 32;
const INSERT_BATCH = 2000;

export interface RebuildResult {
  artifacts: number;
  bytes: number;
  removed: number;
}

export async function rebuildIndex(
  blobsRoot: string,
  db: IndexDb,
  now: number,
  logger: Logger,
): Promise<RebuildResult> {
  const result: RebuildResult = { artifacts: 0, bytes: 0, removed: 0 };
  let batch: IndexRow[] = [];
  const flush = (): void => {
    if (batch.length === 0) return;
    db.insertMany(batch);
    batch = [];
  };
  const remove = async (path: string, why: string): Promise<void> => {
    logger.warn({ path, reason: why }, "removing an unusable blob while rebuilding the index");
    result.removed++;
    await unlink(path).catch(() => {});
  };
  for await (const leaf of leafDirs(blobsRoot)) {
    const prefixHex = leaf.prefix.toString("hex");
    const names = await listLeaf(leaf);
    await mapLimit(names, READ_CONCURRENCY, async (name) => {
      const path = join(leaf.path, name);
      if (!BLOB_NAME.test(name) || !name.startsWith(prefixHex)) return remove(path, "not a blob name");
      let blob: Awaited<ReturnType<typeof openBlob>>;
      try {
        blob = await openBlob(path, undefined, { noatime: true });
      } catch (err) {
        if (err instanceof CorruptBlobError) return remove(path, err.reason);
        throw err;
      }
      if (!blob) return;
      await blob.fh.close();
      const { trailer } = blob;
      if (blobId(trailer.key).toString("hex") !== name) return remove(path, "blob name is not its key's id");
      const lastRead = Math.min(Math.max(blob.atimeMs, trailer.storedAt), now);
      batch.push(rowFromTrailer(trailer, lastRead));
      result.artifacts++;
      result.bytes += trailer.size;
    });
    if (batch.length >= INSERT_BATCH) flush();
  }
  flush();
  return result;
}
