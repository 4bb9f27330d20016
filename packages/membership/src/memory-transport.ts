import type { Clock } from "./clock.js";
import { parseHostPort } from "./internal/address.js";
import type { Rng } from "./rng.js";
import { noReplyError, type RequestCallback, type Transport, type TransportHandler } from "./transport.js";

/** Conditions of a network link. */
export interface LinkConditions {
  /** One-way delay. */
  latencyMs: number;
  /** Extra uniform random delay in [0, jitterMs) per packet. */
  jitterMs: number;
  /** Probability that a datagram (or a TCP segment, which is then retransmitted) is lost. */
  loss: number;
}

export interface MemoryNetworkOptions extends Partial<LinkConditions> {
  /** Time source; a {@link VirtualClock} for deterministic runs. */
  clock: Clock;
  /** Randomness for loss and jitter. */
  rng: Rng;
  /** TCP's initial SYN retransmission timeout (Linux: 1 s), doubled per loss. Default 1000 ms. */
  synRetransmitMs?: number;
  /** TCP's minimum data retransmission timeout (Linux: 200 ms), doubled per loss. Default 200 ms. */
  dataRetransmitMs?: number;
}

/** Schedules the receiving process's work: lets a simulator pause or kill a process. */
export type DeliveryGate = (fn: () => void) => void;

export interface MemoryNetworkStats {
  packetsSent: number;
  packetsDelivered: number;
  /** Lost to random loss. */
  packetsLost: number;
  /** Blocked by a partition or sent to an address nobody listens on. */
  packetsBlocked: number;
  bytesSent: number;
  requests: number;
  requestsFailed: number;
}

const direct: DeliveryGate = (fn) => fn();

/**
 * An in-memory network of {@link MemoryTransport}s with per-link latency, jitter and loss,
 * and partitions. Datagrams are dropped with the link's loss probability; a TCP exchange
 * takes a handshake and one round trip, and each lost segment costs a retransmission
 * timeout (TCP is reliable but slow under loss), so the TCP fallback probe can miss its
 * deadline as a real one would. Partitions are by host (the part before the port), so a
 * process restarted on a new port stays on its side.
 */
export class MemoryNetwork {
  private readonly clock: Clock;
  private readonly rng: Rng;
  private defaults: LinkConditions;
  private readonly links = new Map<string, Partial<LinkConditions>>();
  private readonly endpoints = new Map<string, MemoryTransport>();
  private groups = new Map<string, number>();
  private readonly synRtoMs: number;
  private readonly dataRtoMs: number;
  readonly stats: MemoryNetworkStats = {
    packetsSent: 0,
    packetsDelivered: 0,
    packetsLost: 0,
    packetsBlocked: 0,
    bytesSent: 0,
    requests: 0,
    requestsFailed: 0,
  };

  constructor(opts: MemoryNetworkOptions) {
    this.clock = opts.clock;
    this.rng = opts.rng;
    this.defaults = { latencyMs: opts.latencyMs ?? 1, jitterMs: opts.jitterMs ?? 0, loss: opts.loss ?? 0 };
    this.synRtoMs = opts.synRetransmitMs ?? 1000;
    this.dataRtoMs = opts.dataRetransmitMs ?? 200;
  }

  /** A transport that will listen on `address` (`host:port`) once started. */
  createTransport(address: string, gate: DeliveryGate = direct): MemoryTransport {
    if (parseHostPort(address) === undefined) throw new RangeError(`bad address ${address}`);
    return new MemoryTransport(this, address, gate);
  }

  /** Changes the conditions of every link without its own settings. */
  setConditions(conditions: Partial<LinkConditions>): void {
    this.defaults = { ...this.defaults, ...conditions };
  }

  /** Sets the conditions between hosts `a` and `b`, both ways. */
  setLink(a: string, b: string, conditions: Partial<LinkConditions>): void {
    this.links.set(linkKey(a, b), { ...this.links.get(linkKey(a, b)), ...conditions });
  }

  clearLinks(): void {
    this.links.clear();
  }

  /** Splits hosts into groups that cannot reach each other; hosts not listed reach everyone. */
  partition(...groups: readonly (readonly string[])[]): void {
    this.groups = new Map();
    groups.forEach((g, i) => {
      for (const host of g) this.groups.set(hostOf(host), i);
    });
  }

  /** Lifts every partition. */
  heal(): void {
    this.groups = new Map();
  }

  /** @internal */
  register(t: MemoryTransport): void {
    if (this.endpoints.has(t.address)) throw new Error(`address ${t.address} is already in use`);
    this.endpoints.set(t.address, t);
  }

  /** @internal */
  unregister(t: MemoryTransport): void {
    if (this.endpoints.get(t.address) === t) this.endpoints.delete(t.address);
  }

  private conditions(from: string, to: string): LinkConditions {
    const l = this.links.get(linkKey(hostOf(from), hostOf(to)));
    return l === undefined ? this.defaults : { ...this.defaults, ...l };
  }

  private blocked(from: string, to: string): boolean {
    if (this.groups.size === 0) return false;
    const a = this.groups.get(hostOf(from));
    const b = this.groups.get(hostOf(to));
    return a !== undefined && b !== undefined && a !== b;
  }

