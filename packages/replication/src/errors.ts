/**
 * Every error this package raises or reports is a {@link ReplicationError}. Its `code` is stable
 * across versions, so callers (and the node's transport implementation, which raises them too)
 * can branch on it; map codes to gRPC status in one place at the edge.
 */
export type ReplicationErrorCode =
  /** The peer could not be reached (connection refused, DNS, unavailable). Retried. */
  | "UNREACHABLE"
  /** The peer answered but did not apply the op (`success: false`, a refused status). Retried. */
  | "REFUSED"
  /** A send did not finish within `sendTimeoutMs`. Retried. */
  | "TIMEOUT"
  /**
   * The op can no longer be sent and never will be: an artifact it names is gone from the local
   * store (evicted, deleted). The queued item is dropped, not retried.
   */
  | "OBSOLETE"
  /** The retry queue was full and dropped this op (the oldest) to make room. */
  | "QUEUE_FULL"
  /** The replicator or queue is closed (or closing) and takes no new work; sends were aborted. */
  | "CLOSED"
  /** The queue's journal could not be written or read; the op is kept in memory only. */
  | "IO"
  /** The queue's journal directory holds a file that is not a journal of ours. */
  | "CORRUPT";

export interface ReplicationErrorOptions {
  /** The underlying error, if any. */
  readonly cause?: unknown;
}

export class ReplicationError extends Error {
  override readonly name = "ReplicationError";
  readonly code: ReplicationErrorCode;

  constructor(code: ReplicationErrorCode, message: string, options?: ReplicationErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** Whether `err` is a {@link ReplicationError}, optionally with the given code. */
export function isReplicationError(err: unknown, code?: ReplicationErrorCode): err is ReplicationError {
  return err instanceof ReplicationError && (code === undefined || err.code === code);
}

/** Wraps anything thrown by a transport as a {@link ReplicationError} (unknown failures are `UNREACHABLE`). */
export function toReplicationError(err: unknown): ReplicationError {
  if (err instanceof ReplicationError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ReplicationError("UNREACHABLE", message, { cause: err });
}
