import type { ChannelCredentials, Metadata } from "@grpc/grpc-js";
import {
  createPeerSyncClient,
  createRpcServerClient,
  type PeerSyncClient,
  type RpcServerClient,
} from "@plz-cache/protocol";
import type { PeerAuth } from "./peer-auth.js";

/** gRPC clients to other nodes, one channel per address, with peer authentication attached. */
export class PeerClients {
  readonly #rpc = new Map<string, RpcServerClient>();
  readonly #sync = new Map<string, PeerSyncClient>();
  readonly #credentials: ChannelCredentials | undefined;
  readonly #auth: PeerAuth | undefined;

  constructor(credentials: ChannelCredentials | undefined, auth: PeerAuth | undefined) {
    this.#credentials = credentials;
    this.#auth = auth;
  }

  rpcServer(address: string): RpcServerClient {
    let c = this.#rpc.get(address);
    if (!c) {
      c = createRpcServerClient(address, this.#credentials ? { credentials: this.#credentials } : {});
      this.#rpc.set(address, c);
    }
    return c;
  }

  peerSync(address: string): PeerSyncClient {
    let c = this.#sync.get(address);
    if (!c) {
      c = createPeerSyncClient(address, this.#credentials ? { credentials: this.#credentials } : {});
      this.#sync.set(address, c);
    }
    return c;
  }

  /** Metadata for a call to `path`, with the peer token when a cluster secret is set. */
  metadata(path: string): Metadata | undefined {
    return this.#auth?.metadata(path);
  }

  close(): void {
    for (const c of [...this.#rpc.values(), ...this.#sync.values()]) c.close();
    this.#rpc.clear();
    this.#sync.clear();
  }
}
