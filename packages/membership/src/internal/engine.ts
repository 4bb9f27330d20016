/**
 * The protocol engine: wires the node table, prober and gossiper to a transport through the
 * packet layer, and implements join, leave and shutdown. Entirely callback- and timer-driven
 * (no promises inside), so it runs the same on real sockets and inside the simulator's
 * virtual time. `Membership` is the public face over it.
 */
import type { Clock, Timer } from "../clock.js";
import { NO_REPLY, type Transport, type TransportHandler } from "../transport.js";
import type { MembershipEventName } from "../types.js";
import { Awareness } from "./awareness.js";
import { BroadcastQueue } from "./broadcast-queue.js";
import { encodeMessage, type Message, type Meta } from "./codec.js";
import type { Config } from "./config.js";
import { type Core, type Counters, type NodeState, newCounters, type StreamCallback } from "./core.js";
import { Keyring } from "./crypto.js";
import { Gossiper } from "./gossip.js";
import { NodeTable } from "./node-table.js";
import { Prober } from "./probe.js";
import { MAX_UDP_PACKET_BYTES, Wire } from "./wire.js";

/** Largest TCP frame the engine accepts (the real transport enforces it as well). */
export const MAX_STREAM_BYTES = 4 * 1024 * 1024;

export class Engine implements Core {
  readonly clock: Clock;
  readonly rng: () => number;
  readonly log: Config["logger"];
  readonly awareness: Awareness;
  readonly queue: BroadcastQueue;
  readonly counters: Counters = newCounters();
  readonly table: NodeTable;
  private readonly prober: Prober;
  private readonly gossiper: Gossiper;
  private readonly wire: Wire;
  private reapTimer: Timer | undefined;
  private isClosed = false;
  private readonly pending = new Set<Timer>();

