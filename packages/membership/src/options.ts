import type { Clock } from "./clock.js";
import type { Rng } from "./rng.js";
import type { Transport } from "./transport.js";
import type { Logger } from "./types.js";

// Defaults: memberlist's DefaultLANConfig where memberlist has the setting.
/** Gossip port (memberlist's BindPort); also the port assumed for a seed given without one. */
export const DEFAULT_PORT = 7946;
export const DEFAULT_BIND_HOST = "0.0.0.0";
export const DEFAULT_PROBE_INTERVAL_MS = 1000;
export const DEFAULT_PROBE_TIMEOUT_MS = 500;
export const DEFAULT_INDIRECT_CHECKS = 3;
export const DEFAULT_GOSSIP_INTERVAL_MS = 200;
export const DEFAULT_GOSSIP_NODES = 3;
export const DEFAULT_GOSSIP_TO_THE_DEAD_MS = 30_000;
export const DEFAULT_SUSPICION_MULT = 4;
export const DEFAULT_SUSPICION_MAX_TIMEOUT_MULT = 6;
export const DEFAULT_RETRANSMIT_MULT = 4;
export const DEFAULT_PUSH_PULL_INTERVAL_MS = 30_000;
export const DEFAULT_AWARENESS_MAX_MULTIPLIER = 8;
export const DEFAULT_TCP_TIMEOUT_MS = 10_000;
export const DEFAULT_UDP_BUFFER_SIZE = 1400;
/**
 * How long dead and left members stay listed before they are forgotten. While listed, dead
 * members are retried by push-pull, so a partition shorter than this heals by itself.
 * (memberlist forgets after about 30 s; Serf keeps failed members 24 h.)
 */
export const DEFAULT_DEAD_REAP_MS = 600_000;
export const DEFAULT_JOIN_ATTEMPTS = 5;
export const DEFAULT_JOIN_RETRY_BASE_MS = 500;
export const DEFAULT_JOIN_RETRY_MAX_MS = 8000;
export const DEFAULT_LEAVE_TIMEOUT_MS = 5000;

/** Options of {@link Membership}. Only `name` is required. */
export interface MembershipOptions {
  /** This node's unique name in the cluster (1..255 UTF-8 bytes), e.g. the host name. */
  name: string;
  /** Interface to bind when no `transport` is given. Default `"0.0.0.0"`. */
  bindHost?: string;
  /** Port for UDP and TCP when no `transport` is given; 0 picks a free one. Default 7946. */
  bindPort?: number;
  /** Host others should use to reach us. Default: the bound host, or the first non-internal IPv4 when bound to a wildcard. */
  advertiseHost?: string;
  /** Port others should use to reach us. Default: the bound port. */
  advertisePort?: number;
  /** Initial metadata (at most 512 bytes encoded). Default `{}`. */
  meta?: Record<string, string>;
  /** Cluster secret: every packet is encrypted and authenticated with a key derived from it. Default: none (plain text). */
  secret?: string;
  /** Several secrets for rotation: the first encrypts, all decrypt. `secret`, if also set, goes first. */
  keyring?: readonly string[];
  /** Packet transport. Default: a UDP+TCP transport on `bindHost:bindPort` ({@link createUdpTransport}). */
  transport?: Transport;
  /** Time source and timer scheduler. Default {@link systemClock}. */
  clock?: Clock;
  /** Random numbers in [0, 1). Default `Math.random`. */
  rng?: Rng;
  /** pino-compatible logger. Default: logs nothing. */
  logger?: Logger;

  /** Time between failure-detection probes. Default 1000 ms. */
  probeIntervalMs?: number;
  /** Wait for a direct ack before probing indirectly. Default 500 ms. */
  probeTimeoutMs?: number;
  /** Members asked to probe indirectly when a direct probe times out. Default 3. */
  indirectChecks?: number;
  /** Time between gossip rounds. Default 200 ms. */
  gossipIntervalMs?: number;
  /** Members gossiped to each round. Default 3. */
  gossipNodes?: number;
  /** Keep gossiping to a dead member for this long, so it can learn of and refute its death. Default 30 000 ms. */
  gossipToTheDeadMs?: number;
  /** Suspicion timeout multiplier: min timeout = suspicionMult * max(1, log10(n)) * probeInterval. Default 4. */
  suspicionMult?: number;
  /** Lifeguard: a fresh suspicion waits suspicionMaxTimeoutMult * the min timeout. Default 6. */
  suspicionMaxTimeoutMult?: number;
  /** Each broadcast is sent retransmitMult * ceil(log10(n + 1)) times. Default 4. */
  retransmitMult?: number;
  /** Full-state TCP sync with a random member this often (scaled up past 32 members); 0 disables. Default 30 000 ms. */
  pushPullIntervalMs?: number;
  /** Lifeguard: the health score ranges 0..awarenessMaxMultiplier-1. Default 8. */
  awarenessMaxMultiplier?: number;
  /** Timeout of a TCP exchange (push-pull, join). Default 10 000 ms. */
  tcpTimeoutMs?: number;
  /** Largest UDP packet we send (bigger gossip is split). Default 1400 bytes. */
  udpBufferSize?: number;
  /** Dead and left members are forgotten this long after their last change (a partition must heal within it). Default 600 000 ms (10 min). */
  deadReapMs?: number;
  /** Lifeguard features (health awareness, dynamic suspicion timeout, buddy system, nacks). Default true. */
  lifeguard?: boolean;
  /** Probe over TCP too when UDP probes fail (memberlist's TCP fallback ping). Default true. */
  tcpFallback?: boolean;
  /** Rounds of join attempts over the seed list before `join` fails. Default 5. */
  joinAttempts?: number;
  /** Backoff before the second join round; doubles each round. Default 500 ms. */
  joinRetryBaseMs?: number;
  /** Cap of the join backoff. Default 8000 ms. */
  joinRetryMaxMs?: number;
}
