import { status } from "@grpc/grpc-js";
import { type Artifact, callUnary, isServiceError, RpcServerService } from "@plz-cache/protocol";
import { type ReplicateOp, ReplicationError, type ReplicationTransport } from "@plz-cache/replication";
import type { ArtifactStore } from "@plz-cache/store";
import type { PeerClients } from "./peer-clients.js";

/** Replication's transport over `RpcServer.Replicate`, reading bodies from the local store. */
export class GrpcReplicationTransport implements ReplicationTransport {
  readonly #store: ArtifactStore;
  readonly #clients: PeerClients;
  readonly #addressOf: (peer: string) => string | undefined;
  readonly #self: string;
  readonly #timeoutMs: number;

  constructor(opts: {
    store: ArtifactStore;
    clients: PeerClients;
    addressOf: (peer: string) => string | undefined;
    self: string;
    timeoutMs?: number;
  }) {
    this.#store = opts.store;
    this.#clients = opts.clients;
    this.#addressOf = opts.addressOf;
    this.#self = opts.self;
    this.#timeoutMs = opts.timeoutMs ?? 60_000;
  }

  async replicate(peer: string, op: ReplicateOp, signal: AbortSignal): Promise<void> {
    const address = this.#addressOf(peer);
    if (!address) throw new ReplicationError("UNREACHABLE", `no address known for ${peer}`);
    let artifacts: Artifact[];
    let hash = Buffer.alloc(0);
    if (op.kind === "store") {
      hash = Buffer.from(op.hash);
      artifacts = await Promise.all(
        op.artifacts.map(async (a) => {
          const ref = {
            os: op.os,
            arch: op.arch,
            hash: op.hash,
            package: a.package,
            target: a.target,
            file: a.file,
          };
          const entries = await this.#store.get(ref);
          const e = entries?.find((x) => x.file === a.file);
          if (!e)
            throw new ReplicationError(
              "OBSOLETE",
              `${a.package}:${a.target}/${a.file} is no longer stored here`,
            );
          return { ...a, body: e.body ?? Buffer.alloc(0), symlink: e.symlink ?? "" };
        }),
      );
    } else {
      // ReplicateRequest has no `everything`: a delete naming no artifacts means everything
      // (a delete of nothing would otherwise be meaningless). So a delete of nothing is never
      // sent: it would empty the peer. (The replicator does not forward one; this catches any
      // left in a retry journal written before it stopped doing so.)
      if (!op.everything && op.artifacts.length === 0) return;
      artifacts = op.everything
        ? []
        : op.artifacts.map((t) => ({
            package: t.package,
            target: t.target,
            file: "",
            body: Buffer.alloc(0),
            symlink: "",
          }));
    }
    const client = this.#clients.rpcServer(address);
    const md = this.#clients.metadata(RpcServerService.replicate.path);
    const call = callUnary(
      client,
      client.replicate,
      {
        artifacts,
        os: op.os,
        arch: op.arch,
        hash,
        delete: op.kind === "delete",
        hostname: op.kind === "store" ? op.hostname : "",
        peer: this.#self,
      },
      { timeoutMs: this.#timeoutMs, ...(md ? { metadata: md } : {}) },
    );
    const aborted = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(new ReplicationError("CLOSED", "aborted"));
      signal.addEventListener("abort", () => reject(new ReplicationError("CLOSED", "aborted")), {
        once: true,
      });
    });
    let res: { success: boolean };
    try {
      res = await Promise.race([call, aborted]);
    } catch (err) {
      if (err instanceof ReplicationError) throw err;
      if (isServiceError(err) && err.code !== status.UNAVAILABLE && err.code !== status.DEADLINE_EXCEEDED) {
        throw new ReplicationError("REFUSED", `${peer} refused: ${err.details}`, { cause: err });
      }
      throw new ReplicationError("UNREACHABLE", `${peer} unreachable: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (!res.success) throw new ReplicationError("REFUSED", `${peer} answered success: false`);
  }
}
