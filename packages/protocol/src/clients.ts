import { type ChannelCredentials, credentials as grpcCredentials } from "@grpc/grpc-js";
import { type ClientChannelOptions, clientChannelOptions } from "./channel-options.js";
import { HealthClient } from "./gen/grpc/health/v1/health.js";
import { PeerSyncClient } from "./gen/plz_cache/v1/peer.js";
import { RpcCacheClient, RpcServerClient } from "./gen/rpc_cache.js";

/** How to reach a server: its address and, optionally, TLS credentials (insecure by default). */
export interface DialOptions extends ClientChannelOptions {
  /** Channel credentials. Default: insecure. */
  credentials?: ChannelCredentials;
}

function dial<T>(Ctor: new (address: string, creds: ChannelCredentials, options: object) => T) {
  return (address: string, opts: DialOptions = {}): T =>
    new Ctor(address, opts.credentials ?? grpcCredentials.createInsecure(), clientChannelOptions(opts));
}

/** A client of the `RpcCache` service with the spec's message limits and gzip. */
export const createRpcCacheClient: (address: string, opts?: DialOptions) => RpcCacheClient =
  dial(RpcCacheClient);

/** A client of the node-to-node `RpcServer` service with the spec's message limits and gzip. */
export const createRpcServerClient: (address: string, opts?: DialOptions) => RpcServerClient =
  dial(RpcServerClient);

/** A client of the standard `grpc.health.v1.Health` service. */
export const createHealthClient: (address: string, opts?: DialOptions) => HealthClient = dial(HealthClient);

/** A client of plz-cache's own node-to-node `PeerSync` service. */
export const createPeerSyncClient: (address: string, opts?: DialOptions) => PeerSyncClient =
  dial(PeerSyncClient);
