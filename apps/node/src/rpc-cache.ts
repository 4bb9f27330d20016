import type { ServerUnaryCall, sendUnaryData } from "@grpc/grpc-js";
import {
  type Artifact,
  type DeleteRequest,
  type DeleteResponse,
  type ErrorCode,
  type ListRequest,
  type ListResponse,
  MAX_MESSAGE_BYTES,
  type Node,
  type RetrieveRequest,
  type RetrieveResponse,
  type RpcCacheServer,
  type StoreRequest,
  type StoreResponse,
  serviceError,
} from "@plz-cache/protocol";
import type { ArtifactRef, ArtifactStore, StoreMeta } from "@plz-cache/store";
import { StoreError, validateRef } from "@plz-cache/store";
import type { Access, AccessPolicy } from "./auth.js";
import type { NodeLogger } from "./logger.js";
import type { NodeMetrics } from "./metrics.js";

/** An error answered to the caller with a fixed gRPC status. */
export class RpcError extends Error {
  override readonly name = "RpcError";
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** What the cluster layer (when there is one) does around the cache's RPCs. */
export interface ClusterHooks {
  /** The nodes `ListNodes` returns; none when unclustered. */
  listNodes(): Node[];
  /** Called after a successful Store (replicate it). Must not throw. */
  afterStore(req: StoreRequest): void;
  /** Called after a Delete (forward it). Must not throw. */
  afterDelete(req: DeleteRequest): void;
}

export interface CacheServiceDeps {
  store: ArtifactStore;
  metrics: NodeMetrics;
  policy: AccessPolicy;
  logger: NodeLogger;
  cluster?: ClusterHooks | undefined;
}

/** Room left for the response's own framing when checking a Retrieve against the message limit. */
const RESPONSE_OVERHEAD_BYTES = 64 * 1024;

type Handler<Req, Res> = (req: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>;

/**
 * Wraps a handler: access check, latency histogram, and the one place where errors become
 * gRPC statuses. Nothing a caller sends can throw out of here.
 */
export function unaryHandler<Req, Res>(
  deps: Pick<CacheServiceDeps, "metrics" | "policy" | "logger">,
  method: string,
  access: Access,
  fn: Handler<Req, Res>,
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    const end = deps.metrics.rpcDuration.startTimer({ method });
    deps.logger.debug({ method, peer: call.getPeer() }, "rpc");
    const fail = (code: ErrorCode, details: string) => {
      end({ code });
      callback(serviceError(code, details));
    };
    if (!deps.policy.allows(call, access)) {
      fail("UNAUTHENTICATED", `${method} needs a ${access === "peer" ? "cluster peer" : access} certificate`);
      return;
    }
    fn(call.request, call).then(
      (res) => {
        end({ code: "OK" });
        callback(null, res);
      },
      (err: unknown) => {
        if (err instanceof RpcError) return fail(err.code, err.message);
        if (err instanceof StoreError && err.code === "INVALID_KEY")
          return fail("INVALID_ARGUMENT", err.message);
        deps.logger.error({ err, method }, "request failed");
        fail("INTERNAL", `${method} failed: ${(err as Error)?.message ?? String(err)}`);
      },
    );
  };
}

function requireHash(hash: Uint8Array): void {
  if (hash.length === 0) throw new RpcError("INVALID_ARGUMENT", "hash must not be empty");
}

/** The artifact reference for one artifact of a request, validated. */
export function refOf(os: string, arch: string, hash: Uint8Array, a: Artifact): ArtifactRef {
  const ref = { os, arch, hash, package: a.package, target: a.target, file: a.file };
  validateRef(ref);
  return ref;
}

/** Stores every artifact of a request (validated all first, so a bad one writes nothing). */
export async function storeArtifacts(
  store: ArtifactStore,
  req: { os: string; arch: string; hash: Uint8Array; artifacts: Artifact[] },
  meta: StoreMeta,
): Promise<number> {
  requireHash(req.hash);
  const refs = req.artifacts.map((a) => refOf(req.os, req.arch, req.hash, a));
  let bytes = 0;
  await Promise.all(
    req.artifacts.map(async (a, i) => {
      const ref = refs[i]!;
      if (a.symlink) await store.putSymlink(ref, a.symlink, meta);
      else {
        await store.put(ref, a.body, meta);
        bytes += a.body.length;
      }
    }),
  );
  return bytes;
}

/** Deletes what a Delete (or a delete Replicate) names. */
export async function deleteArtifacts(
  store: ArtifactStore,
  req: { os: string; arch: string; artifacts: Artifact[]; everything?: boolean },
): Promise<void> {
  if (req.everything) {
    await store.deleteAll();
    return;
  }
  const targets = req.artifacts.map((a) => ({
    os: req.os,
    arch: req.arch,
    package: a.package,
    target: a.target,
  }));
  for (const t of targets) validateRef(t);
  for (const t of targets) await store.deleteTarget(t);
}

/** The plz `RpcCache` service over the store. */
export function createRpcCacheService(deps: CacheServiceDeps): RpcCacheServer {
  const { store, metrics } = deps;

  const storeRpc: Handler<StoreRequest, StoreResponse> = async (req, call) => {
    const bytes = await storeArtifacts(store, req, { clientAddress: call.getPeer(), hostname: req.hostname });
    metrics.storedCount.inc({ arch: req.arch }, req.artifacts.length);
    metrics.storedBytes.inc({ arch: req.arch }, bytes);
    deps.cluster?.afterStore(req);
    return { success: true };
  };

  const retrieveRpc: Handler<RetrieveRequest, RetrieveResponse> = async (req) => {
    requireHash(req.hash);
    const refs = req.artifacts.map((a) => refOf(req.os, req.arch, req.hash, a));
    const found = await Promise.all(refs.map((ref) => store.get(ref)));
    const artifacts: Artifact[] = [];
    let bytes = 0;
    for (let i = 0; i < refs.length; i++) {
      const entries = found[i];
      if (!entries) {
        metrics.retrieveFailures.inc({ arch: req.arch });
        return { success: false, artifacts: [] };
      }
      const ref = refs[i]!;
      for (const e of entries) {
        const body = e.body ?? Buffer.alloc(0);
        bytes += body.length;
        artifacts.push({
          package: ref.package,
          target: ref.target,
          file: e.file,
          body,
          symlink: e.symlink ?? "",
        });
      }
    }
    if (bytes > MAX_MESSAGE_BYTES - RESPONSE_OVERHEAD_BYTES) {
      throw new RpcError(
        "RESOURCE_EXHAUSTED",
        `the requested artifacts total ${bytes} bytes, over the ${MAX_MESSAGE_BYTES}-byte message limit`,
      );
    }
    metrics.retrievedCount.inc({ arch: req.arch }, artifacts.length);
    metrics.retrievedBytes.inc({ arch: req.arch }, bytes);
    return { success: true, artifacts };
  };

  const deleteRpc: Handler<DeleteRequest, DeleteResponse> = async (req) => {
    await deleteArtifacts(store, req);
    deps.cluster?.afterDelete(req);
    return { success: true };
  };

  const listNodesRpc: Handler<ListRequest, ListResponse> = async () => ({
    nodes: deps.cluster?.listNodes() ?? [],
  });

  return {
    store: unaryHandler(deps, "Store", "write", storeRpc),
    retrieve: unaryHandler(deps, "Retrieve", "read", retrieveRpc),
    delete: unaryHandler(deps, "Delete", "write", deleteRpc),
    listNodes: unaryHandler(deps, "ListNodes", "read", listNodesRpc),
  };
}
