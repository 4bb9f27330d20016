/**
 * What replication sends, and the one interface it sends it through. Ops carry references
 * only (names and the request hash), never artifact bodies: the node's transport reads the
 * bodies from its local store when it sends, so a queued op costs a few hundred bytes.
 */

/** One stored file of a target, by name: the `{package}/{target}/.../{file}` part of its key. */
export interface ArtifactRef {
  readonly package: string;
  readonly target: string;
  /** The file name relative to the target's hash directory (as in `Artifact.file`). */
  readonly file: string;
}

/** A target, by name: what a plz `Delete` names (every hash of it goes). */
export interface TargetRef {
  readonly package: string;
  readonly target: string;
}

/** Copy a stored target's artifacts under one hash to a peer (a `Replicate` without `delete`). */
export interface StoreOp {
  readonly kind: "store";
  readonly os: string;
  readonly arch: string;
  /** The request hash (at least 4 bytes for placement). */
  readonly hash: Uint8Array;
  /** `StoreRequest.hostname`: the client host that stored it, kept in the metadata record. */
  readonly hostname: string;
  readonly artifacts: readonly ArtifactRef[];
}

/** Forward a delete to a peer (a `Replicate` with `delete: true`). */
export interface DeleteOp {
  readonly kind: "delete";
  readonly os: string;
  readonly arch: string;
  /** The targets to delete (every hash of each); ignored when `everything` is set. */
  readonly artifacts: readonly TargetRef[];
  /** Empty the peer's whole cache (`DeleteRequest.everything`). */
  readonly everything: boolean;
}

export type ReplicateOp = StoreOp | DeleteOp;

/**
 * How the replicator reaches another node. The node implements it with an `RpcServer` gRPC
 * client per peer (`Replicate`, with `peer` set to its own name) and its local store.
 *
 * Contract:
 * - resolve once the peer has applied the op (`ReplicateResponse.success === true`);
 * - reject with a `ReplicationError` saying why otherwise: `UNREACHABLE` (no connection,
 *   `UNAVAILABLE`), `REFUSED` (`success: false`, or a status the peer answered with),
 *   `OBSOLETE` when an artifact the op names is no longer in the local store (the op is then
 *   dropped for good). Anything else thrown counts as `UNREACHABLE`; every code but
 *   `OBSOLETE` is retried;
 * - honour `signal` (cancel the call when it aborts); the replicator stops waiting for the
 *   call when it aborts anyway.
 */
export interface ReplicationTransport {
  replicate(peer: string, op: ReplicateOp, signal: AbortSignal): Promise<void>;
}
