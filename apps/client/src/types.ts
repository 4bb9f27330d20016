/** The shapes the client's methods take and return. */

/** A build target: plz's `//package:target`, on one platform. */
export interface TargetRef {
  /** The target's package, e.g. `src/core` (`""` is the root package). */
  readonly package: string;
  /** The target's name, e.g. `core`. Must not be empty. */
  readonly target: string;
  /** Platform OS in plz's naming. Default: the client's `os` option. */
  readonly os?: string;
  /** Platform architecture in plz's naming. Default: the client's `arch` option. */
  readonly arch?: string;
}

/** One output of a target to store: a file with a body, or a symlink. */
export interface ArtifactInput {
  /** Path of the output, relative to the target's output directory, `/`-separated. */
  readonly file: string;
  /** The file's contents. Default: empty. Must be empty for a symlink. */
  readonly body?: Uint8Array;
  /** When set, the artifact is a symlink to this destination (which is never followed). */
  readonly symlink?: string;
}

/** One artifact the cache returned. */
export interface RetrievedArtifact {
  /** Path relative to the target's output directory (a requested directory comes back file by file). */
  readonly file: string;
  /** The file's contents (empty for a symlink). */
  readonly body: Buffer;
  /** Set when the artifact is a symlink: its destination. */
  readonly symlink?: string;
}

/** A cluster node as `ListNodes` reports it. */
export interface NodeInfo {
  /** The node's name. */
  readonly name: string;
  /** `host:port` of the node's gRPC server. */
  readonly address: string;
  /** First point of the hash range the node owns. */
  readonly hashBegin: number;
  /** First point past its range (exclusive); the node with the last range also owns 0xFFFFFFFF. */
  readonly hashEnd: number;
}

/** Progress of a transfer, reported to `onProgress` callbacks. */
export interface TransferProgress {
  /** What is happening: reading local files, waiting for the cache, writing local files. */
  readonly phase: "read" | "send" | "receive" | "write";
  /** Bytes of file contents done so far in this phase. */
  readonly bytes: number;
  /** Bytes of file contents in all (known from the start of "read", and from the end of "receive"). */
  readonly totalBytes: number;
}
