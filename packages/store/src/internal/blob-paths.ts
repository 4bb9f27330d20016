/**
 * Where things live under the store's directory. A blob's file name is the sha256 of its key in
 * hex, fanned out over two directory levels (`blobs/ab/cd/abcd…`): the name is 64 hex digits
 * whatever the key holds, so no request field can steer a path.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";

export const BLOBS_DIR = "blobs";
export const TMP_DIR = "tmp";
export const TRASH_DIR = "trash";
export const INDEX_FILE = "index.sqlite";
/** Left by a run that met a corrupt index at run time: the next open rebuilds. */
export const REBUILD_MARKER = "index.rebuild";

export const BLOB_NAME = /^[0-9a-f]{64}$/;

/** The 32-byte blob id of a key (its sha256). */
export function blobId(key: string): Buffer {
  return createHash("sha256").update(key, "utf8").digest();
}

export function blobPath(root: string, id: Buffer): string {
  const hex = id.toString("hex");
  return join(root, BLOBS_DIR, hex.slice(0, 2), hex.slice(2, 4), hex);
}

export function blobDir(root: string, id: Buffer): string {
  const hex = id.toString("hex");
  return join(root, BLOBS_DIR, hex.slice(0, 2), hex.slice(2, 4));
}
