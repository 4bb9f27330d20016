/** What a member is believed to be. `left` is a graceful departure, never a failure. */
export type MemberState = "alive" | "suspect" | "dead" | "left";

/** A snapshot of one member, as the local node sees it. Snapshots are frozen and never change. */
export interface Member {
  /** Unique name of the node in the cluster (e.g. its host name). */
  readonly name: string;
  /** Gossip address (`host:port`) the node advertises; UDP and TCP share the port. */
  readonly address: string;
  /** The node's metadata bag, e.g. `{ grpc: "10.0.0.7:7677", mode: "fixed" }`. */
  readonly meta: Readonly<Record<string, string>>;
  readonly state: MemberState;
  /** Incarnation number: only the node itself raises it (to refute, to update its meta, ...). */
  readonly incarnation: number;
}

/** The events a {@link Membership} emits. None fires for the local member. */
export interface MembershipEvents {
  /** A member was seen alive for the first time, or came back after being dead, left or reaped. */
  join: (member: Member) => void;
  /** An alive member changed its metadata or its address (e.g. it restarted on a new port). */
  update: (member: Member) => void;
  /** A member failed a probe and is suspected; it is still a member until declared dead. */
  suspect: (member: Member) => void;
  /** A suspected member proved it is alive (refuted the suspicion). */
  alive: (member: Member) => void;
  /** A member was declared dead (its suspicion timed out, or a peer said so). */
  dead: (member: Member) => void;
  /** A member left gracefully. */
  left: (member: Member) => void;
  /** A dead or left member was forgotten after `deadReapMs`; it no longer shows in `members()`. */
  reap: (member: Member) => void;
}

export type MembershipEventName = keyof MembershipEvents;

/**
 * A pino-compatible logger (`{ debug, info, warn, error }` taking `(bindings, message)`).
 * Pass a pino child logger; the default logs nothing.
 */
export interface Logger {
  debug(obj: Record<string, unknown>, msg: string): void;
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

/** Why an incoming or outgoing packet was dropped. */
export type DropReason =
  /** It did not decode: bad version, unknown type, bad lengths, invalid field, trailing bytes. */
  | "malformed"
  /** A UDP packet over 64 KiB or a TCP frame over the frame limit. */
  | "oversized"
  /** Encrypted, but no key of the keyring authenticates it (wrong secret or tampered). */
  | "auth_failed"
  /** Plain text while a secret is configured. */
  | "unencrypted"
  /** Encrypted while no secret is configured. */
  | "unexpected_encryption"
  /** A ping addressed to another node name (e.g. a stale address now used by someone else). */
  | "wrong_node"
  /** The transport refused to send (socket closed, bad address). */
  | "send_failed";

/** Counters returned by {@link Membership.stats}. All are totals since `start()`. */
export interface MembershipStats {
  /** UDP packets and TCP frames received (before decryption). */
  packetsIn: number;
  /** UDP packets and TCP frames sent (after encryption). */
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Protocol messages received/sent (a compound packet holds several). */
  messagesIn: number;
  messagesOut: number;
  /** TCP exchanges we opened (push-pull, fallback probes) and accepted. */
  streamsOut: number;
  streamsIn: number;
  /** Packets/frames dropped, by reason. */
  dropped: Record<DropReason, number>;
  /** Probes started, and probes that ended with the target suspected. */
  probes: number;
  probeFailures: number;
  /** Times we had to refute a suspicion or death about ourselves. */
  refutations: number;
  /** Lifeguard local health score (0 = healthy, up to awarenessMaxMultiplier - 1). */
  healthScore: number;
  /** Broadcasts waiting to be piggybacked or gossiped. */
  queuedBroadcasts: number;
}
