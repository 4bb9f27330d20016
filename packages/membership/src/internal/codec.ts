/**
 * The wire format. A plain-text packet is
 *
 *   version:u8 (=1) · count:varint (1..255) · count × ( length:varint · message )
 *
 * and a message is `type:u8` followed by its fields (see the encoders below). Integers are
 * big-endian; strings are a varint byte length and UTF-8. The same packet layout travels in
 * UDP datagrams (often compound: a probe plus piggybacked gossip) and in TCP frames. The
 * decoder is strict: any unknown version or type, out-of-range field, bad UTF-8, bad address,
 * duplicate metadata key or trailing byte makes the whole packet invalid.
 */
import type { MemberState } from "../types.js";
import { parseHostPort } from "./address.js";
import { ByteReader, ByteWriter, DecodeError } from "./bytes.js";

export const WIRE_VERSION = 1;
export const MAX_MESSAGES_PER_PACKET = 255;
export const MAX_NAME_BYTES = 255;
export const MAX_ADDRESS_BYTES = 255;
export const MAX_META_BYTES = 512;

export const MSG_PING = 1;
export const MSG_INDIRECT_PING = 2;
export const MSG_ACK = 3;
export const MSG_NACK = 4;
export const MSG_ALIVE = 5;
export const MSG_SUSPECT = 6;
export const MSG_DEAD = 7;
export const MSG_PUSH_PULL = 8;

export type Meta = Readonly<Record<string, string>>;

/** Probe: "are you `node`?" Answered by an ack with the same `seq`. */
export interface PingMessage {
  type: "ping";
  seq: number;
  /** Name of the node the sender means to reach; others ignore the ping. */
  node: string;
  source: string;
}
/** Ask a peer to probe `node` at `addr` for us and forward the ack (and a nack if asked). */
export interface IndirectPingMessage {
  type: "indirect-ping";
  seq: number;
  node: string;
  addr: string;
  nack: boolean;
  source: string;
}
export interface AckMessage {
  type: "ack";
  seq: number;
}
/** Lifeguard: an indirect prober could not reach the target, but we reached the prober. */
export interface NackMessage {
  type: "nack";
  seq: number;
}
export interface AliveMessage {
  type: "alive";
  incarnation: number;
  node: string;
  addr: string;
  meta: Meta;
}
export interface SuspectMessage {
  type: "suspect";
  incarnation: number;
  node: string;
  from: string;
}
/** Death notice; when `from === node` it is a graceful leave. */
export interface DeadMessage {
  type: "dead";
  incarnation: number;
  node: string;
  from: string;
}
export interface PushNodeState {
  name: string;
  addr: string;
  incarnation: number;
  state: MemberState;
  meta: Meta;
}
/** Full state exchange (TCP only). */
export interface PushPullMessage {
  type: "push-pull";
  join: boolean;
  nodes: PushNodeState[];
}

export type Message =
  | PingMessage
  | IndirectPingMessage
  | AckMessage
  | NackMessage
  | AliveMessage
  | SuspectMessage
  | DeadMessage
  | PushPullMessage;

const STATE_CODES: readonly MemberState[] = ["alive", "suspect", "dead", "left"];

function writeMeta(w: ByteWriter, meta: Meta): void {
  const keys = Object.keys(meta);
  w.varint(keys.length);
  for (const k of keys) {
    w.str(k);
    w.str(meta[k]!);
  }
}

/** Encodes a metadata bag alone; used to enforce {@link MAX_META_BYTES}. */
export function encodeMeta(meta: Meta): Uint8Array {
  const w = new ByteWriter(64);
  writeMeta(w, meta);
  return w.finish();
}

/** Encodes one message (without the packet header). */
export function encodeMessage(msg: Message): Uint8Array {
  const w = new ByteWriter(msg.type === "push-pull" ? 64 + msg.nodes.length * 48 : 64);
  switch (msg.type) {
    case "ping":
      w.u8(MSG_PING);
      w.u32(msg.seq);
      w.str(msg.node);
      w.str(msg.source);
      break;
    case "indirect-ping":
      w.u8(MSG_INDIRECT_PING);
      w.u32(msg.seq);
      w.str(msg.node);
      w.str(msg.addr);
      w.u8(msg.nack ? 1 : 0);
      w.str(msg.source);
      break;
    case "ack":
      w.u8(MSG_ACK);
      w.u32(msg.seq);
      break;
    case "nack":
      w.u8(MSG_NACK);
      w.u32(msg.seq);
      break;
    case "alive":
      w.u8(MSG_ALIVE);
      w.u32(msg.incarnation);
      w.str(msg.node);
      w.str(msg.addr);
      writeMeta(w, msg.meta);
      break;
    case "suspect":
    case "dead":
      w.u8(msg.type === "suspect" ? MSG_SUSPECT : MSG_DEAD);
      w.u32(msg.incarnation);
      w.str(msg.node);
      w.str(msg.from);
      break;
    case "push-pull":
      w.u8(MSG_PUSH_PULL);
      w.u8(msg.join ? 1 : 0);
      w.varint(msg.nodes.length);
      for (const n of msg.nodes) {
        w.str(n.name);
        w.str(n.addr);
        w.u32(n.incarnation);
        w.u8(STATE_CODES.indexOf(n.state));
        writeMeta(w, n.meta);
      }
      break;
  }
  return w.finish();
}

/** Bytes of a packet header (version and message count), at most. */
export const PACKET_OVERHEAD = 3;
/** Bytes of the length prefix of a message of this length. */
export function messageOverhead(messageLength: number): number {
  return messageLength < 0x80 ? 1 : messageLength < 0x4000 ? 2 : messageLength < 0x200000 ? 3 : 4;
}

