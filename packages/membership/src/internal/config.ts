import { type Clock, systemClock } from "../clock.js";
import { MembershipError } from "../errors.js";
import type { MembershipOptions } from "../options.js";
import * as D from "../options.js";
import { type Rng, systemRng } from "../rng.js";
import type { Logger } from "../types.js";

/** Options with every default applied, validated once in the constructor. */
export interface Config {
  readonly name: string;
  readonly bindHost: string;
  readonly bindPort: number;
  readonly advertiseHost: string | undefined;
  readonly advertisePort: number | undefined;
  readonly secrets: readonly string[];
  readonly clock: Clock;
  readonly rng: Rng;
  readonly logger: Logger;
  readonly probeIntervalMs: number;
  readonly probeTimeoutMs: number;
  readonly indirectChecks: number;
  readonly gossipIntervalMs: number;
  readonly gossipNodes: number;
  readonly gossipToTheDeadMs: number;
  readonly suspicionMult: number;
  readonly suspicionMaxTimeoutMult: number;
  readonly retransmitMult: number;
  readonly pushPullIntervalMs: number;
  readonly awarenessMaxMultiplier: number;
  readonly tcpTimeoutMs: number;
  readonly udpBufferSize: number;
  readonly deadReapMs: number;
  readonly lifeguard: boolean;
  readonly tcpFallback: boolean;
  readonly joinAttempts: number;
  readonly joinRetryBaseMs: number;
  readonly joinRetryMaxMs: number;
}

const noop = (): void => {};
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

function check(name: string, value: number, min: number, integer = true): number {
  if (
    typeof value !== "number" ||
    !Number.isFinite(value) ||
    value < min ||
    (integer && !Number.isInteger(value))
  ) {
    throw new MembershipError(
      "INVALID_OPTIONS",
      `${name} must be ${integer ? "an integer" : "a number"} >= ${min}, got ${String(value)}`,
    );
  }
  return value;
}

export function resolveConfig(opts: MembershipOptions): Config {
  if (typeof opts?.name !== "string" || opts.name.length === 0 || Buffer.byteLength(opts.name) > 255) {
    throw new MembershipError("INVALID_OPTIONS", "name must be a non-empty string of at most 255 bytes");
  }
  const secrets = [...(opts.secret !== undefined ? [opts.secret] : []), ...(opts.keyring ?? [])];
  for (const s of secrets) {
    if (typeof s !== "string" || s.length === 0) {
      throw new MembershipError("INVALID_OPTIONS", "secrets must be non-empty strings");
    }
  }
  const probeIntervalMs = check(
    "probeIntervalMs",
    opts.probeIntervalMs ?? D.DEFAULT_PROBE_INTERVAL_MS,
    1,
    false,
  );
  const probeTimeoutMs = check("probeTimeoutMs", opts.probeTimeoutMs ?? D.DEFAULT_PROBE_TIMEOUT_MS, 1, false);
  if (probeTimeoutMs > probeIntervalMs) {
    throw new MembershipError("INVALID_OPTIONS", "probeTimeoutMs must not exceed probeIntervalMs");
  }
  const advertisePort = opts.advertisePort;
  if (advertisePort !== undefined) check("advertisePort", advertisePort, 1);
  if (advertisePort !== undefined && advertisePort > 65535) {
    throw new MembershipError("INVALID_OPTIONS", "advertisePort must be <= 65535");
  }
  const bindPort = check("bindPort", opts.bindPort ?? D.DEFAULT_PORT, 0);
  if (bindPort > 65535) throw new MembershipError("INVALID_OPTIONS", "bindPort must be <= 65535");
  return {
    name: opts.name,
    bindHost: opts.bindHost ?? D.DEFAULT_BIND_HOST,
    bindPort,
    advertiseHost: opts.advertiseHost,
    advertisePort,
    secrets: [...new Set(secrets)],
    clock: opts.clock ?? systemClock,
    rng: opts.rng ?? systemRng,
    logger: opts.logger ?? silentLogger,
    probeIntervalMs,
    probeTimeoutMs,
    indirectChecks: check("indirectChecks", opts.indirectChecks ?? D.DEFAULT_INDIRECT_CHECKS, 0),
    gossipIntervalMs: check(
      "gossipIntervalMs",
      opts.gossipIntervalMs ?? D.DEFAULT_GOSSIP_INTERVAL_MS,
      1,
      false,
    ),
    gossipNodes: check("gossipNodes", opts.gossipNodes ?? D.DEFAULT_GOSSIP_NODES, 0),
    gossipToTheDeadMs: check(
      "gossipToTheDeadMs",
      opts.gossipToTheDeadMs ?? D.DEFAULT_GOSSIP_TO_THE_DEAD_MS,
      0,
      false,
    ),
    suspicionMult: check("suspicionMult", opts.suspicionMult ?? D.DEFAULT_SUSPICION_MULT, 1),
    suspicionMaxTimeoutMult: check(
      "suspicionMaxTimeoutMult",
      opts.suspicionMaxTimeoutMult ?? D.DEFAULT_SUSPICION_MAX_TIMEOUT_MULT,
      1,
    ),
    retransmitMult: check("retransmitMult", opts.retransmitMult ?? D.DEFAULT_RETRANSMIT_MULT, 1),
    pushPullIntervalMs: check(
      "pushPullIntervalMs",
      opts.pushPullIntervalMs ?? D.DEFAULT_PUSH_PULL_INTERVAL_MS,
      0,
      false,
    ),
    awarenessMaxMultiplier: check(
      "awarenessMaxMultiplier",
      opts.awarenessMaxMultiplier ?? D.DEFAULT_AWARENESS_MAX_MULTIPLIER,
      1,
    ),
    tcpTimeoutMs: check("tcpTimeoutMs", opts.tcpTimeoutMs ?? D.DEFAULT_TCP_TIMEOUT_MS, 1, false),
    udpBufferSize: check("udpBufferSize", opts.udpBufferSize ?? D.DEFAULT_UDP_BUFFER_SIZE, 576),
    deadReapMs: check("deadReapMs", opts.deadReapMs ?? D.DEFAULT_DEAD_REAP_MS, 0, false),
    lifeguard: opts.lifeguard ?? true,
    tcpFallback: opts.tcpFallback ?? true,
    joinAttempts: check("joinAttempts", opts.joinAttempts ?? D.DEFAULT_JOIN_ATTEMPTS, 1),
    joinRetryBaseMs: check("joinRetryBaseMs", opts.joinRetryBaseMs ?? D.DEFAULT_JOIN_RETRY_BASE_MS, 0, false),
    joinRetryMaxMs: check("joinRetryMaxMs", opts.joinRetryMaxMs ?? D.DEFAULT_JOIN_RETRY_MAX_MS, 0, false),
  };
}
