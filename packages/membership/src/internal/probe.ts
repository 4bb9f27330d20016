/**
 * SWIM failure detection with Lifeguard, as memberlist's probeNode does it. Each protocol
 * period we probe the next member in random round-robin order:
 *
 * 1. a direct UDP ping (carrying our suspicion of the target when it is suspect: Lifeguard's
 *    "buddy system", so the target can refute at once);
 * 2. after `probeTimeoutMs` without an ack, indirect pings through `indirectChecks` random
 *    members, which answer with the ack or, if they could not reach the target, a nack;
 *    and at the same time a TCP fallback ping to the target;
 * 3. at the end of the period (the probe interval, stretched by our health score) without
 *    any ack, the target becomes suspect.
 *
 * Health (Lifeguard LHA): a probe that succeeds lowers our score by one; a failed probe
 * raises it by the number of missing nacks (or by one when no nacks were expected), since
 * missing nacks mean the problem is more likely ours.
 *
 * One deliberate difference from memberlist: an indirect prober sends its nack after
 * `NACK_FRACTION` of the probe timeout, not after all of it. memberlist's nack leaves at
 * 2 x probeTimeout after the probe began, which with the LAN defaults is the prober's deadline
 * itself, so nacks arrive late and every failed probe of a really dead node counts against
 * the prober's own health (Lifeguard paper, footnote 5).
 */
import type { Timer } from "../clock.js";
import type { IndirectPingMessage, Message, PingMessage } from "./codec.js";
import { encodeMessage } from "./codec.js";
import type { Core, NodeState } from "./core.js";
import type { NodeTable } from "./node-table.js";

/** Share of the probe timeout an indirect prober waits before it sends a nack. */
export const NACK_FRACTION = 0.8;

interface AckHandler {
  onAck: () => void;
  onNack: (() => void) | undefined;
  expiry: Timer;
}

export class Prober {
  private seq = 0;
  private readonly handlers = new Map<number, AckHandler>();
  private tickTimer: Timer | undefined;
  private running = false;
  private readonly timers = new Set<Timer>();

  constructor(
    private readonly core: Core,
    private readonly table: NodeTable,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    // Random stagger so that nodes started together do not probe in lock step.
    this.tickTimer = this.core.clock.setTimeout(
      () => this.tick(),
      this.core.rng() * this.core.cfg.probeIntervalMs,
    );
  }

  stop(): void {
    this.running = false;
    this.tickTimer?.cancel();
    for (const h of this.handlers.values()) h.expiry.cancel();
    this.handlers.clear();
    for (const t of this.timers) t.cancel();
    this.timers.clear();
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0;
    return this.seq;
  }

  /** A timer that `stop()` cancels too. */
  private after(ms: number, fn: () => void): Timer {
    const inner = this.core.clock.setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    const timer: Timer = {
      cancel: () => {
        this.timers.delete(timer);
        inner.cancel();
      },
    };
    this.timers.add(timer);
    return timer;
  }

  private tick(): void {
    if (!this.running || this.core.closed) return;
    const target = this.table.nextProbeTarget();
    if (target !== undefined) this.probe(target);
    this.tickTimer = this.core.clock.setTimeout(
      () => this.tick(),
      this.core.awareness.scale(this.core.cfg.probeIntervalMs),
    );
  }

  private register(seq: number, timeoutMs: number, onAck: () => void, onNack?: () => void): void {
    const expiry = this.core.clock.setTimeout(() => this.handlers.delete(seq), timeoutMs);
    this.handlers.set(seq, { onAck, onNack, expiry });
  }

