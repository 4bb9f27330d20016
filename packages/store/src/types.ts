import type { StoreEvent } from "./events.js";

/** One target of one build configuration: `{os}_{arch}/{package}/{target}`. */
export interface TargetRef {
  /** Operating system of the build configuration, e.g. `linux`. One path segment. */
  os: string;
  /** Architecture, e.g. `amd64`. One path segment. */
  arch: string;
  /** The plz package, e.g. `src/core`; `""` is the root package. Zero or more segments. */
  package: string;
  /** The target's name within its package, e.g. `core_test`. One segment. */
  target: string;
}

/** One artifact (one output file) of a target under one request hash. */
export interface ArtifactRef extends TargetRef {
  /** The request hash (4 to 64 bytes); its first 4 bytes place the key in the hash space. */
  hash: Uint8Array;
  /** The output's path relative to the hash directory, e.g. `out/lib.a`. One or more segments. */
  file: string;
}

/** Who stored an artifact (spec §2: the original kept this next to each target directory). */
export interface StoreMeta {
  /** Address of the client that sent the Store (e.g. `10.0.0.5:51234`). */
  clientAddress?: string | undefined;
  /** Host name the client reported in its request. */
  hostname?: string | undefined;
  /** True when the artifact arrived by replication from another node. */
  replicated?: boolean | undefined;
  /** Host name of the node that replicated it here. */
  peer?: string | undefined;
}

/** What `get` returns for each artifact: a body, or a symlink destination (never both). */
export interface StoredEntry {
  /** Path relative to the hash directory `{os}_{arch}/{package}/{target}/{H}`. */
  file: string;
  /** The body, for a regular file (possibly empty). Absent for a symlink. */
  body?: Buffer;
  /** The link destination, for a symlink artifact. Absent for a regular file. */
  symlink?: string;
}

/** Everything the store knows about one artifact. */
export interface ArtifactInfo {
  /** `{os}_{arch}/{package}/{target}/{H}/{file}` (see `artifactKey`). */
  key: string;
  ref: ArtifactRef;
  /** Body size in bytes (0 for a symlink). */
  size: number;
  /** sha256 of the body, lowercase hex. */
  digest: string;
  kind: "file" | "symlink";
  /** The link destination when `kind` is `"symlink"`. */
  symlink?: string;
  /** When it was stored (ms, from the store's clock). */
  storedAt: number;
  /** When it was last read (ms); equals `storedAt` until the first read. */
  lastRead: number;
  /** The key's plz hash point: the first 4 bytes of `ref.hash` as a little-endian uint32. */
  point: number;
  meta: StoreMeta;
}

/** A pino-compatible logger function: `log(obj, msg)` or `log(msg)`. */
export type LogFn = (objOrMsg: object | string, msg?: string) => void;

/** The subset of a pino logger this package uses. Hand it a child with your bindings. */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

/** A body to store: bytes, or any (async) iterable/stream of byte chunks. */
export type BodySource = Uint8Array | AsyncIterable<Uint8Array> | NodeJS.ReadableStream;

export interface StoreOptions {
  /** Storage directory; created if missing. Everything the store writes stays below it. */
  dir: string;
  /** Cleaning removes least recently read artifacts down to this many body bytes. Default 18 GiB. */
  lowWaterMark?: number | undefined;
  /** Size cleaning starts when body bytes exceed this. Default 20 GiB. */
  highWaterMark?: number | undefined;
  /** Artifacts not read for this long are removed by `clean()`. Default 720 h. */
  maxArtifactAgeMs?: number | undefined;
  /** Period of the cleaning started by `start()`. Default 10 min. */
  cleanFrequencyMs?: number | undefined;
  /** fdatasync each blob before it is renamed into place. Default true. */
  fsync?: boolean | undefined;
  /** Also fsync the blob's directory after the rename (makes the rename itself durable). Default false. */
  fsyncDirectories?: boolean | undefined;
  /** How often batched last-read times are written to the index. Default 1000 ms. */
  lastReadFlushMs?: number | undefined;
  /**
   * Bytes of small (<= 256 KiB) recently read bodies kept in memory, checked against the
   * index row and the digest on every hit. 0 disables it. Default 64 MiB.
   */
  readCacheBytes?: number | undefined;
  /**
   * Bodies of at most this many bytes, given whole (a `Uint8Array`), are stored inline in the
   * index (one group-committed SQLite transaction, no file), as are symlinks; larger ones and
   * streamed ones go to blob files. 0 stores every file body in a blob file. Default 32 KiB
   * (`DEFAULT_INLINE_MAX_BYTES`).
   */
  inlineMaxBytes?: number | undefined;
  /** Time source for stored-at, last-read and ages, in ms. Default `Date.now`. */
  clock?: (() => number) | undefined;
  /** Where warnings (rebuilds, corrupt blobs) go. Default: a logger that drops everything. */
  logger?: Logger | undefined;
  /** Called synchronously for every eviction, corruption, stale entry and rebuild (for metrics). */
  onEvent?: ((event: StoreEvent) => void) | undefined;
}

/** Sizes and counters since `open` (counters are not persisted). */
export interface StoreStats {
  /** Sum of the body sizes of every indexed artifact. */
  totalBytes: number;
  /** Number of indexed artifacts (files and symlinks). */
  numFiles: number;
  /** Artifacts removed by cleaning (age or water marks). */
  evictedFiles: number;
  /** Body bytes removed by cleaning. */
  evictedBytes: number;
  /** Blobs found corrupt (and removed). */
  corruptBlobs: number;
  /** Index rows whose blob was missing (and were removed). */
  staleEntries: number;
  /** 1 when this open rebuilt the index from the blobs, else 0. */
  rebuilds: number;
}

/** What one `clean()` removed. */
export interface CleanResult {
  removedFiles: number;
  removedBytes: number;
}

/** Pace of a reconcile pass (it runs beside normal traffic). */
export interface ReconcileOptions {
  /** Leaf directories (`blobs/ab/cd`) handled between two pauses. Default 32. */
  leavesPerPause: number;
  /** Length of each pause, ms. Default 10. */
  pauseMs: number;
}
