/**
 * Reading a target's outputs from a local directory into artifacts: files by contents,
 * directories recursively, symlinks as symlinks (their destination is recorded, never followed).
 */
import type { Dirent } from "node:fs";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { normalizeArtifactPath } from "./artifact-path.js";
import { ClientError } from "./errors.js";
import { ioError } from "./internal/io-error.js";
import { mapLimit } from "./internal/map-limit.js";
import type { ArtifactInput, TransferProgress } from "./types.js";

/** How many files are read at once. */
const READ_CONCURRENCY = 16;

/** A file found under the root, before its contents are read. */
interface Found {
  readonly name: string;
  readonly path: string;
  readonly size: number;
  readonly symlink?: string;
}

export interface ReadFilesResult {
  /** The artifacts, sorted by name. */
  readonly artifacts: ArtifactInput[];
  /** Total bytes of file contents. */
  readonly bytes: number;
}

async function walk(root: string, name: string, out: Map<string, Found>, named: boolean): Promise<void> {
  const path = join(root, ...name.split("/"));
  let st: Awaited<ReturnType<typeof lstat>>;
  try {
    st = await lstat(path);
  } catch (err) {
    if (named && (err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new ClientError("IO", `no such file or directory: ${name} (under ${root})`, { cause: err });
    }
    throw ioError(err, `read ${path}`);
  }
  if (st.isSymbolicLink()) {
    let target: string;
    try {
      target = await readlink(path);
    } catch (err) {
      throw ioError(err, `read the symlink ${path}`);
    }
    out.set(name, { name, path, size: 0, symlink: target });
  } else if (st.isFile()) {
    out.set(name, { name, path, size: st.size });
  } else if (st.isDirectory()) {
    let entries: Dirent[];
    try {
      entries = await readdir(path, { withFileTypes: true });
    } catch (err) {
      throw ioError(err, `list ${path}`);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) await walk(root, `${name}/${e.name}`, out, false);
  } else {
    throw new ClientError("IO", `cannot read ${path}: it is not a regular file, directory or symlink`);
  }
}

/**
 * Reads `files` (paths relative to `root`; directories recursively) into artifacts named by
 * their paths relative to `root`. Empty directories produce nothing (the protocol has no
 * directories). A file named twice, or inside a directory also named, is stored once.
 *
 * @throws {ClientError} `INVALID` for a path outside `root`; `IO` for one that does not exist,
 *   is not a file, directory or symlink, or cannot be read.
 */
export async function readFiles(
  root: string,
  files: readonly string[],
  onProgress?: (p: TransferProgress) => void,
): Promise<ReadFilesResult> {
  if (files.length === 0) throw new ClientError("INVALID", "no files to store");
  const found = new Map<string, Found>();
  for (const name of new Set(files.map(normalizeArtifactPath))) await walk(root, name, found, true);
  const list = [...found.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const totalBytes = list.reduce((n, f) => n + f.size, 0);
  let bytes = 0;
  onProgress?.({ phase: "read", bytes, totalBytes });
  const artifacts = await mapLimit(list, READ_CONCURRENCY, async (f): Promise<ArtifactInput> => {
    if (f.symlink !== undefined) return { file: f.name, symlink: f.symlink };
    let body: Buffer;
    try {
      body = await readFile(f.path);
    } catch (err) {
      throw ioError(err, `read ${f.path}`);
    }
    bytes += body.length;
    onProgress?.({ phase: "read", bytes, totalBytes: Math.max(totalBytes, bytes) });
    return { file: f.name, body };
  });
  return { artifacts, bytes };
}
