/**
 * The seams between the protocol's parts. The engine implements {@link Core}; the node
 * table, the prober and the gossiper each get it and nothing else, so each can be read (and
 * tested) alone.
 */
import type { Clock } from "../clock.js";
import type { Rng } from "../rng.js";
import type { DropReason, Logger, MemberState, MembershipEventName } from "../types.js";
import type { Awareness } from "./awareness.js";
import type { BroadcastQueue } from "./broadcast-queue.js";
import type { Message, Meta } from "./codec.js";
import type { Config } from "./config.js";

/** The local view of one member. Mutable, owned by the node table. */
export interface NodeState {
  readonly name: string;
  addr: string;
  meta: Meta;
  incarnation: number;
  state: MemberState;
  /** Clock time of the last change of `state`. */
  stateChangeAt: number;
}

/** Mutable counters behind `Membership.stats()`. */
export interface Counters {
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
  streamsIn: number;
  streamsOut: number;
  dropped: Record<DropReason, number>;
  probes: number;
  probeFailures: number;
  refutations: number;
}

export function newCounters(): Counters {
  return {
    packetsIn: 0,
    packetsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    messagesIn: 0,
    messagesOut: 0,
    streamsIn: 0,
    streamsOut: 0,
    dropped: {
      malformed: 0,
      oversized: 0,
      auth_failed: 0,
      unencrypted: 0,
      unexpected_encryption: 0,
      wrong_node: 0,
      send_failed: 0,
    },
    probes: 0,
    probeFailures: 0,
    refutations: 0,
  };
}

export type StreamCallback = (err: Error | undefined, messages: Message[] | undefined) => void;

export interface Core {
  readonly cfg: Config;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly log: Logger;
  readonly awareness: Awareness;
  readonly queue: BroadcastQueue;
  readonly counters: Counters;
  /** True once `close()` has begun: timers stop rescheduling, handlers ignore input. */
  readonly closed: boolean;
  /** Sends encoded messages in one UDP packet, filling the rest with queued broadcasts. */
  send(to: string, messages: readonly Uint8Array[]): void;
  /** Sends one packet made only of queued broadcasts; false if there was nothing to send. */
  sendGossip(to: string): boolean;
  /** One TCP request/response exchange carrying `message`. */
  request(to: string, message: Uint8Array, timeoutMs: number, callback: StreamCallback): void;
  /** Tells the layers above that `node` changed. */
  emit(event: MembershipEventName, node: NodeState): void;
}
