/** Why a transport discarded incoming bytes before handing them to the protocol. */
export type TransportDropReason = "oversized" | "malformed";

/** Callbacks a {@link Transport} delivers to (the protocol layer implements them). */
export interface TransportHandler {
  /** A datagram (UDP in the real transport) arrived from `from` (`host:port`). */
  onPacket(data: Uint8Array, from: string): void;
  /**
   * A request arrived on the reliable channel (TCP). Return the response bytes, or
   * `undefined` to close the exchange without answering.
   */
  onRequest(data: Uint8Array, from: string): Uint8Array | undefined;
  /** The transport dropped something on its own (e.g. a TCP frame over its limit). */
  onDrop(reason: TransportDropReason, bytes: number): void;
}

/** `code` of the error a transport reports when the peer closed the exchange without replying. */
export const NO_REPLY = "ERR_NO_REPLY";

/** The error for a request the peer accepted and then closed without a reply. */
export function noReplyError(to: string): Error & { code: string } {
  return Object.assign(new Error(`${to} closed the connection without a reply`), { code: NO_REPLY });
}

/** Completion callback of {@link Transport.request}: an error, or the response bytes. */
export type RequestCallback = (err: Error | undefined, response: Uint8Array | undefined) => void;

/**
 * How a membership instance talks to its peers. Two channels, both addressed by `host:port`:
 * best-effort datagrams for probes and gossip, and reliable request/response exchanges for
 * push-pull state sync and the fallback probe. Bytes only: encoding and encryption happen
 * above the transport, so every transport carries the same (possibly encrypted) packets.
 *
 * The API is callback-based on purpose: the simulator runs the protocol on a virtual clock,
 * synchronously, and promises would let work escape the clock.
 */
export interface Transport {
  /** Binds (or registers) and starts delivering; resolves with the bound `host:port`. */
  start(handler: TransportHandler): Promise<string>;
  /** Sends one datagram; best effort, never throws. Returns false if it could not be sent. */
  sendPacket(to: string, data: Uint8Array): boolean;
  /**
   * Sends `data` on the reliable channel and calls `callback` once, with the response or an
   * error (connection refused, timeout after `timeoutMs`, frame too large, closed). When the
   * peer read the request and closed without replying, the error is {@link noReplyError}.
   */
  request(to: string, data: Uint8Array, timeoutMs: number, callback: RequestCallback): void;
  /** Stops delivering and releases sockets; pending requests fail. Idempotent. */
  close(): Promise<void>;
}
