/**
 * The plz-cache client: one object per cache (a single server or a cluster), safe to share
 * between concurrent requests. Routing, retries, backoff and topology refreshes are the
 * {@link Router}'s; this file is the request-shaped API over it.
 */
import {
  type Artifact,
  callUnary,
  createRpcCacheClient,
  type DeleteRequest,
  type RetrieveRequest,
  type StoreRequest,
} from "@plz-cache/protocol";
import { ClientError } from "./errors.js";
import { storeRequestSize } from "./message-size.js";
import { type CacheClientOptions, type ResolvedOptions, resolveOptions, withDefaultPort } from "./options.js";
import { readFiles } from "./read-files.js";
import { Router } from "./router.js";
import type { ArtifactInput, NodeInfo, RetrievedArtifact, TargetRef, TransferProgress } from "./types.js";
import { writeFiles } from "./write-files.js";

/** What {@link CacheClient.storeFiles} takes. */
export interface StoreFilesOptions {
  /** The target the files are outputs of. */
  target: TargetRef;
  /** The request hash (at least 4 bytes; plz sends 20 or 32). */
  hash: Uint8Array;
  /** Files and directories to store, relative to `root`; directories are stored recursively. */
  files: readonly string[];
  /** The local directory `files` are relative to. Default: the working directory. */
  root?: string;
  /** Called as files are read and sent. */
  onProgress?: (p: TransferProgress) => void;
}

/** What {@link CacheClient.retrieveFiles} takes. */
export interface RetrieveFilesOptions {
  /** The target the files are outputs of. */
  target: TargetRef;
  /** The request hash the files were stored under. */
  hash: Uint8Array;
  /** Files or directories to retrieve (as they were stored). */
  files: readonly string[];
  /** The local directory to write them under (created if missing). Default: the working directory. */
  out?: string;
  /** Mode of files written, before the umask (the protocol carries no modes). Default: `0o644`. */
  fileMode?: number;
  /** Called as the answer arrives and files are written. */
  onProgress?: (p: TransferProgress) => void;
}

/** What a successful {@link CacheClient.storeFiles} or {@link CacheClient.retrieveFiles} did. */
export interface FilesResult {
  /** The artifact paths stored or written, sorted. */
  readonly files: string[];
  /** Bytes of file contents. */
  readonly bytes: number;
}

function label(t: TargetRef): string {
  return `//${t.package}:${t.target}`;
}

function toBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Whether every requested name is answered: the file itself, or files below it (a directory). */
function covers(requested: readonly string[], got: readonly Artifact[]): boolean {
  const names = got.map((a) => a.file);
  return requested.every((r) => names.some((n) => n === r || n.startsWith(`${r}/`)));
}

export class CacheClient implements AsyncDisposable {
  /** The address the client was given (the seed it reads the topology from). */
  readonly address: string;
  readonly #opts: ResolvedOptions;
  readonly #router: Router;

