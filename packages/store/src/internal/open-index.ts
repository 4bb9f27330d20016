/**
 * Opening the index: use it when it is sound; otherwise move it aside (to `index.sqlite.bad`,
 * replacing an older one) and start an empty one that the caller rebuilds from the blobs.
 * "Not sound" is: unreadable as SQLite, corrupt, another application's file, another schema
 * version, or a rebuild marker left by a run that hit corruption. A busy index (another store
 * holds it) and I/O errors are thrown instead: they are not reasons to throw the index away.
 */
import { existsSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { StoreError } from "../errors.js";
import { BLOBS_DIR, INDEX_FILE, REBUILD_MARKER } from "./blob-paths.js";
import { hasAnyBlob } from "./blob-scan.js";
import { IndexDb, isBusyError, UnusableIndexError } from "./index-db.js";

const SIDE_FILES = ["", "-wal", "-shm", "-journal"];

export interface OpenedIndex {
  db: IndexDb;
  /** Why the caller must rebuild the (now empty) index from the blobs; null when it need not. */
  rebuildReason: string | null;
}

function moveAside(root: string): void {
  for (const suffix of SIDE_FILES) {
    const from = join(root, `${INDEX_FILE}${suffix}`);
    const to = join(root, `${INDEX_FILE}.bad${suffix}`);
    rmSync(to, { force: true });
    if (existsSync(from)) renameSync(from, to);
  }
}

function tryOpen(path: string): IndexDb {
  try {
    return new IndexDb(path);
  } catch (err) {
    if (err instanceof UnusableIndexError) throw err;
    if (isBusyError(err)) {
      throw new StoreError("LOCKED", `the index ${path} is in use by another store`, { cause: err });
    }
    throw new StoreError("IO", `opening the index ${path}: ${(err as Error).message}`, { cause: err });
  }
}

export async function openIndex(root: string): Promise<OpenedIndex> {
  const path = join(root, INDEX_FILE);
  const existed = existsSync(path);
  const marker = existsSync(join(root, REBUILD_MARKER));
  let db: IndexDb;
  let reason: string | null = null;
  try {
    db = tryOpen(path);
  } catch (err) {
    if (!(err instanceof UnusableIndexError)) throw err;
    reason = err.message;
    moveAside(root);
    db = tryOpen(path);
  }
  if (marker && reason === null) {
    reason = "a previous run found the index corrupt";
    if (!db.created) {
      db.close();
      moveAside(root);
      db = tryOpen(path);
    }
  }
  if (reason === null && db.created && (await hasAnyBlob(join(root, BLOBS_DIR)))) {
    reason = existed ? "index was empty" : "index is missing";
  }
  return { db, rebuildReason: reason };
}
