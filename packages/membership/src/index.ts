export type { Clock, Timer } from "./clock.js";
export { systemClock } from "./clock.js";
export type { MembershipErrorCode } from "./errors.js";
export { MembershipError } from "./errors.js";
export { MAX_META_BYTES } from "./internal/codec.js";
export { KDF_INFO, KDF_SALT } from "./internal/crypto.js";
export type { MembershipStatus } from "./membership.js";
export { Membership } from "./membership.js";
export type {
  DeliveryGate,
  LinkConditions,
  MemoryNetworkOptions,
  MemoryNetworkStats,
} from "./memory-transport.js";
export { MemoryNetwork, MemoryTransport } from "./memory-transport.js";
export type { MembershipOptions } from "./options.js";
export {
  DEFAULT_AWARENESS_MAX_MULTIPLIER,
  DEFAULT_BIND_HOST,
  DEFAULT_DEAD_REAP_MS,
  DEFAULT_GOSSIP_INTERVAL_MS,
  DEFAULT_GOSSIP_NODES,
  DEFAULT_GOSSIP_TO_THE_DEAD_MS,
  DEFAULT_INDIRECT_CHECKS,
  DEFAULT_JOIN_ATTEMPTS,
  DEFAULT_JOIN_RETRY_BASE_MS,
  DEFAULT_JOIN_RETRY_MAX_MS,
  DEFAULT_LEAVE_TIMEOUT_MS,
  DEFAULT_PORT,
  DEFAULT_PROBE_INTERVAL_MS,
  DEFAULT_PROBE_TIMEOUT_MS,
  DEFAULT_PUSH_PULL_INTERVAL_MS,
  DEFAULT_RETRANSMIT_MULT,
  DEFAULT_SUSPICION_MAX_TIMEOUT_MULT,
  DEFAULT_SUSPICION_MULT,
  DEFAULT_TCP_TIMEOUT_MS,
  DEFAULT_UDP_BUFFER_SIZE,
} from "./options.js";
export type { Rng } from "./rng.js";
export { createSeededRng, systemRng } from "./rng.js";
export type { SimEvent, SimNodeOptions, SimulatorOptions } from "./simulator.js";
export { Simulator } from "./simulator.js";
export type { RequestCallback, Transport, TransportDropReason, TransportHandler } from "./transport.js";
export type {
  DropReason,
  Logger,
  Member,
  MemberState,
  MembershipEventName,
  MembershipEvents,
  MembershipStats,
} from "./types.js";
export type { UdpTransportOptions } from "./udp-transport.js";
export { createUdpTransport, DEFAULT_MAX_FRAME_BYTES, DEFAULT_STREAM_IDLE_MS } from "./udp-transport.js";
export { VirtualClock } from "./virtual-clock.js";