  /**
   * A client of the cache at `address` (`host:port`; `host` alone means port 7677). Nothing is
   * dialled until the first request (or {@link connect}).
   *
   * @throws {ClientError} `INVALID` for invalid options.
   */
  constructor(address: string, options: CacheClientOptions = {}) {
    this.address = withDefaultPort(address);
    this.#opts = resolveOptions(options);
    const { credentials, gzip, maxMessageBytes, backoffMs, maxBackoffMs } = this.#opts;
    this.#router = new Router(this.address, this.#opts, (addr) =>
      createRpcCacheClient(addr, {
        credentials,
        gzip,
        maxMessageBytes,
        // Let grpc-js redial about as soon as our own backoff lets a node be tried again.
        extra: {
          "grpc.initial_reconnect_backoff_ms": Math.max(100, backoffMs),
          "grpc.max_reconnect_backoff_ms": Math.max(100, maxBackoffMs),
        },
      }),
    );
  }

  /** Creates a client and loads the topology, so an unreachable cache fails here. */
  static async connect(address: string, options: CacheClientOptions = {}): Promise<CacheClient> {
    const client = new CacheClient(address, options);
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.close();
      throw err;
    }
  }

  /** Loads the topology if it was not yet. @throws {ClientError} when no server answers. */
  async connect(): Promise<void> {
    await this.#router.ensureTopology();
  }

  /** The cluster's nodes (sorted by range), or `[]` when the server is not clustered. */
  async nodes(): Promise<NodeInfo[]> {
    const topology = await this.#router.ensureTopology();
    return [...topology.nodes];
  }

  /** Reloads the topology now; resolves with the nodes (`[]` when unclustered). */
  async refresh(): Promise<NodeInfo[]> {
    return [...(await this.#router.refresh()).nodes];
  }

  /**
   * Stores a target's artifacts under `hash`, on the node owning the hash (or, if that fails,
   * its alternate owner).
   *
   * @throws {ClientError} `INVALID`, `TOO_LARGE` (over `maxMessageBytes`, checked before
   *   sending), `REFUSED` (the server answered `success: false` or failed), or a routing error.
   */
  async store(target: TargetRef, hash: Uint8Array, artifacts: readonly ArtifactInput[]): Promise<void> {
    this.#checkTarget(target);
    this.#checkHash(hash);
    if (artifacts.length === 0) throw new ClientError("INVALID", `store ${label(target)}: no artifacts`);
    const req: StoreRequest = {
      os: target.os ?? this.#opts.os,
      arch: target.arch ?? this.#opts.arch,
      hash: toBuffer(hash),
      hostname: this.#opts.hostname,
      artifacts: artifacts.map((a) => {
        if (a.file === "")
          throw new ClientError("INVALID", `store ${label(target)}: an artifact has no file name`);
        if (a.symlink && a.body !== undefined && a.body.length > 0) {
          throw new ClientError("INVALID", `store ${label(target)}: ${a.file} has both a body and a symlink`);
        }
        return {
          package: target.package,
          target: target.target,
          file: a.file,
          body: a.body === undefined ? Buffer.alloc(0) : toBuffer(a.body),
          symlink: a.symlink ?? "",
        };
      }),
    };
    const size = storeRequestSize(req);
    if (size > this.#opts.maxMessageBytes) {
      throw new ClientError(
        "TOO_LARGE",
        `store ${label(target)}: the request is ${size} bytes, over the ${this.#opts.maxMessageBytes}-byte message limit`,
      );
    }
    const res = await this.#router.route(`store ${label(target)}`, hash, (c) =>
      callUnary(c, c.store, req, { timeoutMs: this.#opts.timeoutMs }),
    );
    if (!res.success)
      throw new ClientError("REFUSED", `store ${label(target)}: the cache answered success: false`);
  }

  /**
   * Retrieves a target's artifacts stored under `hash`. A name that was stored as a directory
   * comes back as every file below it.
   *
   * @returns the artifacts, or `null` on a miss (any one name missing: the cache answers all or
   *   nothing). A miss is never retried elsewhere; an RPC failure is.
   */
  async retrieve(
    target: TargetRef,
    hash: Uint8Array,
    files: readonly string[],
  ): Promise<RetrievedArtifact[] | null> {
    this.#checkTarget(target);
    this.#checkHash(hash);
    if (files.length === 0 || files.some((f) => f === "")) {
      throw new ClientError("INVALID", `retrieve ${label(target)}: name at least one file, none empty`);
    }
    const req: RetrieveRequest = {
      os: target.os ?? this.#opts.os,
      arch: target.arch ?? this.#opts.arch,
      hash: toBuffer(hash),
      artifacts: files.map((file) => ({
        package: target.package,
        target: target.target,
        file,
        body: Buffer.alloc(0),
        symlink: "",
      })),
    };
    const res = await this.#router.route(`retrieve ${label(target)}`, hash, (c) =>
      callUnary(c, c.retrieve, req, { timeoutMs: this.#opts.timeoutMs }),
    );
    // As plz does: an answer with nothing in it is not a hit.
    if (!res.success || res.artifacts.length === 0 || !covers(files, res.artifacts)) return null;
    return res.artifacts.map((a) =>
      a.symlink ? { file: a.file, body: a.body, symlink: a.symlink } : { file: a.file, body: a.body },
    );
  }

  /**
   * Deletes every hash of a target, on every node of the cluster (the original sent one delete,
   * routed by a zero key, and relied on the cluster to forward it).
   *
   * @throws {ClientError} when any node failed or refused (the error says how many it reached).
   */
  async delete(target: TargetRef): Promise<void> {
    this.#checkTarget(target);
    await this.#delete(`delete ${label(target)}`, {
      os: target.os ?? this.#opts.os,
      arch: target.arch ?? this.#opts.arch,
      everything: false,
      artifacts: [
        { package: target.package, target: target.target, file: "", body: Buffer.alloc(0), symlink: "" },
      ],
    });
  }

  /** Empties the whole cache: every node of the cluster. */
  async deleteEverything(): Promise<void> {
    await this.#delete("delete everything", {
      os: this.#opts.os,
      arch: this.#opts.arch,
      everything: true,
      artifacts: [],
    });
  }

  /**
   * Stores local files (paths relative to `root`; directories recursively; symlinks as symlinks)
   * as artifacts named by those relative paths, in one request.
   *
   * @throws {ClientError} `INVALID` for a name outside `root` or missing, `IO`, or as {@link store}.
   */
  async storeFiles(opts: StoreFilesOptions): Promise<FilesResult> {
    this.#checkTarget(opts.target);
    this.#checkHash(opts.hash);
    const { artifacts, bytes } = await readFiles(opts.root ?? ".", opts.files, opts.onProgress);
    opts.onProgress?.({ phase: "send", bytes: 0, totalBytes: bytes });
    await this.store(opts.target, opts.hash, artifacts);
    opts.onProgress?.({ phase: "send", bytes, totalBytes: bytes });
    return { files: artifacts.map((a) => a.file), bytes };
  }

  /**
   * Retrieves artifacts and writes them under `out`: each file atomically (a temporary file in
   * the same directory, then a rename), symlinks as symlinks; a path that would land outside
   * `out` is refused before anything is written.
   *
   * @returns what was written, or `null` on a miss (nothing is written then).
   * @throws {ClientError} `UNSAFE_PATH`, `IO`, or as {@link retrieve}.
   */
  async retrieveFiles(opts: RetrieveFilesOptions): Promise<FilesResult | null> {
    opts.onProgress?.({ phase: "receive", bytes: 0, totalBytes: 0 });
    const artifacts = await this.retrieve(opts.target, opts.hash, opts.files);
    if (artifacts === null) return null;
    const total = artifacts.reduce((n, a) => n + a.body.length, 0);
    opts.onProgress?.({ phase: "receive", bytes: total, totalBytes: total });
    return writeFiles(opts.out ?? ".", artifacts, {
      ...(opts.fileMode !== undefined ? { fileMode: opts.fileMode } : {}),
      ...(opts.onProgress !== undefined ? { onProgress: opts.onProgress } : {}),
    });
  }

  /** Closes every connection. Calls in flight fail; later calls throw `CLOSED`. Idempotent. */
  async close(): Promise<void> {
    this.#router.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #delete(what: string, req: DeleteRequest): Promise<void> {
    const answers = await this.#router.broadcast(what, (c) =>
      callUnary(c, c.delete, req, { timeoutMs: this.#opts.timeoutMs }),
    );
    const refused = answers.filter((a) => !a.success).length;
    if (refused > 0) {
      throw new ClientError(
        "REFUSED",
        `${what}: ${refused} of ${answers.length} node(s) answered success: false`,
      );
    }
  }

  #checkTarget(t: TargetRef): void {
    if (typeof t.target !== "string" || t.target === "" || typeof t.package !== "string") {
      throw new ClientError(
        "INVALID",
        `invalid target ${JSON.stringify(t)}: it needs a package and a target name`,
      );
    }
  }

  #checkHash(hash: Uint8Array): void {
    if (!(hash instanceof Uint8Array) || hash.length < 4) {
      throw new ClientError("INVALID", `a request hash needs at least 4 bytes, got ${hash?.length ?? 0}`);
    }
  }
}
