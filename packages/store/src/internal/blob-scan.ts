/** Walks the two-level blob fan-out (`blobs/ab/cd/<64 hex>`) one leaf directory at a time. */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { errnoCode } from "./blob-writer.js";

const HEX2 = /^[0-9a-f]{2}$/;

export interface LeafDir {
  /** The 2-byte prefix every blob id in this directory starts with. */
  prefix: Buffer;
  path: string;
}

/** The names in a directory; none when it does not exist. */
export async function listDir(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (err) {
    if (errnoCode(err) === "ENOENT" || errnoCode(err) === "ENOTDIR") return [];
    throw err;
  }
}

export async function* leafDirs(blobsRoot: string): AsyncGenerator<LeafDir> {
  const tops = (await listDir(blobsRoot)).filter((n) => HEX2.test(n)).sort();
  for (const top of tops) {
    const subs = (await listDir(join(blobsRoot, top))).filter((n) => HEX2.test(n)).sort();
    for (const sub of subs) {
      yield { prefix: Buffer.from(top + sub, "hex"), path: join(blobsRoot, top, sub) };
    }
  }
}

export async function listLeaf(leaf: LeafDir): Promise<string[]> {
  return listDir(leaf.path);
}

/** True when the blob tree holds at least one leaf directory with an entry in it. */
export async function hasAnyBlob(blobsRoot: string): Promise<boolean> {
  for await (const leaf of leafDirs(blobsRoot)) {
    if ((await listLeaf(leaf)).length > 0) return true;
  }
  return false;
}
