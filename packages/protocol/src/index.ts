export type { ClientChannelOptions, ServerChannelOptions } from "./channel-options.js";
export { clientChannelOptions, serverChannelOptions } from "./channel-options.js";
export type { DialOptions } from "./clients.js";
export {
  createHealthClient,
  createPeerSyncClient,
  createRpcCacheClient,
  createRpcServerClient,
} from "./clients.js";
export type { HealthServer } from "./gen/grpc/health/v1/health.js";
export {
  HealthCheckRequest,
  HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
  HealthClient,
  HealthService,
} from "./gen/grpc/health/v1/health.js";
export type { PeerSyncServer } from "./gen/plz_cache/v1/peer.js";
export {
  KeyEntry,
  ListKeysRequest,
  ListKeysResponse,
  PeerSyncClient,
  PeerSyncService,
} from "./gen/plz_cache/v1/peer.js";
export type { RpcCacheServer, RpcServerServer } from "./gen/rpc_cache.js";
export {
  Artifact,
  DeleteRequest,
  DeleteResponse,
  JoinRequest,
  JoinResponse,
  ListRequest,
  ListResponse,
  Node,
  ReplicateRequest,
  ReplicateResponse,
  RetrieveRequest,
  RetrieveResponse,
  RpcCacheClient,
  RpcCacheService,
  RpcServerClient,
  RpcServerService,
  StoreRequest,
  StoreResponse,
} from "./gen/rpc_cache.js";
export { encodeHash } from "./key.js";
export { COMPRESSION_GZIP, HEALTH_SERVICE_NAME, MAX_MESSAGE_BYTES } from "./limits.js";
export type { ErrorCode } from "./status.js";
export { ERROR_STATUS, isRetryableStatus, isServiceError, serviceError, statusFor } from "./status.js";
export type { CallSettings, UnaryMethod } from "./unary.js";
export { callUnary } from "./unary.js";