  private delay(c: LinkConditions): number {
    return c.latencyMs + (c.jitterMs > 0 ? this.rng() * c.jitterMs : 0);
  }

  /** Extra delay of a TCP segment under loss: a doubling retransmission timeout per loss. */
  private retransmits(c: LinkConditions, rto: number): number {
    let extra = 0;
    for (let i = 0; i < 6 && c.loss > 0 && this.rng() < c.loss; i++) {
      extra += rto;
      rto *= 2;
    }
    return extra;
  }

  /** @internal */
  datagram(from: string, to: string, data: Uint8Array): void {
    this.stats.packetsSent++;
    this.stats.bytesSent += data.length;
    if (this.blocked(from, to)) {
      this.stats.packetsBlocked++;
      return;
    }
    const c = this.conditions(from, to);
    if (c.loss > 0 && this.rng() < c.loss) {
      this.stats.packetsLost++;
      return;
    }
    const copy = data.slice();
    this.clock.setTimeout(() => {
      const ep = this.endpoints.get(to);
      if (ep === undefined) {
        this.stats.packetsBlocked++;
        return;
      }
      this.stats.packetsDelivered++;
      ep.deliverPacket(copy, from);
    }, this.delay(c));
  }

  /** @internal */
  exchange(from: string, to: string, data: Uint8Array, timeoutMs: number, callback: RequestCallback): void {
    this.stats.requests++;
    this.stats.bytesSent += data.length;
    let settled = false;
    const settle = (err: Error | undefined, reply: Uint8Array | undefined): void => {
      if (settled) return;
      settled = true;
      timer.cancel();
      if (err !== undefined) this.stats.requestsFailed++;
      callback(err, reply);
    };
    const timer = this.clock.setTimeout(
      () => settle(new Error(`request to ${to} timed out`), undefined),
      timeoutMs,
    );
    if (this.blocked(from, to)) return; // SYNs vanish: the caller times out.
    const c = this.conditions(from, to);
    const syn = this.delay(c) + this.retransmits(c, this.synRtoMs);
    const synAck = this.delay(c) + this.retransmits(c, this.synRtoMs);
    const request = this.delay(c) + this.retransmits(c, this.dataRtoMs);
    const copy = data.slice();
    this.clock.setTimeout(() => {
      const ep = this.endpoints.get(to);
      if (ep === undefined) {
        // Connection refused: the RST comes back after one more trip.
        this.clock.setTimeout(
          () => settle(new Error(`connection to ${to} refused`), undefined),
          this.delay(c),
        );
        return;
      }
      this.clock.setTimeout(() => {
        ep.deliverRequest(copy, from, (reply) => {
          if (reply === undefined) {
            this.clock.setTimeout(() => settle(noReplyError(to), undefined), this.delay(c));
            return;
          }
          this.stats.bytesSent += reply.length;
          const back = this.delay(c) + this.retransmits(c, this.dataRtoMs);
          const replyCopy = reply.slice();
          this.clock.setTimeout(() => settle(undefined, replyCopy), back);
        });
      }, synAck + request);
    }, syn);
  }
}

function hostOf(address: string): string {
  const hp = parseHostPort(address);
  return hp === undefined ? address : hp.host;
}

function linkKey(a: string, b: string): string {
  const x = hostOf(a);
  const y = hostOf(b);
  return x < y ? `${x}|${y}` : `${y}|${x}`;
}

/** A {@link Transport} on a {@link MemoryNetwork}. */
export class MemoryTransport implements Transport {
  private handler: TransportHandler | undefined;
  private closed = false;

  /** @internal use {@link MemoryNetwork.createTransport} */
  constructor(
    private readonly network: MemoryNetwork,
    readonly address: string,
    private readonly gate: DeliveryGate,
  ) {}

  start(handler: TransportHandler): Promise<string> {
    if (this.closed) return Promise.reject(new Error("transport closed"));
    this.handler = handler;
    this.network.register(this);
    return Promise.resolve(this.address);
  }

  sendPacket(to: string, data: Uint8Array): boolean {
    if (this.closed || this.handler === undefined) return false;
    this.network.datagram(this.address, to, data);
    return true;
  }

  request(to: string, data: Uint8Array, timeoutMs: number, callback: RequestCallback): void {
    if (this.closed || this.handler === undefined) {
      callback(new Error("transport closed"), undefined);
      return;
    }
    this.network.exchange(this.address, to, data, timeoutMs, (err, reply) => {
      if (!this.closed) this.gate(() => callback(err, reply));
    });
  }

  close(): Promise<void> {
    this.closed = true;
    this.network.unregister(this);
    return Promise.resolve();
  }

  /** @internal */
  deliverPacket(data: Uint8Array, from: string): void {
    this.gate(() => {
      if (!this.closed) this.handler?.onPacket(data, from);
    });
  }

  /** @internal */
  deliverRequest(data: Uint8Array, from: string, reply: (response: Uint8Array | undefined) => void): void {
    this.gate(() => {
      reply(this.closed ? undefined : this.handler?.onRequest(data, from));
    });
  }
}