  constructor(
    readonly cfg: Config,
    private readonly transport: Transport,
    private readonly onEvent: (event: MembershipEventName, node: NodeState) => void,
  ) {
    this.clock = cfg.clock;
    this.rng = cfg.rng;
    this.log = cfg.logger;
    this.awareness = new Awareness(cfg.awarenessMaxMultiplier, cfg.lifeguard);
    this.table = new NodeTable(this);
    this.queue = new BroadcastQueue(cfg.retransmitMult, () => this.table.size);
    const keyring = cfg.secrets.length > 0 ? new Keyring(cfg.secrets) : undefined;
    this.wire = new Wire(transport, keyring, this.counters, this.queue, cfg.udpBufferSize, cfg.logger);
    this.prober = new Prober(this, this.table);
    this.gossiper = new Gossiper(this, this.table);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The handler the transport delivers to. */
  readonly handler: TransportHandler = {
    onPacket: (data, from) => this.onPacket(data, from),
    onRequest: (data, from) => this.onRequest(data, from),
    onDrop: (reason) => {
      this.counters.dropped[reason]++;
    },
  };

  /** Creates our own entry and starts the periodic work. */
  begin(addr: string, meta: Meta): void {
    this.table.initSelf(addr, meta);
    this.prober.start();
    this.gossiper.start();
    const reapEvery = Math.max(100, Math.min(this.cfg.deadReapMs / 4, 5000));
    const reap = (): void => {
      if (this.isClosed) return;
      this.table.reap();
      this.reapTimer = this.clock.setTimeout(reap, reapEvery);
    };
    this.reapTimer = this.clock.setTimeout(reap, reapEvery);
  }

  emit(event: MembershipEventName, node: NodeState): void {
    this.onEvent(event, node);
  }

  send(to: string, messages: readonly Uint8Array[]): void {
    if (!this.isClosed) this.wire.send(to, messages);
  }

  sendGossip(to: string): boolean {
    return !this.isClosed && this.wire.sendGossip(to);
  }

  request(to: string, message: Uint8Array, timeoutMs: number, callback: StreamCallback): void {
    if (this.isClosed) {
      callback(new Error("closed"), undefined);
      return;
    }
    // Try the key this peer is known to use first; if it reads our request and hangs up
    // (it could not authenticate it), try the other keys of the ring, within the deadline.
    const first = this.wire.keyFor(to);
    const keys = [first];
    for (let k = 0; k < this.wire.keyCount; k++) if (k !== first) keys.push(k);
    const deadline = this.clock.now() + timeoutMs;
    const attempt = (i: number): void => {
      const key = keys[i]!;
      const data = this.wire.seal([message], "tcp", key);
      this.counters.streamsOut++;
      this.counters.packetsOut++;
      this.counters.bytesOut += data.length;
      this.counters.messagesOut++;
      this.transport.request(to, data, Math.max(1, deadline - this.clock.now()), (err, reply) => {
        if (this.isClosed) return callback(new Error("closed"), undefined);
        if (err !== undefined || reply === undefined) {
          const noReply = (err as { code?: string } | undefined)?.code === NO_REPLY;
          if (noReply && i + 1 < keys.length && this.clock.now() < deadline) return attempt(i + 1);
          return callback(err ?? new Error("no reply"), undefined);
        }
        if (!this.wire.accept(reply, MAX_STREAM_BYTES))
          return callback(new Error("reply dropped"), undefined);
        const opened = this.wire.open(reply, "tcp");
        if (opened === undefined) return callback(new Error("reply dropped"), undefined);
        this.wire.noteKey(to, opened.key);
        callback(undefined, opened.messages);
      });
    };
    attempt(0);
  }

  private onPacket(data: Uint8Array, from: string): void {
    if (this.isClosed || !this.wire.accept(data, MAX_UDP_PACKET_BYTES)) return;
    const opened = this.wire.open(data, "udp");
    if (opened === undefined) return;
    this.wire.noteKey(from, opened.key);
    this.dispatch(opened.messages, from);
  }

  private dispatch(messages: readonly Message[], from: string): void {
    try {
      // State news first, so that a refutation it triggers rides on the ack we send below.
      for (const m of messages) {
        if (m.type === "alive") this.table.aliveNode(m);
        else if (m.type === "suspect") this.table.suspectNode(m);
        else if (m.type === "dead") this.table.deadNode(m);
      }
      for (const m of messages) this.prober.handle(m, from);
    } catch (err) {
      // A bug must not take the process down through a peer's packet; log it loudly.
      this.log.error({ err, from }, "error while handling a packet");
    }
  }

  private onRequest(data: Uint8Array, from: string): Uint8Array | undefined {
    if (this.isClosed) return undefined;
    this.counters.streamsIn++;
    if (!this.wire.accept(data, MAX_STREAM_BYTES)) return undefined;
    const opened = this.wire.open(data, "tcp");
    if (opened === undefined) return undefined;
    const [msg] = opened.messages;
    if (msg === undefined || opened.messages.length !== 1) {
      this.counters.dropped.malformed++;
      return undefined;
    }
    try {
      let reply: Uint8Array | undefined;
      if (msg.type === "push-pull") {
        reply = this.gossiper.answerPushPull(msg.nodes);
      } else if (msg.type === "ping") {
        if (msg.node !== this.table.selfName) {
          this.counters.dropped.wrong_node++;
          return undefined;
        }
        reply = encodeMessage({ type: "ack", seq: msg.seq });
      } else {
        return undefined;
      }
      // Answer under the key the request came with (key rotation).
      const sealed = this.wire.seal([reply], "tcp", opened.key);
      this.counters.packetsOut++;
      this.counters.messagesOut++;
      this.counters.bytesOut += sealed.length;
      return sealed;
    } catch (err) {
      this.log.error({ err, from }, "error while handling a request");
      return undefined;
    }
  }

  private later(ms: number, fn: () => void): void {
    const t = this.clock.setTimeout(() => {
      this.pending.delete(t);
      fn();
    }, ms);
    this.pending.add(t);
  }

  /**
   * Push-pull with every seed; if none answered, retry the whole list with exponential
   * backoff (jittered), up to `joinAttempts` rounds. Calls back with the number contacted.
   */
  join(seeds: readonly string[], callback: (contacted: number, lastError: Error | undefined) => void): void {
    const { cfg } = this;
    const round = (attempt: number): void => {
      if (this.isClosed) {
        callback(0, new Error("closed"));
        return;
      }
      let pending = seeds.length;
      let contacted = 0;
      let lastError: Error | undefined;
      const settle = (): void => {
        if (contacted > 0 || attempt + 1 >= cfg.joinAttempts || this.isClosed) {
          callback(contacted, lastError);
          return;
        }
        const base = Math.min(cfg.joinRetryMaxMs, cfg.joinRetryBaseMs * 2 ** attempt);
        const delay = base * (0.75 + 0.5 * this.rng());
        this.log.info({ attempt: attempt + 1, delayMs: Math.round(delay) }, "no seed answered; retrying");
        this.later(delay, () => round(attempt + 1));
      };
      for (const seed of seeds) {
        this.gossiper.pushPull(seed, true, (err) => {
          if (err === undefined) contacted++;
          else {
            lastError = err;
            this.log.debug({ seed, err: err.message }, "seed did not answer");
          }
          if (--pending === 0) settle();
        });
      }
    };
    if (seeds.length === 0) callback(0, undefined);
    else round(0);
  }

  /**
   * Broadcasts that we left, then calls back once the broadcast has been sent its full
   * number of times, or after `timeoutMs`, or at once when nobody is there to tell.
   */
  leave(timeoutMs: number, callback: () => void): void {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      callback();
    };
    this.table.leaving = true;
    this.prober.stop();
    const me = this.table.self;
    let others = 0;
    for (const n of this.table.nodes.values()) {
      if (n !== me && (n.state === "alive" || n.state === "suspect")) others++;
    }
    this.table.deadNode({ type: "dead", incarnation: me.incarnation, node: me.name, from: me.name }, finish);
    if (others === 0) finish();
    else this.later(timeoutMs, finish);
  }

  /** Stops all timers and the transport. */
  async shutdown(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.prober.stop();
    this.gossiper.stop();
    this.reapTimer?.cancel();
    for (const t of this.pending) t.cancel();
    this.pending.clear();
    this.table.stop();
    await this.transport.close();
  }
}
