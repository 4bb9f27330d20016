import type {
  JoinRequest,
  JoinResponse,
  KeyEntry,
  PeerSyncServer,
  ReplicateRequest,
  ReplicateResponse,
  RpcServerServer,
} from "@plz-cache/protocol";
import type { ArtifactStore } from "@plz-cache/store";
import type { AccessPolicy } from "../auth.js";
import type { NodeLogger } from "../logger.js";
import type { NodeMetrics } from "../metrics.js";
import { deleteArtifacts, RpcError, refOf, storeArtifacts, unaryHandler } from "../rpc-cache.js";

/** What the node-to-node services need from the cluster. */
export interface PeerHandlers {
  /** Answers a Join; `undefined` when this node is not in a cluster. */
  join(req: JoinRequest): Promise<JoinResponse> | undefined;
  /** Whether this node is in a cluster (Replicate and PeerSync are refused otherwise). */
  readonly clustered: boolean;
}

interface Deps {
  store: ArtifactStore;
  metrics: NodeMetrics;
  policy: AccessPolicy;
  logger: NodeLogger;
  peers: () => PeerHandlers | undefined;
}

function requireCluster(deps: Deps): PeerHandlers {
  const p = deps.peers();
  if (!p?.clustered) throw new RpcError("FAILED_PRECONDITION", "this node is not part of a cluster");
  return p;
}

/** Largest page a partner may ask for. */
const MAX_LIST_KEYS = 10_000;

/**
 * The plz `RpcServer` service (Join, Replicate) and plz-cache's `PeerSync`, both for cluster
 * peers only: every call must pass the peer check (cluster certificate or secret).
 */
export function createPeerServices(deps: Deps): { rpcServer: RpcServerServer; peerSync: PeerSyncServer } {
  const { store } = deps;
  const join = async (req: JoinRequest): Promise<JoinResponse> => {
    const answer = requireCluster(deps).join(req);
    if (!answer) throw new RpcError("FAILED_PRECONDITION", "this node is not part of a cluster");
    return answer;
  };
  const replicate = async (
    req: ReplicateRequest,
    call: { getPeer(): string },
  ): Promise<ReplicateResponse> => {
    requireCluster(deps);
    if (req.delete) {
      // No artifacts is how `everything` travels (the message has no such field); our senders
      // never forward a delete that names nothing and is not `everything`.
      await deleteArtifacts(store, { ...req, everything: req.artifacts.length === 0 });
    } else {
      await storeArtifacts(store, req, {
        clientAddress: call.getPeer(),
        hostname: req.hostname,
        replicated: true,
        peer: req.peer,
      });
    }
    // Applied locally and never passed on.
    return { success: true };
  };
  return {
    rpcServer: {
      join: unaryHandler(deps, "Join", "peer", join),
      replicate: unaryHandler(deps, "Replicate", "peer", replicate),
    },
    peerSync: {
      listKeys: unaryHandler(deps, "ListKeys", "peer", async (req) => {
        requireCluster(deps);
        const end = req.endIsTop ? 2 ** 32 : req.end;
        const limit = Math.min(Math.max(req.limit || 1000, 1), MAX_LIST_KEYS);
        const rows = store.scanRange(req.begin, end, {
          limit: limit + 1,
          ...(req.after ? { after: req.after } : {}),
        });
        const page = rows.slice(0, limit);
        const keys: KeyEntry[] = page.map((r) => ({
          key: r.key,
          digest: r.digest,
          os: r.ref.os,
          arch: r.ref.arch,
          hash: Buffer.from(r.ref.hash),
          package: r.ref.package,
          target: r.ref.target,
          file: r.ref.file,
          point: r.point,
        }));
        return { keys, next: rows.length > limit ? (page[page.length - 1]?.key ?? "") : "" };
      }),
      fetch: unaryHandler(deps, "Fetch", "peer", async (req) => {
        requireCluster(deps);
        const artifacts = [];
        for (const a of req.artifacts) {
          const ref = refOf(req.os, req.arch, req.hash, a);
          const entries = await store.get(ref);
          const e = entries?.find((x) => x.file === a.file);
          if (!e) return { success: false, artifacts: [] };
          artifacts.push({ ...a, body: e.body ?? Buffer.alloc(0), symlink: e.symlink ?? "" });
        }
        return { success: true, artifacts };
      }),
    },
  };
}
