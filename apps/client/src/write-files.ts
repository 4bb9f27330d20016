/**
 * Writing retrieved artifacts under a local directory, safely and atomically:
 * - every path is checked before anything is written; a path that is absolute, has `..`
 *   segments, lies below another artifact (a symlink or a file), or would pass through an
 *   existing symlink below the output directory is refused, so nothing lands outside it;
 * - each file is written to a temporary file in its own directory, then renamed into place, so
 *   a reader never sees a half-written file;
 * - symlink artifacts become symlinks (created last, also by rename).
 */
import { lstat, mkdir, rename, stat, symlink, unlink, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { assertSafeArtifactPath } from "./artifact-path.js";
import { ClientError } from "./errors.js";
import { ioError } from "./internal/io-error.js";
import { mapLimit } from "./internal/map-limit.js";
import type { RetrievedArtifact, TransferProgress } from "./types.js";

/** Mode of files written, before the umask. */
export const DEFAULT_FILE_MODE = 0o644;

/** How many files are written at once. */
const WRITE_CONCURRENCY = 16;

export interface WriteFilesOptions {
  /** Mode of the files written (before the umask). Default: {@link DEFAULT_FILE_MODE}. */
  fileMode?: number;
  /** Called as file contents are written. */
  onProgress?: (p: TransferProgress) => void;
}

export interface WriteFilesResult {
  /** The paths written, relative to the output directory, sorted. */
  readonly files: string[];
  /** Bytes of file contents written. */
  readonly bytes: number;
}

let tempCounter = 0;

/** Refuses the whole set before anything is written. */
function checkPaths(artifacts: readonly RetrievedArtifact[]): void {
  const paths = new Set<string>();
  for (const a of artifacts) {
    assertSafeArtifactPath(a.file);
    if (paths.has(a.file))
      throw new ClientError("UNSAFE_PATH", `artifact ${JSON.stringify(a.file)} comes twice`);
    paths.add(a.file);
  }
  for (const p of paths) {
    for (let i = p.indexOf("/"); i !== -1; i = p.indexOf("/", i + 1)) {
      const parent = p.slice(0, i);
      if (paths.has(parent)) {
        throw new ClientError(
          "UNSAFE_PATH",
          `refusing artifact path ${JSON.stringify(p)}: it lies below the artifact ${JSON.stringify(parent)}, which is not a directory`,
        );
      }
    }
  }
}

/** Creates the directories of `rel` below `root`, refusing to pass through symlinks or files. */
class DirMaker {
  readonly #root: string;
  readonly #made = new Map<string, Promise<void>>();

  constructor(root: string) {
    this.#root = root;
  }

  ensure(rel: string): Promise<void> {
    if (rel === "") return Promise.resolve();
    let p = this.#made.get(rel);
    if (p === undefined) {
      const slash = rel.lastIndexOf("/");
      const parent = slash === -1 ? "" : rel.slice(0, slash);
      p = this.ensure(parent).then(() => this.#one(rel));
      this.#made.set(rel, p);
    }
    return p;
  }

  async #one(rel: string): Promise<void> {
    const abs = join(this.#root, ...rel.split("/"));
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const st = await lstat(abs);
        if (st.isDirectory()) return;
        if (st.isSymbolicLink()) {
          throw new ClientError("UNSAFE_PATH", `refusing to write through ${abs}: it is a symlink`);
        }
        throw new ClientError("IO", `cannot create the directory ${abs}: a file is in the way`);
      } catch (err) {
        if (err instanceof ClientError) throw err;
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw ioError(err, `inspect ${abs}`);
      }
      try {
        await mkdir(abs);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST")
          throw ioError(err, `create the directory ${abs}`);
      }
    }
  }
}

async function placeAtomically(
  dest: string,
  create: (tmp: string) => Promise<void>,
  what: string,
): Promise<void> {
  const slash = Math.max(dest.lastIndexOf("/"), dest.lastIndexOf("\\"));
  const tmp = `${dest.slice(0, slash + 1)}.${dest.slice(slash + 1)}.plz-cache-${process.pid}-${++tempCounter}.tmp`;
  try {
    await create(tmp);
    await rename(tmp, dest);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw ioError(err, what);
  }
}

/**
 * Creates the directory `abs` and its missing parents. Unlike `mkdir(abs, { recursive: true })`,
 * which on Node 20 never returns for a path the kernel refuses with ENOENT (`/proc/x`), each
 * level is tried once.
 */
async function makeOutputDirectory(abs: string): Promise<void> {
  const what = `create the output directory ${abs}`;
  try {
    await mkdir(abs);
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      const st = await lstat(abs).catch(() => undefined);
      // A symlink to a directory is the user's own choice of --out: follow it.
      if (st?.isDirectory() || (st?.isSymbolicLink() && (await isDirectory(abs)))) return;
      throw new ClientError("IO", `cannot ${what}: a file is in the way`, { cause: err });
    }
    const parent = dirname(abs);
    if (code !== "ENOENT" || parent === abs) throw ioError(err, what);
    await makeOutputDirectory(parent);
  }
  try {
    await mkdir(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST" && (await isDirectory(abs))) return;
    throw ioError(err, what);
  }
}

async function isDirectory(abs: string): Promise<boolean> {
  try {
    return (await stat(abs)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Writes `artifacts` under `out` (created if missing).
 *
 * @throws {ClientError} `UNSAFE_PATH` (nothing is written) or `IO`.
 */
export async function writeFiles(
  out: string,
  artifacts: readonly RetrievedArtifact[],
  opts: WriteFilesOptions = {},
): Promise<WriteFilesResult> {
  checkPaths(artifacts);
  const root = resolve(out);
  await makeOutputDirectory(root);
  const mode = opts.fileMode ?? DEFAULT_FILE_MODE;
  const dirs = new DirMaker(root);
  const totalBytes = artifacts.reduce((n, a) => n + (a.symlink ? 0 : a.body.length), 0);
  let bytes = 0;
  opts.onProgress?.({ phase: "write", bytes, totalBytes });

  const place = async (a: RetrievedArtifact): Promise<void> => {
    const slash = a.file.lastIndexOf("/");
    await dirs.ensure(slash === -1 ? "" : a.file.slice(0, slash));
    const dest = join(root, ...a.file.split("/"));
    if (a.symlink) {
      const target = a.symlink;
      await placeAtomically(dest, (tmp) => symlink(target, tmp), `create the symlink ${dest}`);
    } else {
      await placeAtomically(dest, (tmp) => writeFile(tmp, a.body, { mode, flag: "wx" }), `write ${dest}`);
      bytes += a.body.length;
      opts.onProgress?.({ phase: "write", bytes, totalBytes });
    }
  };
  await mapLimit(
    artifacts.filter((a) => !a.symlink),
    WRITE_CONCURRENCY,
    place,
  );
  await mapLimit(
    artifacts.filter((a) => a.symlink),
    WRITE_CONCURRENCY,
    place,
  );
  return { files: artifacts.map((a) => a.file).sort(), bytes };
}