  /** Probes `node` once; exposed for tests. */
  probe(node: NodeState): void {
    const { core } = this;
    const { cfg } = core;
    const self = this.table.selfName;
    core.counters.probes++;
    const seq = this.nextSeq();
    const incarnation = node.incarnation;
    const intervalMs = core.awareness.scale(cfg.probeIntervalMs);
    const deadline = core.clock.now() + intervalMs;
    let done = false;
    let nacks = 0;
    let expectedNacks = 0;

    let direct: Timer | undefined;
    let end: Timer | undefined;
    const succeed = (how: string): void => {
      if (done) return;
      done = true;
      direct?.cancel();
      end?.cancel();
      core.awareness.apply(-1);
      if (how === "tcp") core.log.warn({ peer: node.name }, "reached over TCP but UDP probes failed");
    };
    this.register(
      seq,
      intervalMs,
      () => succeed("udp"),
      () => nacks++,
    );
    const ping: PingMessage = { type: "ping", seq, node: node.name, source: self };

    direct = this.after(cfg.probeTimeoutMs, () => {
      if (done) return;
      const peers = this.table.randomNodes(
        cfg.indirectChecks,
        (n) => n.name !== self && n.name !== node.name && n.state === "alive",
      );
      const ind: IndirectPingMessage = {
        type: "indirect-ping",
        seq,
        node: node.name,
        addr: node.addr,
        nack: cfg.lifeguard,
        source: self,
      };
      const encoded = encodeMessage(ind);
      for (const peer of peers) {
        if (cfg.lifeguard) expectedNacks++;
        core.send(peer.addr, [encoded]);
      }
      if (cfg.tcpFallback) {
        const remaining = deadline - core.clock.now();
        if (remaining > 0) {
          core.request(node.addr, encodeMessage(ping), remaining, (err, reply) => {
            if (err === undefined && reply?.some((m) => m.type === "ack" && m.seq === seq)) succeed("tcp");
          });
        }
      }
    });

    end = this.after(intervalMs, () => {
      if (done) return;
      done = true;
      this.handlers.get(seq)?.expiry.cancel();
      this.handlers.delete(seq);
      core.counters.probeFailures++;
      core.awareness.apply(expectedNacks > 0 ? Math.max(0, expectedNacks - nacks) : 1);
      core.log.info({ peer: node.name }, "probe failed: suspecting");
      this.table.suspectNode({ type: "suspect", incarnation, node: node.name, from: self });
    });

    const messages = [encodeMessage(ping)];
    if (node.state === "suspect" && cfg.lifeguard) {
      messages.push(encodeMessage({ type: "suspect", incarnation, node: node.name, from: self }));
    }
    core.send(node.addr, messages);
  }

  /** Handles the probe messages of one packet; returns true if `msg` was one. */
  handle(msg: Message, from: string): boolean {
    switch (msg.type) {
      case "ping":
        if (msg.node !== this.table.selfName) {
          this.core.counters.dropped.wrong_node++;
          return true;
        }
        this.core.send(from, [encodeMessage({ type: "ack", seq: msg.seq })]);
        return true;
      case "indirect-ping":
        this.indirect(msg, from);
        return true;
      case "ack": {
        const h = this.handlers.get(msg.seq);
        if (h !== undefined) {
          this.handlers.delete(msg.seq);
          h.expiry.cancel();
          h.onAck();
        }
        return true;
      }
      case "nack":
        this.handlers.get(msg.seq)?.onNack?.();
        return true;
      default:
        return false;
    }
  }

  /** Probes `msg.node` on behalf of the peer at `from` and relays the outcome. */
  private indirect(msg: IndirectPingMessage, from: string): void {
    const { core } = this;
    const seq = this.nextSeq();
    let answered = false;
    const nackTimer = msg.nack
      ? this.after(core.cfg.probeTimeoutMs * NACK_FRACTION, () => {
          if (!answered) core.send(from, [encodeMessage({ type: "nack", seq: msg.seq })]);
        })
      : undefined;
    this.register(seq, core.cfg.probeIntervalMs, () => {
      answered = true;
      nackTimer?.cancel();
      core.send(from, [encodeMessage({ type: "ack", seq: msg.seq })]);
    });
    core.send(msg.addr, [encodeMessage({ type: "ping", seq, node: msg.node, source: this.table.selfName })]);
  }
}