/** Wraps already-encoded messages into one packet. */
export function encodePacket(messages: readonly Uint8Array[]): Uint8Array {
  if (messages.length === 0 || messages.length > MAX_MESSAGES_PER_PACKET) {
    throw new RangeError(`a packet holds 1..${MAX_MESSAGES_PER_PACKET} messages`);
  }
  let size = 1 + messageOverhead(messages.length);
  for (const m of messages) size += messageOverhead(m.length) + m.length;
  const out = new Uint8Array(size);
  let pos = 0;
  const varint = (v: number): void => {
    while (v >= 0x80) {
      out[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    out[pos++] = v;
  };
  out[pos++] = WIRE_VERSION;
  varint(messages.length);
  for (const m of messages) {
    varint(m.length);
    out.set(m, pos);
    pos += m.length;
  }
  return out;
}

function readName(r: ByteReader): string {
  const s = r.str(MAX_NAME_BYTES);
  if (s.length === 0) throw new DecodeError("empty name");
  return s;
}

/** Addresses already validated; gossip repeats the same few addresses many times. */
const validAddresses = new Set<string>();
const MAX_CACHED_ADDRESSES = 16_384;

function readAddr(r: ByteReader): string {
  const s = r.str(MAX_ADDRESS_BYTES);
  if (validAddresses.has(s)) return s;
  if (parseHostPort(s) === undefined) throw new DecodeError("invalid address");
  if (validAddresses.size >= MAX_CACHED_ADDRESSES) validAddresses.clear();
  validAddresses.add(s);
  return s;
}

const EMPTY_META: Meta = Object.freeze({});

function readMeta(r: ByteReader): Meta {
  const start = r.pos;
  const count = r.varint();
  if (count === 0) return EMPTY_META;
  if (count > MAX_META_BYTES / 2) throw new DecodeError("too many meta entries");
  const meta: Record<string, string> = Object.create(null);
  for (let i = 0; i < count; i++) {
    const k = r.str(MAX_NAME_BYTES);
    if (k.length === 0) throw new DecodeError("empty meta key");
    const v = r.str(MAX_META_BYTES);
    if (Object.hasOwn(meta, k)) throw new DecodeError("duplicate meta key");
    meta[k] = v;
  }
  if (r.pos - start > MAX_META_BYTES) throw new DecodeError("meta too large");
  return Object.freeze({ ...meta });
}

function readBool(r: ByteReader): boolean {
  const b = r.u8();
  if (b > 1) throw new DecodeError("invalid boolean");
  return b === 1;
}

/** Decodes one message occupying `r.pos` up to `r.limit`. */
function decodeMessage(r: ByteReader): Message {
  const type = r.u8();
  let msg: Message;
  switch (type) {
    case MSG_PING:
      msg = { type: "ping", seq: r.u32(), node: readName(r), source: readName(r) };
      break;
    case MSG_INDIRECT_PING:
      msg = {
        type: "indirect-ping",
        seq: r.u32(),
        node: readName(r),
        addr: readAddr(r),
        nack: readBool(r),
        source: readName(r),
      };
      break;
    case MSG_ACK:
      msg = { type: "ack", seq: r.u32() };
      break;
    case MSG_NACK:
      msg = { type: "nack", seq: r.u32() };
      break;
    case MSG_ALIVE:
      msg = { type: "alive", incarnation: r.u32(), node: readName(r), addr: readAddr(r), meta: readMeta(r) };
      break;
    case MSG_SUSPECT:
      msg = { type: "suspect", incarnation: r.u32(), node: readName(r), from: readName(r) };
      break;
    case MSG_DEAD:
      msg = { type: "dead", incarnation: r.u32(), node: readName(r), from: readName(r) };
      break;
    case MSG_PUSH_PULL: {
      const join = readBool(r);
      const count = r.varint();
      // Each entry takes at least 1+1+4+1+1 bytes plus a name and an address.
      if (count > r.remaining / 12) throw new DecodeError("push-pull count exceeds payload");
      const nodes: PushNodeState[] = [];
      const seen = new Set<string>();
      for (let i = 0; i < count; i++) {
        const name = readName(r);
        if (seen.has(name)) throw new DecodeError("duplicate node in push-pull");
        seen.add(name);
        const addr = readAddr(r);
        const incarnation = r.u32();
        const state = STATE_CODES[r.u8()];
        if (state === undefined) throw new DecodeError("invalid node state");
        nodes.push({ name, addr, incarnation, state, meta: readMeta(r) });
      }
      msg = { type: "push-pull", join, nodes };
      break;
    }
    default:
      throw new DecodeError(`unknown message type ${type}`);
  }
  r.end();
  return msg;
}

/** Decodes a plain-text packet. Throws {@link DecodeError} if anything is wrong. */
export function decodePacket(data: Uint8Array): Message[] {
  const r = new ByteReader(data);
  const version = r.u8();
  if (version !== WIRE_VERSION) throw new DecodeError(`unsupported wire version ${version}`);
  const count = r.varint();
  if (count < 1 || count > MAX_MESSAGES_PER_PACKET) throw new DecodeError("bad message count");
  const out: Message[] = [];
  for (let i = 0; i < count; i++) {
    const len = r.varint();
    if (len < 1) throw new DecodeError("empty message");
    if (len > r.remaining) throw new DecodeError("truncated message");
    const end = r.pos + len;
    r.limit = end;
    out.push(decodeMessage(r));
    r.limit = data.length;
  }
  r.end();
  return out;
}

export { DecodeError };
