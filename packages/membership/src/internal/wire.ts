/**
 * The packet layer between the protocol and a transport: builds packets (piggybacking
 * queued broadcasts), encrypts and decrypts them, decodes strictly, and counts everything.
 * Nothing a peer sends gets past `open()` unless it authenticates (when a keyring is set)
 * and decodes cleanly.
 *
 * Key rotation: when a peer's packets authenticate under a secondary key of our ring, we
 * remember it and seal what we send to that address with the same key, so a node that does
 * not have our primary key yet still understands us.
 */
import type { Transport } from "../transport.js";
import type { DropReason, Logger } from "../types.js";
import type { BroadcastQueue } from "./broadcast-queue.js";
import {
  decodePacket,
  encodePacket,
  MAX_MESSAGES_PER_PACKET,
  type Message,
  messageOverhead,
  PACKET_OVERHEAD,
} from "./codec.js";
import type { Counters } from "./core.js";
import { type Channel, ENCRYPTED_VERSION, ENCRYPTION_OVERHEAD, type Keyring } from "./crypto.js";

/** The largest UDP payload we accept. */
export const MAX_UDP_PACKET_BYTES = 65_536;
const MAX_REMEMBERED_PEER_KEYS = 16_384;

/** Decoded messages and the index of the key that authenticated them (0 without a keyring). */
export interface Opened {
  messages: Message[];
  key: number;
}

export class Wire {
  constructor(
    private readonly transport: Transport,
    private readonly keyring: Keyring | undefined,
    private readonly counters: Counters,
    private readonly queue: BroadcastQueue,
    private readonly udpBufferSize: number,
    private readonly log: Logger,
  ) {}

  /** Peers (by address) last heard under a secondary key. */
  private readonly peerKeys = new Map<string, number>();

  /** Number of keys in the ring (0 without encryption). */
  get keyCount(): number {
    return this.keyring?.size ?? 0;
  }

  /** The key to seal packets for `addr` with. */
  keyFor(addr: string): number {
    return this.peerKeys.get(addr) ?? 0;
  }

  /** Records that `addr` speaks under `key`. */
  noteKey(addr: string, key: number): void {
    if (key === 0) {
      this.peerKeys.delete(addr);
      return;
    }
    if (this.peerKeys.size >= MAX_REMEMBERED_PEER_KEYS) this.peerKeys.clear();
    this.peerKeys.set(addr, key);
  }

  private drop(reason: DropReason): undefined {
    this.counters.dropped[reason]++;
    return undefined;
  }

  /** Room for messages in one UDP packet. */
  private get room(): number {
    return this.udpBufferSize - PACKET_OVERHEAD - (this.keyring !== undefined ? ENCRYPTION_OVERHEAD : 0);
  }

  seal(messages: readonly Uint8Array[], channel: Channel, key = 0): Uint8Array {
    const plain = encodePacket(messages);
    return this.keyring !== undefined ? this.keyring.encrypt(plain, channel, key) : plain;
  }

  /** Authenticates and decodes a packet; undefined (and counted) if it is to be dropped. */
  open(data: Uint8Array, channel: Channel): Opened | undefined {
    let plain = data;
    let key = 0;
    if (this.keyring !== undefined) {
      if (data[0] !== ENCRYPTED_VERSION) return this.drop("unencrypted");
      const opened = this.keyring.open(data, channel);
      if (opened === undefined) return this.drop("auth_failed");
      plain = opened.plain;
      key = opened.key;
    } else if (data[0] === ENCRYPTED_VERSION) {
      return this.drop("unexpected_encryption");
    }
    try {
      const messages = decodePacket(plain);
      this.counters.messagesIn += messages.length;
      return { messages, key };
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, "dropping a malformed packet");
      return this.drop("malformed");
    }
  }

  private emit(to: string, messages: readonly Uint8Array[]): void {
    const packet = this.seal(messages, "udp", this.keyFor(to));
    this.counters.messagesOut += messages.length;
    if (this.transport.sendPacket(to, packet)) {
      this.counters.packetsOut++;
      this.counters.bytesOut += packet.length;
    } else {
      this.drop("send_failed");
    }
  }

  /** Sends `messages` to `to` in one packet, topped up with queued broadcasts. */
  send(to: string, messages: readonly Uint8Array[]): void {
    let used = 0;
    for (const m of messages) used += m.length + messageOverhead(m.length);
    const extra = this.queue.take(this.room - used, MAX_MESSAGES_PER_PACKET - messages.length);
    this.emit(to, extra.length > 0 ? [...messages, ...extra] : messages);
  }

  /** Sends a packet of queued broadcasts only; false if the queue had nothing for it. */
  sendGossip(to: string): boolean {
    const msgs = this.queue.take(this.room, MAX_MESSAGES_PER_PACKET);
    if (msgs.length === 0) return false;
    this.emit(to, msgs);
    return true;
  }

  /** Accounts for an incoming packet and says whether it is small enough to look at. */
  accept(data: Uint8Array, maxBytes: number): boolean {
    this.counters.packetsIn++;
    this.counters.bytesIn += data.length;
    if (data.length > maxBytes) {
      this.drop("oversized");
      return false;
    }
    if (data.length === 0) {
      this.drop("malformed");
      return false;
    }
    return true;
  }
}
